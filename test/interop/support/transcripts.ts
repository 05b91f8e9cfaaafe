// Loading and replaying the recorded receptor transcripts (test/fixtures/receptor/transcripts, made by
// record_transcripts.py against the real receptor v1.6.5). Replaying the client side against a live control
// service and comparing what comes back (after masking the values that change from run to run) checks that
// a server still behaves like the recording: the installed receptor, or meshctl's own node.
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TRANSCRIPT_DIR = fileURLToPath(new URL('../../fixtures/receptor/transcripts/', import.meta.url));

export type TranscriptEvent =
  | { send: string }
  | { sendBase64: string }
  | { recv: string }
  | { recvBase64: string }
  | { halfClose: true }
  | { eof: true }
  | { silence: number }
  | { sleep: number }
  | { note: string };

export interface Transcript {
  name: string;
  /** Recording order across all files. */
  seq: number;
  receptorVersion: string;
  nodeId: string;
  transport: 'unix' | 'tcp';
  notes: string;
  events: TranscriptEvent[];
}

export function loadTranscript(name: string): Transcript {
  return JSON.parse(readFileSync(join(TRANSCRIPT_DIR, `${name}.json`), 'utf8')) as Transcript;
}

/** All transcripts in recording order. */
export function loadAllTranscripts(): Transcript[] {
  return readdirSync(TRANSCRIPT_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => loadTranscript(f.slice(0, -5)))
    .sort((a, b) => a.seq - b.seq);
}

/** The single node `foo-1` the transcripts (other than mesh-*) were recorded on: same id, same work types. */
export const RECORDED_NODE_ID = 'foo-1';
export const RECORDED_WORK_COMMANDS = [
  { worktype: 'cat', command: 'cat' },
  { worktype: 'echo', command: 'echo', params: 'hello', allowruntimeparams: true },
  { worktype: 'fail', command: 'sh', params: '-c "echo failing; echo to-stderr >&2; exit 3"' },
  { worktype: 'sleep', command: 'sleep', allowruntimeparams: true },
];

/**
 * Transcripts that were recorded on a different receptor instance or need a config change in between, so a
 * replay on one node started with RECORDED_WORK_COMMANDS cannot reproduce them.
 */
export const NOT_REPLAYABLE_ON_MAIN_NODE: Record<string, string> = {
  'status-json-requested-fields-null': 'crashes receptor (recorded on a throw-away instance)',
  'status-json-requested-fields-string': 'crashes receptor (recorded on a throw-away instance)',
  'status-no-worktypes': 'recorded on a node without work types',
  'reload-without-config': 'recorded on a node started without -c',
  'reload-nonreloadable-change': 'needs the YAML edited between start and reload',
  'reload-bad-config': 'needs the YAML edited between start and reload',
  'work-list-nonempty': 'lists units made by unrecorded helper sessions of the recorder',
};

/** Unit ids a transcript uses in what it sends but did not create itself. */
export function externalUnitIds(t: Transcript): string[] {
  const pattern = unitIdPattern(t.nodeId);
  const created = new Set<string>();
  const external = new Set<string>();
  for (const e of t.events) {
    const b = eventBytes(e);
    if (!b) continue;
    const text = b.toString('latin1');
    if ('recv' in e || 'recvBase64' in e) {
      for (const m of text.matchAll(/with ID ([0-9A-Za-z]+)\./g)) created.add(m[1]!);
    } else {
      for (const m of text.matchAll(pattern)) if (!created.has(m[0])) external.add(m[0]);
    }
  }
  return [...external];
}

/** Unit ids a transcript creates ("Work unit created with ID …"). */
export function createdUnitIds(t: Transcript): string[] {
  const out: string[] = [];
  for (const e of t.events) {
    if (!('recv' in e || 'recvBase64' in e)) continue;
    for (const m of eventBytes(e)!.toString('latin1').matchAll(/with ID ([0-9A-Za-z]+)\./g)) out.push(m[1]!);
  }
  return out;
}

/**
 * The single-node transcripts that can be replayed in recording order on one fresh node: every unit id they
 * use was created by themselves or by an earlier replayed transcript.
 */
export function replayPlan(): Transcript[] {
  const known = new Set<string>();
  const plan: Transcript[] = [];
  for (const t of loadAllTranscripts()) {
    if (t.nodeId !== RECORDED_NODE_ID || t.name in NOT_REPLAYABLE_ON_MAIN_NODE) continue;
    if (!externalUnitIds(t).every((id) => known.has(id))) continue;
    for (const id of createdUnitIds(t)) known.add(id);
    plan.push(t);
  }
  return plan;
}

/** Bytes of a send/recv event (text events were stored as UTF-8). */
export function eventBytes(e: TranscriptEvent): Buffer | undefined {
  if ('send' in e) return Buffer.from(e.send, 'utf8');
  if ('recv' in e) return Buffer.from(e.recv, 'utf8');
  if ('sendBase64' in e) return Buffer.from(e.sendBase64, 'base64');
  if ('recvBase64' in e) return Buffer.from(e.recvBase64, 'base64');
  return undefined;
}

/** Unit ids of v1.6.5: node id without non-alphanumerics + 8 random characters (workceptor.go generateUnitID). */
export function unitIdPattern(nodeId: string): RegExp {
  return new RegExp(`${nodeId.replace(/[^a-zA-Z0-9]/g, '')}[0-9A-Za-z]{8}`, 'g');
}

/**
 * Masks what differs between runs: unit ids, ping times, PIDs, advertisement times, host memory/CPU counts,
 * StdoutSize of a unit still running. Works on latin1 strings so binary payload bytes survive unchanged.
 */
export function mask(text: string, nodeId: string): string {
  return text
    .replace(unitIdPattern(nodeId), '<unit>')
    .replace(/"Time":\d+/g, '"Time":<ns>')
    .replace(/"TimeStr":"[^"]*"/g, '"TimeStr":"<dur>"')
    .replace(/"Time":"[^"]*"/g, '"Time":"<rfc3339>"')
    .replace(/PID \d+/g, 'PID <pid>')
    .replace(/"Pid":\d+/g, '"Pid":<pid>')
    .replace(/"SystemCPUCount":\d+/g, '"SystemCPUCount":<n>')
    .replace(/"SystemMemoryMiB":\d+/g, '"SystemMemoryMiB":<n>');
}

export interface ReplayTarget {
  nodeId: string;
  socketPath: string;
  tcpPort?: number;
}

export interface ReplayStep {
  index: number;
  kind: 'recv' | 'eof' | 'silence';
  expected: string;
  actual: string;
}

class Reader {
  private buf = Buffer.alloc(0);
  private ended = false;
  private waiters: (() => void)[] = [];
  constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    sock.on('end', () => {
      this.ended = true;
      this.wake();
    });
    sock.on('close', () => {
      this.ended = true;
      this.wake();
    });
    sock.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  /** Takes bytes up to and including the n-th newline (or all that came before EOF / the deadline). */
  async lines(n: number, timeoutMs: number): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let seen = 0;
      let cut = -1;
      for (let i = 0; i < this.buf.length; i++) {
        if (this.buf[i] === 0x0a && ++seen === n) {
          cut = i + 1;
          break;
        }
      }
      if (n === 0) cut = 0;
      if (cut >= 0 || this.ended || Date.now() >= deadline) {
        const end = cut >= 0 ? cut : this.buf.length;
        const out = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(end);
        return out;
      }
      await this.wait(Math.max(1, deadline - Date.now()));
    }
  }
  /** Everything until EOF (or the deadline). */
  async rest(timeoutMs: number): Promise<{ data: Buffer; eof: boolean }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await this.wait(deadline - Date.now());
    const data = this.buf;
    this.buf = Buffer.alloc(0);
    return { data, eof: this.ended };
  }
  /** Bytes that arrive within ms (expects none). */
  async quiet(ms: number): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (!this.ended && Date.now() < deadline) await this.wait(deadline - Date.now());
    const data = this.buf;
    this.buf = Buffer.alloc(0);
    return data;
  }
  get isEnded(): boolean {
    return this.ended;
  }
}

/**
 * Replays the client side of a transcript and returns, per server-side event, the masked expected and actual
 * text. Unit ids created during the replay are substituted into later sends.
 */
export async function replay(
  t: Transcript,
  target: ReplayTarget,
  { ids = new Map<string, string>(), timeoutMs = 15_000 }: { ids?: Map<string, string>; timeoutMs?: number } = {},
): Promise<ReplayStep[]> {
  const sock =
    t.transport === 'tcp' && target.tcpPort ? connect(target.tcpPort, '127.0.0.1') : connect(target.socketPath);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const reader = new Reader(sock);
  const steps: ReplayStep[] = [];
  const pattern = unitIdPattern(t.nodeId);
  const maskBoth = (s: string) => mask(s, t.nodeId).replace(unitIdPattern(target.nodeId), '<unit>');
  try {
    for (const [index, e] of t.events.entries()) {
      const bytes = eventBytes(e);
      if ('send' in e || 'sendBase64' in e) {
        let text = bytes!.toString('latin1');
        text = text.replace(pattern, (id) => ids.get(id) ?? id);
        if (text.startsWith('{') && t.nodeId !== target.nodeId) text = text.replaceAll(`"${t.nodeId}"`, `"${target.nodeId}"`);
        sock.write(Buffer.from(text, 'latin1'));
      } else if ('halfClose' in e) {
        sock.end();
      } else if ('recv' in e || 'recvBase64' in e) {
        const expected = bytes!;
        const newlines = expected.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
        const next = t.events[index + 1];
        // A recv followed by EOF in the recording: read to EOF (trailing bytes without newline included).
        const actual = next && 'eof' in next ? (await reader.rest(timeoutMs)).data : await reader.lines(newlines, timeoutMs);
        const exp = expected.toString('latin1');
        const act = actual.toString('latin1');
        for (const [i, m] of [...exp.matchAll(/with ID ([0-9A-Za-z]+)\./g)].entries()) {
          const live = [...act.matchAll(/with ID ([0-9A-Za-z]+)\./g)][i];
          if (live) ids.set(m[1]!, live[1]!);
        }
        steps.push({ index, kind: 'recv', expected: maskBoth(exp), actual: maskBoth(act) });
      } else if ('eof' in e) {
        const { data, eof } = await reader.rest(timeoutMs);
        steps.push({ index, kind: 'eof', expected: 'EOF', actual: eof ? (data.length ? `EOF after ${maskBoth(data.toString('latin1'))}` : 'EOF') : `no EOF within ${timeoutMs} ms` });
      } else if ('silence' in e) {
        const data = await reader.quiet(e.silence);
        steps.push({ index, kind: 'silence', expected: '', actual: maskBoth(data.toString('latin1')) });
      } else if ('sleep' in e) {
        await new Promise((r) => setTimeout(r, e.sleep));
      }
    }
  } finally {
    sock.destroy();
  }
  return steps;
}
