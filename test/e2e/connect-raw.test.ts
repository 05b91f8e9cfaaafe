// `meshctl connect --raw` on a real terminal (a pty made by script(1)): while connected, a key goes to the
// remote side at once (no line buffering, so the terminal is in raw mode), and when the session ends the
// terminal's settings are exactly what they were before (`stty -g` before and after). connect.ts turns raw mode
// off when the session ends, and Node itself resets the terminal when the process exits; the test pins what
// the user sees, whichever of the two does it.
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { BIN, ensureBuilt, ROOT } from './build.js';

let node: TestNode;

beforeAll(async () => {
  ensureBuilt();
  node = await startTestNode({ nodeId: 'rawnode' });
  // A service that waits for the first bytes, answers with their hex, and closes: the session ends from the
  // node's side, as an interactive remote program would on exit.
  node.node.mesh.listenService('onekey', (stream: Duplex) => {
    stream.once('data', (d: Buffer) => stream.end(`got:${d.toString('hex')}\n`));
  });
}, 60_000);

afterAll(async () => {
  await node?.close();
});

interface PtyRun {
  out: string;
  code: number | null;
}

interface Step {
  /** Type `keys` once the terminal's output matches `when`... */
  when: RegExp;
  keys: string;
  /** ...after this long (ms), and first check the output so far. */
  delayMs?: number;
  check?: (out: string) => void;
}

/** Runs `line` in bash on a pty and types each step's keys when its output shows up. */
function onPty(line: string, steps: Step[], timeoutMs = 20_000): Promise<PtyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `bash -c ${JSON.stringify(line)}`, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', TERM: 'dumb', MESHCTL_SOCKET: node.socketPath },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let next = 0;
    let waiting = false;
    const fail = (err: unknown): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const timer = setTimeout(() => fail(new Error(`pty run timed out; output so far:\n${out}`)), timeoutMs);
    const advance = (): void => {
      const step = steps[next];
      if (!step || waiting || !step.when.test(out)) return;
      waiting = true;
      setTimeout(() => {
        try {
          step.check?.(out);
        } catch (err) {
          fail(err);
          return;
        }
        child.stdin.write(step.keys);
        next++;
        waiting = false;
        advance();
      }, step.delayMs ?? 0);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      advance();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ out, code });
    });
  });
}

describe('connect --raw on a terminal', () => {
  it('connect --raw - a key reaches the service without Enter, and the terminal settings are restored afterwards', async () => {
    // The service's reply comes only if "q" arrives without a newline: in the terminal's normal (canonical)
    // mode the line discipline would hold it until Enter and this would time out.
    const line = `echo "BEFORE $(stty -g)"; node ${BIN} connect localhost onekey --raw; echo "EXIT $?"; echo "AFTER $(stty -g)"`;
    const r = await onPty(line, [{ when: /BEFORE \S+/, keys: 'q' }]);
    expect(r.out).toContain('got:71');
    expect(r.out).toMatch(/EXIT 0/);
    const before = /BEFORE (\S+)/.exec(r.out)?.[1];
    const after = /AFTER (\S+)/.exec(r.out)?.[1];
    expect(before).toMatch(/^[0-9a-f]+(:[0-9a-f]+)+$/);
    expect(after).toBe(before);
  });

  it('connect without --raw - the terminal stays in line mode: the key waits for Enter', async () => {
    const line = `echo READY; node ${BIN} connect localhost onekey; echo "EXIT $?"`;
    const r = await onPty(line, [
      { when: /READY/, keys: 'q' },
      // Enough time for meshctl to start and connect: had it put the terminal in raw mode, the reply would be
      // here by now.
      { when: /READY[\s\S]*q/, keys: '\r', delayMs: 1500, check: (out) => expect(out).not.toContain('got:') },
    ]);
    // The pty turns Enter (CR) into NL: the service sees "q\n".
    expect(r.out).toContain('got:710a');
    expect(r.out).toMatch(/EXIT 0/);
  });
});
