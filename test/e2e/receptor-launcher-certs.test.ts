// A Receptor walkthrough's PKI made through the `receptor` launcher (issue 12: cert-init, cert-makereq and
// cert-signreq were refused as "not supported by the meshctl node"): the built binary runs the three actions as
// receptor 1.6.5 does (each alone, exit 0, nothing printed; signreq asks on stdout unless verify=yes), and the
// files it wrote then carry a mutual-TLS node started by the same launcher. Needs no receptor: the texts are checked
// against the real binary in test/interop/receptor-launcher-certs-vs-receptor.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/receptor.js';
import { BIN, ensureBuilt } from './build.js';
import { runCaptured, stopChildren, type Ran } from '../helpers/children.js';

/** Generous bound for a shared 2-core machine; it only stops a regression from hanging the suite. */
const START_BOUND_MS = 20_000;

let dir: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-e2e-launcher-certs-'));
  env = { PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`, HOME: process.env.HOME, LANG: 'C.UTF-8' };
  const r = await run(process.execPath, [BIN, 'node', 'install-launcher', path.join(dir, 'bin')]);
  if (r.code !== 0) throw new Error(`install-launcher failed (${r.code}): ${r.stderr}`);
});

afterAll(async () => {
  await stopChildren(children);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (file: string, args: string[], stdin = ''): Promise<Ran> => runCaptured(file, args, { cwd: dir, env, stdin });

const receptor = (args: string[], stdin?: string): Promise<Ran> => run('receptor', args, stdin);
const meshctl = (args: string[], stdin?: string): Promise<Ran> => run(process.execPath, [BIN, ...args], stdin);
const QUIET = { code: 0, stdout: '', stderr: '' };

describe('e2e receptor launcher certs', () => {
  it('e2e receptor launcher certs - cert-init, makereq, signreq (verify=yes and a piped yes) make a PKI that a mutual-TLS node started by the launcher runs on', async () => {
    expect(await receptor(['--cert-init', 'commonname=test CA', 'bits=2048', 'outcert=ca.crt', 'outkey=ca.key'])).toEqual(QUIET);
    expect(
      await receptor(['--cert-makereq', 'bits=2048', 'commonname=node1', 'dnsname=localhost', 'ipaddress=127.0.0.1', 'nodeid=node1', 'outreq=node1.csr', 'outkey=node1.key']),
    ).toEqual(QUIET);
    expect(await receptor(['--cert-makereq', 'bits=2048', 'commonname=client', 'nodeid=client', 'outreq=client.csr', 'outkey=client.key'])).toEqual(QUIET);
    expect(await receptor(['--cert-signreq', 'req=node1.csr', 'cacert=ca.crt', 'cakey=ca.key', 'outcert=node1.crt', 'verify=yes'])).toEqual(QUIET);
    // Without verify=yes the request is shown on stdout and the answer read from stdin.
    const asked = await receptor(['--cert-signreq', 'req=client.csr', 'cacert=ca.crt', 'cakey=ca.key', 'outcert=client.crt'], 'yes\n');
    expect(asked).toEqual({
      code: 0,
      stdout:
        'Requested certificate:\n  Subject: CN=client\n  Encryption Algorithm: RSA (2048 bits)\n  Signature Algorithm: SHA256-RSA\n  Names:\n' +
        '    Receptor Node ID: client\nSign certificate (yes/no)? ',
      stderr: '',
    });
    for (const f of ['ca.crt', 'ca.key', 'node1.csr', 'node1.key', 'node1.crt', 'client.crt']) {
      expect(statSync(path.join(dir, f)).mode & 0o077, `${f} is private (receptor writes 0600)`).toBe(0);
    }

    // The node: its control service on TCP with TLS, client certificates required and checked against the CA.
    const port = await freePort();
    const child = spawn(
      'receptor',
      [
        '--node', 'id=node1', `datadir=${path.join(dir, 'data')}`,
        '--tls-server', 'name=srv', 'cert=node1.crt', 'key=node1.key', 'requireclientcert=true', 'clientcas=ca.crt',
        '--control-service', 'service=control', `tcplisten=127.0.0.1:${port}`, 'tcptls=srv',
      ],
      { cwd: dir, env },
    );
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + START_BOUND_MS;
    while (!out.includes('Initialization complete')) {
      if (child.exitCode !== null) throw new Error(`receptor (launcher) exited ${child.exitCode}: ${out}`);
      if (Date.now() > deadline) throw new Error(`no Initialization complete after ${START_BOUND_MS} ms: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const addr = `tls://127.0.0.1:${port}`;
    const status = await meshctl(['-s', addr, '--rootcas', 'ca.crt', '--cert', 'client.crt', '--key', 'client.key', 'status', '--json']);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { NodeID: string }).NodeID).toBe('node1');
    // The same CA refuses a client without its certificate: the files are the ones in use, not a fallback.
    const anonymous = await meshctl(['-s', addr, '--rootcas', 'ca.crt', 'status']);
    expect(anonymous.code).toBe(4);

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it("e2e receptor launcher certs - receptor -c FILE (the fast path) runs a YAML cert-init and exits 0; with a node section it is receptor's Exclusive error", async () => {
    const only = path.join(dir, 'init.yml');
    await writeFile(only, '- cert-init:\n    commonname: yaml CA\n    bits: 2048\n    outcert: yca.crt\n    outkey: yca.key\n');
    expect(await receptor(['-c', only])).toEqual(QUIET);
    expect(statSync(path.join(dir, 'yca.crt')).isFile()).toBe(true);
    const mixed = path.join(dir, 'mixed.yml');
    await writeFile(mixed, '- node:\n    id: foo\n- cert-init:\n    commonname: yaml CA\n    bits: 2048\n    outcert: yca.crt\n    outkey: yca.key\n');
    const r = await receptor(['-c', mixed]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Error: .*cannot specify any other options with cert-init\n$/);
  });

  it("e2e receptor launcher certs - signreq with stdin at its end: receptor's question, then Error: EOF on the same line, exit 1, no certificate", async () => {
    const r = await receptor(['--cert-signreq', 'req=node1.csr', 'cacert=ca.crt', 'cakey=ca.key', 'outcert=eof.crt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith('\nSign certificate (yes/no)? Error: EOF\n')).toBe(true);
    expect(() => statSync(path.join(dir, 'eof.crt'))).toThrow(/ENOENT/);
  });

  it("e2e receptor launcher certs - meshctl node's own form: the same actions, the question on stderr, errors as meshctl's one line with a hint, exit 2", async () => {
    expect(await meshctl(['node', '--cert-init', 'commonname=m CA', 'bits=2048', 'outcert=m.crt', 'outkey=m.key'])).toEqual(QUIET);
    const declined = await meshctl(['node', '--cert-signreq', 'req=node1.csr', 'cacert=m.crt', 'cakey=m.key', 'outcert=m1.crt'], 'no\n');
    expect(declined.code).toBe(2);
    expect(declined.stdout).toBe('');
    expect(declined.stderr).toMatch(/^Requested certificate:\n[\s\S]*Sign certificate \(yes\/no\)\? meshctl: user declined \(hint: answer yes to sign it\)\n$/);
    const missing = await meshctl(['node', '--cert-init', 'commonname=x', 'outcert=a', 'outkey=b']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^meshctl: argv: --cert-init: required parameter missing: bits/);
  });
});
