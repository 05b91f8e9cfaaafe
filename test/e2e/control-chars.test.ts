// A work unit whose ID carries terminal escapes, created on `meshctl node` (the built binary, a child process)
// through the JSON form of submit with a requested workUnitID. `meshctl work list` piped and on a terminal shows
// the escaped form and no raw ESC; --json and --yaml give the exact ID; the node's log line for the submit has no
// raw ESC. Regression for issue 10: such IDs were printed raw by `work list` and in node logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RawConn } from '../integration/node/raw-client.js';
import { BIN, ensureBuilt, ROOT } from './build.js';

// Clears the screen, sets the window title (OSC ... BEL), a C1 CSI, a bidi override and a CR.
const EVIL = 'evil\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202ex\ry';
// The same, as meshctl shows it (written out by hand).
const SHOWN = 'evil\\x1b[2J\\x1b]0;pwned\\a\\u009b31m\\u202ex\\ry';
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/; // what may not appear (tab and newline are layout)

let dir: string;
let sock: string;
let nodeProc: ChildProcess;
let nodeLog = '';

interface Result {
  code: number | null;
  out: string;
  err: string;
}

const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', MESHCTL_SOCKET: sock });

function meshctl(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** `meshctl ARGS` on a pseudo-terminal (script(1)); the pty turns `\n` into `\r\n`, undone here. */
function meshctlOnTty(args: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args}`, '/dev/null'], { cwd: ROOT, env: env() });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: out.replace(/\r\n/g, '\n'), err: '' }));
  });
}

async function waitFor(pred: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; node log:\n${nodeLog}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-e2e-ctl-'));
  sock = path.join(dir, 'node.sock');
  const cfg = path.join(dir, 'node.yaml');
  await writeFile(
    cfg,
    [
      '- node:',
      '    id: ccnode',
      `    datadir: ${JSON.stringify(path.join(dir, 'data'))}`,
      '- log-level: info',
      '- control-service:',
      `    filename: ${JSON.stringify(sock)}`,
      '- work-command:',
      '    worktype: cat',
      '    command: cat',
      '',
    ].join('\n'),
  );
  nodeProc = spawn(process.execPath, [BIN, 'node', '-c', cfg], { cwd: ROOT, env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  nodeProc.stderr!.on('data', (d: Buffer) => (nodeLog += d.toString('utf8')));
  await waitFor(() => nodeLog.includes('Initialization complete') && existsSync(sock), 'the node to start');

  // The JSON form of submit, with the ID asked for (Receptor's workUnitID).
  const c = await RawConn.connect(sock);
  c.send(JSON.stringify({ command: 'work', subcommand: 'submit', node: 'localhost', worktype: 'cat', workUnitID: EVIL }) + '\n');
  const created = await c.readLine();
  expect(created).toBe(`Work unit created with ID ${EVIL}. Send stdin data and EOF.`);
  c.send('hello\n');
  c.end();
  expect(JSON.parse(await c.readLine(20_000))).toEqual({ result: 'Job Started', unitid: EVIL });
  c.close();
  await waitFor(() => nodeLog.includes('work unit of type cat submitted'), 'the submit log line');
}, 60_000);

afterAll(async () => {
  if (nodeProc && nodeProc.exitCode === null) {
    const exited = new Promise((r) => nodeProc.once('close', r));
    nodeProc.kill('SIGTERM');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('e2e - control characters in peer data', () => {
  it('e2e - control characters: work list piped shows the escaped ID, no raw ESC', async () => {
    const r = await meshctl(['work', 'list']);
    expect(r.code, r.err).toBe(0);
    const line = r.out.split('\n').find((l) => l.startsWith('evil'));
    expect(line).toBeDefined();
    expect(line!.split('\t')[0]).toBe(SHOWN);
    expect(r.out).not.toMatch(RAW);
    const q = await meshctl(['work', 'list', '-q']);
    expect(q.out).toBe(`${SHOWN}\n`);
  });

  it('e2e - control characters: work list on a terminal shows the escaped ID; the only ESC are its own colours', async () => {
    const r = await meshctlOnTty('work list');
    expect(r.code).toBe(0);
    expect(r.out).toContain(SHOWN);
    expect(r.out).toContain('\u001b[1m'); // it is a colour terminal
    expect(r.out.replace(/\u001b\[\d+m/g, '')).not.toMatch(RAW);
  });

  it('e2e - control characters: --json and --yaml carry the exact ID with no raw control character', async () => {
    const [json, yaml] = await Promise.all([meshctl(['work', 'list', '--json']), meshctl(['work', 'list', '--yaml'])]);
    expect(Object.keys(JSON.parse(json.out) as object)).toEqual([EVIL]);
    expect(Object.keys(parseYaml(yaml.out) as object)).toEqual([EVIL]);
    expect(json.out).not.toMatch(RAW);
    expect(yaml.out).not.toMatch(RAW);
  });

  it('e2e - control characters: an error line quoting a unit ID is escaped too', async () => {
    const r = await meshctl(['work', 'status', 'nope\u001b[2J\u009b']);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/^meshctl: unknown work unit nope\\x1b\[2J\\u009b \(hint: /);
    expect(r.err).not.toMatch(RAW);
  });

  it("e2e - control characters: the node's log line for the submit has the escaped ID and no raw ESC", () => {
    const line = nodeLog.split('\n').find((l) => l.includes('work unit of type cat submitted'));
    expect(line).toMatch(new RegExp(`^INFO \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\[${SHOWN.replace(/[\\[\]]/g, '\\$&')}\\] work unit of type cat submitted \\{"node_id":"[^"]+"\\}$`));
    expect(nodeLog).not.toMatch(RAW);
  });
});
