// Receptor's certificate actions (cert-init, cert-makereq, cert-signreq) through the `receptor` launcher against the
// real receptor 1.6.5 (issue 12: the launcher refused them). The same command lines run in two working directories,
// one per program: stdout, stderr and the exit status must be identical, and the files each one writes must be
// usable by the other (each signs the other's request; openssl verifies every chain) and hold the same fields.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshctlBin, requirePeers, runMeshctl, runProgram } from '../helpers/receptor.js';

let dir: string;
let launcher: string;
let realReceptor: string;
/** Working directories: r for receptor, m for the launcher. */
let rDir: string;
let mDir: string;

beforeAll(async () => {
  realReceptor = requirePeers().receptor;
  if (!existsSync(path.join(meshctlBin(), '..', '..', 'dist', 'cli-bundle', 'main.cjs'))) throw new Error('meshctl is not built: run `npm run build`');
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-interop-launcher-certs-'));
  const r = await runMeshctl(['node', 'install-launcher', path.join(dir, 'bin')]);
  if (r.exitCode !== 0) throw new Error(`install-launcher failed (${r.exitCode}): ${r.stderr}`);
  launcher = path.join(dir, 'bin', 'receptor');
  rDir = path.join(dir, 'r');
  mDir = path.join(dir, 'm');
  await mkdir(rDir);
  await mkdir(mDir);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface View {
  exit: number | null;
  stdout: string;
  stderr: string;
}

async function both(args: string[], stdin = ''): Promise<{ real: View; ours: View }> {
  const [real, ours] = await Promise.all([
    runProgram(realReceptor, args, { cwd: rDir, stdin, timeoutMs: 60_000 }),
    runProgram(launcher, args, { cwd: mDir, stdin, timeoutMs: 60_000 }),
  ]);
  const view = (r: typeof real): View => ({ exit: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr });
  return { real: view(real), ours: view(ours) };
}

/** Go's map order makes cmdline list several missing keys in any rotation: compare them as a set. */
function sortMissing(v: View): View {
  return { ...v, stdout: v.stdout.replace(/(required parameters missing: )(.*)/, (_m, head: string, list: string) => head + list.split(', ').sort().join(', ')) };
}

const openssl = (args: string[], cwd: string): string => execFileSync('openssl', args, { cwd, encoding: 'utf8' });

/** The fields both programs decide (not serial, dates, keys or signature). */
function fields(cwd: string, file: string): Record<string, string> {
  const text = openssl(['x509', '-in', file, '-noout', '-text'], cwd);
  const grab = (label: string) => new RegExp(`${label}: ?(?:critical)?\\s*\\n\\s*(.*)`).exec(text)?.[1]?.trim() ?? '';
  return {
    subject: openssl(['x509', '-in', file, '-noout', '-subject'], cwd).trim(),
    issuer: openssl(['x509', '-in', file, '-noout', '-issuer'], cwd).trim(),
    keyUsage: grab('X509v3 Key Usage'),
    extKeyUsage: grab('X509v3 Extended Key Usage'),
    basicConstraints: grab('X509v3 Basic Constraints'),
    san: grab('X509v3 Subject Alternative Name'),
    signature: /Signature Algorithm: (.*)/.exec(text)?.[1] ?? '',
  };
}

const INIT = ['--cert-init', 'commonname=test CA', 'bits=2048', 'outcert=ca.crt', 'outkey=ca.key'];
const MAKEREQ = ['--cert-makereq', 'bits=2048', 'commonname=node1', 'dnsname=localhost', 'ipaddress=127.0.0.1', 'nodeid=node1', 'outreq=node1.csr', 'outkey=node1.key'];
const SIGN = (out: string, ...extra: string[]) => ['--cert-signreq', 'req=node1.csr', 'cacert=ca.crt', 'cakey=ca.key', `outcert=${out}`, ...extra];

/** The PKI the cases read, made once by both programs (any case may run first, or alone with -t). */
let made: Promise<[string[], { real: View; ours: View }][]> | undefined;
function makePki(): Promise<[string[], { real: View; ours: View }][]> {
  made ??= (async () => {
    const out: [string[], { real: View; ours: View }][] = [];
    for (const args of [INIT, MAKEREQ, SIGN('node1.crt', 'verify=yes')]) out.push([args, await both(args)]);
    return out;
  })();
  return made;
}

describe('interop receptor launcher certs', () => {
  beforeAll(async () => {
    await makePki();
  });

  it('interop receptor launcher certs - init, makereq, signreq verify=yes: same (silent) output and exit 0, files 0600 on both sides', async () => {
    for (const [args, { real, ours }] of await makePki()) {
      expect(ours, args.join(' ')).toEqual(real);
      expect(real.exit).toBe(0);
    }
    for (const f of ['ca.crt', 'ca.key', 'node1.csr', 'node1.key', 'node1.crt']) {
      expect((statSync(path.join(mDir, f)).mode & 0o777).toString(8), f).toBe((statSync(path.join(rDir, f)).mode & 0o777).toString(8));
    }
  });

  it("interop receptor launcher certs - each program's chain verifies with openssl, and the certificates hold the same fields", () => {
    for (const cwd of [rDir, mDir]) expect(openssl(['verify', '-CAfile', 'ca.crt', 'node1.crt'], cwd).trim()).toBe('node1.crt: OK');
    expect(fields(mDir, 'ca.crt')).toEqual(fields(rDir, 'ca.crt'));
    expect(fields(mDir, 'node1.crt')).toEqual(fields(rDir, 'node1.crt'));
    expect(fields(rDir, 'node1.crt')).toMatchObject({
      keyUsage: 'Digital Signature',
      extKeyUsage: 'TLS Web Client Authentication, TLS Web Server Authentication',
      san: 'DNS:localhost, IP Address:127.0.0.1, othername: 1.3.6.1.4.1.2312.19.1::node1',
    });
    expect(fields(rDir, 'ca.crt')).toMatchObject({ basicConstraints: 'CA:TRUE', keyUsage: 'Digital Signature, Certificate Sign' });
  });

  it("interop receptor launcher certs - each signs the other's request with its own CA, and reuses the other's key (inkey)", async () => {
    const crossed = path.join(dir, 'x');
    await mkdir(crossed, { recursive: true });
    const sign = (program: string, caDir: string, reqDir: string, out: string) =>
      runProgram(program, ['--cert-signreq', `req=${path.join(reqDir, 'node1.csr')}`, `cacert=${path.join(caDir, 'ca.crt')}`, `cakey=${path.join(caDir, 'ca.key')}`, `outcert=${out}`, 'verify=yes'], { cwd: crossed });
    const byReceptor = await sign(realReceptor, rDir, mDir, 'r-signed-m.crt');
    const byLauncher = await sign(launcher, mDir, rDir, 'm-signed-r.crt');
    expect([byReceptor.exitCode, byReceptor.stdout.toString()]).toEqual([0, '']);
    expect([byLauncher.exitCode, byLauncher.stdout.toString()]).toEqual([0, '']);
    expect(openssl(['verify', '-CAfile', path.join(rDir, 'ca.crt'), 'r-signed-m.crt'], crossed).trim()).toBe('r-signed-m.crt: OK');
    expect(openssl(['verify', '-CAfile', path.join(mDir, 'ca.crt'), 'm-signed-r.crt'], crossed).trim()).toBe('m-signed-r.crt: OK');
    // A key written by one program makes a request with the other.
    for (const [program, keyDir] of [[realReceptor, mDir], [launcher, rDir]] as const) {
      const r = await runProgram(program, ['--cert-makereq', 'commonname=again', 'nodeid=again', `inkey=${path.join(keyDir, 'node1.key')}`, 'outreq=again.csr'], { cwd: crossed });
      expect([r.exitCode, r.stdout.toString()], program).toEqual([0, '']);
      const pub = (f: string, cwd: string, kind: 'req' | 'rsa') =>
        kind === 'req' ? openssl(['req', '-in', f, '-noout', '-pubkey'], cwd) : openssl(['rsa', '-in', f, '-pubout'], cwd);
      expect(pub('again.csr', crossed, 'req')).toBe(pub(path.join(keyDir, 'node1.key'), crossed, 'rsa'));
    }
  });

  it("interop receptor launcher certs - receptor's -c FILE form: a YAML cert-makereq with a name list, then a YAML signreq, same output and fields", async () => {
    for (const d of [rDir, mDir]) {
      await writeFile(path.join(d, 'req.yml'), '- cert-makereq:\n    commonname: n3\n    bits: 2048\n    dnsname: [a.example, b.example]\n    nodeid: n3\n    outreq: n3.csr\n    outkey: n3.key\n');
      await writeFile(path.join(d, 'sign.yml'), '- cert-signreq:\n    req: n3.csr\n    cacert: ca.crt\n    cakey: ca.key\n    outcert: n3.crt\n    verify: true\n');
    }
    for (const file of ['req.yml', 'sign.yml']) {
      const { real, ours } = await both(['-c', file]);
      expect(ours, file).toEqual(real);
      expect(real.exit).toBe(0);
    }
    expect(fields(mDir, 'n3.crt')).toEqual(fields(rDir, 'n3.crt'));
  });

  // The question and every answer Scanln treats differently.
  const ANSWERS: [string, string][] = [
    ['yes', 'yes\n'],
    ['Y without a newline', 'Y'],
    ['no', 'no\n'],
    ['end of input', ''],
    ['an empty line', '\n'],
    ['two words', 'yes please\n'],
  ];
  for (const [what, stdin] of ANSWERS) {
    it(`interop receptor launcher certs - signreq's question answered with ${what}: same stdout, stderr and exit status`, async () => {
      const { real, ours } = await both(SIGN(`answer-${ANSWERS.findIndex((a) => a[0] === what)}.crt`), stdin);
      expect(ours).toEqual(real);
      expect(real.stdout).toContain('Sign certificate (yes/no)? ');
    });
  }

  const SAME: [string, string[]][] = [
    ['a missing required key', ['--cert-init', 'commonname=x', 'outcert=a.crt', 'outkey=a.key']],
    ['every required key missing', ['--cert-init']],
    ['an unknown key', ['--cert-init', 'commonname=x', 'bits=2048', 'outcert=a.crt', 'outkey=a.key', 'bogus=1']],
    ['a bad int', ['--cert-init', 'commonname=x', 'bits=abc', 'outcert=a.crt', 'outkey=a.key']],
    ['an empty common name', ['--cert-init', 'commonname=', 'bits=2048', 'outcert=a.crt', 'outkey=a.key']],
    ['a node section after it', [...INIT, '--node', 'id=x']],
    ['a node section before it', ['--node', 'id=x', ...INIT]],
    ['a second action', [...INIT, '--cert-signreq', 'req=a', 'cacert=b', 'cakey=c', 'outcert=d']],
    ['an unknown section after it', [...INIT, '--tcp-listner', 'port=0']],
    ['makereq without a key', ['--cert-makereq', 'commonname=n', 'dnsname=x', 'outreq=x.csr']],
    ['makereq with both keys', ['--cert-makereq', 'commonname=n', 'dnsname=x', 'outreq=x.csr', 'outkey=x.key', 'inkey=node1.key']],
    ['makereq with bits and inkey', ['--cert-makereq', 'commonname=n', 'bits=2048', 'outreq=x.csr', 'inkey=node1.key']],
    ['makereq with outkey and no bits', ['--cert-makereq', 'commonname=n', 'outreq=x.csr', 'outkey=x.key']],
    ['makereq with a bad IP address', ['--cert-makereq', 'commonname=n', 'ipaddress=1.2.3.x', 'outreq=x.csr', 'inkey=node1.key']],
    ['makereq with a missing key file', ['--cert-makereq', 'commonname=n', 'outreq=x.csr', 'inkey=nokey.key']],
    ['signreq with a missing request', SIGN('x.crt', 'verify=yes').map((w) => (w === 'req=node1.csr' ? 'req=nope.csr' : w))],
    ['signreq with a request as CA certificate', SIGN('x.crt', 'verify=yes').map((w) => (w === 'cacert=ca.crt' ? 'cacert=node1.csr' : w))],
    ['signreq into a missing directory', SIGN('missing/x.crt', 'verify=yes')],
    ['signreq with a bad verify', SIGN('x.crt', 'verify=maybe')],
    ['signreq with a date that is no RFC 3339', SIGN('x.crt', 'verify=yes', 'notafter=tomorrow')],
    ['signreq with a date without its time', SIGN('x.crt', 'verify=yes', 'notafter=2030-01-01')],
    ['init with a month out of range', [...INIT.slice(0, 3), 'outcert=z.crt', 'outkey=z.key', 'notafter=2030-13-01T00:00:00Z']],
  ];
  for (const [what, args] of SAME) {
    it(`interop receptor launcher certs - ${what}: same stdout, stderr and exit status as receptor 1.6.5`, async () => {
      const { real, ours } = await both(args);
      expect(sortMissing(ours)).toEqual(sortMissing(real));
      expect(real.exit).toBe(1);
    });
  }
});
