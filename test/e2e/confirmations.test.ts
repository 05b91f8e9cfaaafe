// Issue 11's smaller gaps on the built binary, piped and on a real pseudo-terminal (script):
// - the receptor spelling of `meshctl cert` runs a receptor cert script twice (it refused to overwrite, and
//   refused the piped `echo yes`), and key generation shows progress (it sat silent for seconds);
// - `work release --all` asks on a terminal and needs --yes without one (it deleted everything without asking);
// - `meshctl version` prints meshctl's version with the node down, then the error (it printed only the error);
// - `connect NODE nosuch` names the node and the service.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/control-client.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { BIN, ROOT } from './build.js';

const ENV = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', NO_COLOR: '1' };
const MESHCTL = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;

let dir: string;
let node: TestNode | undefined;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshctl-e2e-confirm-'));
});

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await node?.close();
  node = undefined;
  rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program piped (no terminal anywhere), feeding `input` on stdin; never blocks this process's event loop
 *  (the test node may live in it). */
function runPiped(file: string, args: string[], input = ''): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: dir, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(input);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A shell script with meshctl defined as a function. */
function sh(script: string): Promise<Ran> {
  return runPiped('sh', ['-ec', `meshctl() { ${MESHCTL} "$@"; }\n${script}`]);
}

function meshctl(args: string[], input = ''): Promise<Ran> {
  return runPiped(process.execPath, [BIN, ...args], input);
}

interface Pty {
  output(): string;
  type(text: string): void;
  exited: Promise<number | null>;
}

/** `meshctl ARGS` on a new 80x24 pseudo-terminal (script -e: its exit status is meshctl's); `type` types keys. */
function onTerminal(args: string[]): Pty {
  const command = `stty cols 80 rows 24; exec ${MESHCTL} ${args.map((a) => JSON.stringify(a)).join(' ')}`;
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir, env: { ...ENV, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      resolve(code);
    }),
  );
  void exited.then(() => child.stdin!.destroy());
  return { output: () => out, type: (text) => child.stdin!.write(text), exited };
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// The shape of a published Mesh Ingress cert script, run at every container start, in receptor's spelling.
const CERT_SCRIPT = `
meshctl cert init commonname="Mesh CA" bits=2048 outcert=ca.crt outkey=ca.key
meshctl cert makereq bits=2048 commonname=ingress dnsname=ingress.example nodeid=ingress outreq=ingress.csr outkey=ingress.key
echo yes | meshctl cert signreq req=ingress.csr cacert=ca.crt cakey=ca.key outcert=ingress.crt
`;

describe('e2e - cert in receptor spelling', () => {
  it('e2e - a receptor cert script runs twice: the second run overwrites, `echo yes |` signs (was: refused both)', async () => {
    const first = await sh(CERT_SCRIPT);
    expect(first.code, first.stderr).toBe(0);
    const key = readFileSync(join(dir, 'ingress.key'), 'utf8');
    const second = await sh(CERT_SCRIPT);
    expect(second.code, second.stderr).toBe(0);
    expect(readFileSync(join(dir, 'ingress.key'), 'utf8')).not.toBe(key);
    expect(second.stdout).toBe('');
    // Progress for each key made, the request shown before the piped answer, what was written.
    expect(second.stderr.match(/^generating a 2048-bit RSA key…$/gm)).toHaveLength(2);
    expect(second.stderr).toContain('Sign certificate (yes/no)? ');
    expect(second.stderr).toContain("wrote certificate 'ingress.crt' (CN=ingress, valid until ");
    const check = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'ingress.crt')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });

  it('e2e - the flag spelling still refuses to overwrite without --force and a piped yes without --yes', async () => {
    expect((await sh(CERT_SCRIPT)).code).toBe(0);
    const init = await meshctl(['cert', 'init', '--common-name', 'CA', '--out-cert', 'ca.crt', '--out-key', 'ca.key']);
    expect(init.code).toBe(2);
    expect(init.stderr).toBe("meshctl: CA certificate 'ca.crt' already exists (hint: pass --force to overwrite it)\n");
    const sign = await meshctl(['cert', 'signreq', '--req', 'ingress.csr', '--ca-cert', 'ca.crt', '--ca-key', 'ca.key', '--out-cert', 'new.crt'], 'yes\n');
    expect(sign.code).toBe(2);
    expect(sign.stderr).toMatch(/^meshctl: refusing to sign 'ingress\.csr' without confirmation: no terminal to ask on/);
  });

  it('e2e - on a terminal, key generation is a spinner, not a line, and the receptor spelling still asks before signing', async () => {
    const init = onTerminal(['cert', 'init', '--common-name', 'CA', '--bits', '2048', '--out-cert', 'ca.crt', '--out-key', 'ca.key']);
    expect(await init.exited, init.output()).toBe(0);
    expect(init.output()).not.toMatch(/(^|\n)generating a 2048-bit RSA key…\r?\n/);
    expect(init.output()).toContain("wrote CA certificate 'ca.crt'");
    expect((await meshctl(['cert', 'makereq', 'bits=2048', 'commonname=n', 'nodeid=n', 'outreq=n.csr', 'outkey=n.key'])).code).toBe(0);
    const sign = onTerminal(['cert', 'signreq', 'req=n.csr', 'cacert=ca.crt', 'cakey=ca.key', 'outcert=n.crt']);
    await until('the question', () => sign.output().includes('Sign certificate (yes/no)? '));
    sign.type('yes\n');
    expect(await sign.exited, sign.output()).toBe(0);
    expect(readFileSync(join(dir, 'n.crt'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });
});

describe('e2e - work release --all', () => {
  async function nodeWithUnits(n: number): Promise<TestNode> {
    const t = await startTestNode({ nodeId: 'relnode', workCommands: [{ worktype: 'cat', command: 'cat' }] });
    const c = new ControlClient({ address: t.socketPath });
    try {
      for (let i = 0; i < n; i++) await c.workSubmit({ workType: 'cat' }, `u${i}\n`);
    } finally {
      await c.close();
    }
    return t;
  }

  async function unitCount(socket: string): Promise<number> {
    const c = new ControlClient({ address: socket });
    try {
      return Object.keys(await c.workList()).length;
    } finally {
      await c.close();
    }
  }

  it('e2e - piped without --yes it refuses, exit 2, and releases nothing; with --yes it releases all (was: released all unasked)', async () => {
    node = await nodeWithUnits(2);
    const refused = await meshctl(['-s', node.socketPath, 'work', 'release', '--all']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      'meshctl: refusing to release every work unit without confirmation: no terminal to ask on (hint: pass --yes to release them all, or name the unit ids)\n',
    );
    expect(await unitCount(node.socketPath)).toBe(2);
    const yes = await meshctl(['-s', node.socketPath, 'work', 'release', '--all', '--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(await unitCount(node.socketPath)).toBe(0);
  });

  it('e2e - on a terminal it asks: no keeps every unit (exit 1), yes releases them', async () => {
    node = await nodeWithUnits(2);
    const no = onTerminal(['-s', node.socketPath, 'work', 'release', '--all']);
    await until('the question', () => no.output().includes("release all 2 work units of node 'relnode', deleting their output (yes/no)? "));
    no.type('no\n');
    expect(await no.exited, no.output()).toBe(1);
    expect(no.output()).toContain('nothing released');
    expect(await unitCount(node.socketPath)).toBe(2);
    const yes = onTerminal(['-s', node.socketPath, 'work', 'release', '--all']);
    await until('the question', () => yes.output().includes('(yes/no)? '));
    yes.type('yes\n');
    expect(await yes.exited, yes.output()).toBe(0);
    expect(await unitCount(node.socketPath)).toBe(0);
  });
});

describe('e2e - errors that name what was involved', () => {
  it("e2e - version with the node down prints meshctl's version on stdout, then the error, exit 3 (was: only the error)", async () => {
    const r = await meshctl(['-s', join(dir, 'gone.sock'), 'version']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^meshctl\t\d+\.\d+\.\d+\S*\n$/);
    expect(r.stderr).toBe(`meshctl: socket '${join(dir, 'gone.sock')}' does not exist (hint: is the node running? check the control-service filename)\n`);
  });

  it("e2e - connect NODE nosuch names the node and the service, exit 5 (was: 'service unknown')", async () => {
    node = await startTestNode({ nodeId: 'errnode' });
    const r = await meshctl(['-s', node.socketPath, 'connect', 'errnode', 'nosuch']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      "meshctl: connect to service 'nosuch' on node 'errnode': service unknown (hint: check the service name: `meshctl status` lists each node's services)\n",
    );
  });
});
