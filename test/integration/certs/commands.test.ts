// The `meshctl cert` commands, run through their implementations (and once through commander) with
// IOStreams over PassThrough streams, in temp directories.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { SilentError } from '../../../src/cmdutil/errors.js';
import { Factory } from '../../../src/cmdutil/factory.js';
import { defaultGlobals } from '../../../src/cmdutil/globals.js';
import { IOStreams } from '../../../src/cmdutil/io/iostreams.js';
import { run as init } from '../../../src/commands/cert/init.js';
import { run as inspect } from '../../../src/commands/cert/inspect.js';
import { run as makereq } from '../../../src/commands/cert/makereq.js';
import { run as signreq } from '../../../src/commands/cert/signreq.js';
import { MeshctlError } from '../../../src/errors.js';

/** A verb's `run(opts, f)` on a real Factory over `io`, with the exit status the CLI would give (SilentError's). */
function withFactory<O>(run: (o: O, f: Factory) => Promise<void>): (o: O, io: IOStreams) => Promise<number> {
  return (o, io) =>
    run(o, new Factory(io, defaultGlobals(), new AbortController().signal)).then(
      () => 0,
      (e: unknown) => {
        if (e instanceof SilentError) return e.exitCode;
        throw e;
      },
    );
}
const initRun = withFactory(init);
const inspectRun = withFactory(inspect);
const makereqRun = withFactory(makereq);
const signreqRun = withFactory(signreq);

interface TestIo {
  io: IOStreams;
  stdin: PassThrough;
  out: () => string;
  err: () => string;
}

function makeIo(tty = false): TestIo {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io = new IOStreams({ stdin, stdout, stderr, stdinIsTTY: tty, stdoutIsTTY: tty, stderrIsTTY: tty, env: {} });
  return { io, stdin, out: () => out, err: () => err };
}

const mode = (p: string): number => statSync(p).mode & 0o777;

let dir: string;
const p = (name: string): string => join(dir, name);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshctl-cert-cmd-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function makeCa(): Promise<void> {
  await initRun({ commonName: 'Test CA', outCert: p('ca.crt'), outKey: p('ca.key') }, makeIo().io);
}

async function makeReq(name = 'node1', extra: Record<string, unknown> = {}): Promise<void> {
  await makereqRun(
    { commonName: name, nodeId: [name], dnsName: ['localhost'], ipAddress: ['127.0.0.1'], outReq: p(`${name}.csr`), outKey: p(`${name}.key`), bits: '1024', ...extra },
    makeIo().io,
  );
}

async function inspectJson(...files: string[]): Promise<Record<string, unknown>[]> {
  const t = makeIo();
  expect(await inspectRun({ files, json: true }, t.io)).toBe(0);
  return JSON.parse(t.out()) as Record<string, unknown>[];
}

describe('cert init', () => {
  it('cert init - writes the CA certificate and a 0600 key, and says so on stderr', async () => {
    const t = makeIo();
    expect(await initRun({ commonName: 'Test CA', bits: '2048', outCert: p('ca.crt'), outKey: p('ca.key') }, t.io)).toBe(0);
    expect(mode(p('ca.key'))).toBe(0o600);
    expect(readFileSync(p('ca.key'), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(t.out()).toBe('');
    expect(t.err()).toContain(`wrote CA certificate '${p('ca.crt')}' (CN=Test CA, valid until `);
    const [info] = await inspectJson(p('ca.crt'));
    expect(info).toMatchObject({ kind: 'certificate', subject: 'CN=Test CA', isCa: true, publicKey: { algorithm: 'RSA', bits: 2048 } });
    expect(readdirSync(dir).sort()).toEqual(['ca.crt', 'ca.key']); // no temp files left
  });

  it('cert init - refuses to overwrite without --force and leaves both files untouched', async () => {
    writeFileSync(p('ca.key'), 'precious');
    const err = await initRun({ commonName: 'X', outCert: p('ca.crt'), outKey: p('ca.key') }, makeIo().io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshctlError);
    expect((err as MeshctlError).code).toBe('EBADFILE');
    expect((err as MeshctlError).message).toBe(`CA private key '${p('ca.key')}' already exists`);
    expect((err as MeshctlError).hint).toMatch(/--force/);
    expect(readFileSync(p('ca.key'), 'utf8')).toBe('precious');
    expect(existsSync(p('ca.crt'))).toBe(false);
  });

  it('cert init - --force overwrites and the key ends up 0600 even if the old file was 0644', async () => {
    writeFileSync(p('ca.key'), 'old', { mode: 0o644 });
    chmodSync(p('ca.key'), 0o644);
    await initRun({ commonName: 'X', outCert: p('ca.crt'), outKey: p('ca.key'), force: true }, makeIo().io);
    expect(readFileSync(p('ca.key'), 'utf8')).toMatch(/RSA PRIVATE KEY/);
    expect(mode(p('ca.key'))).toBe(0o600);
  });

  it('cert init - writes nothing when one target cannot be written', async () => {
    await expect(initRun({ commonName: 'X', outCert: p('ca.crt'), outKey: p('missing/ca.key') }, makeIo().io)).rejects.toThrow(
      /directory '.*missing' of --out-key does not exist/,
    );
    await expect(initRun({ commonName: 'X', outCert: p('ca.crt'), outKey: p('ca.crt') }, makeIo().io)).rejects.toThrow(
      /--out-cert and --out-key name the same file/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("cert init - accepts Receptor's key=value spelling with RFC 3339 dates", async () => {
    await initRun(
      { params: [`commonname=Receptor CA`, 'bits=1024', 'NotBefore=2030-01-01T00:00:00Z', 'notafter=2031-01-01T00:00:00+01:00', `outcert=${p('ca.crt')}`, `outkey=${p('ca.key')}`] },
      makeIo().io,
    );
    const [info] = await inspectJson(p('ca.crt'));
    expect(info).toMatchObject({ subject: 'CN=Receptor CA', notBefore: '2030-01-01T00:00:00Z', notAfter: '2030-12-31T23:00:00Z', publicKey: { bits: 1024 } });
  });

  it('cert init - usage errors quote the bad value', async () => {
    const io = makeIo().io;
    await expect(initRun({ outCert: p('a'), outKey: p('b') }, io)).rejects.toThrow('missing --common-name');
    await expect(initRun({ commonName: 'x', outCert: p('a'), outKey: p('b'), notAfter: '2030-01-01' }, io)).rejects.toThrow(
      "invalid --not-after '2030-01-01': not an RFC 3339 time",
    );
    await expect(initRun({ commonName: 'x', outCert: p('a'), outKey: p('b'), bits: 'lots' }, io)).rejects.toThrow("invalid --bits 'lots'");
    await expect(initRun({ commonName: 'x', outKey: p('b'), params: ['outcert'] }, io)).rejects.toThrow("unexpected argument 'outcert'");
    await expect(initRun({ commonName: 'x', params: ['outcrt=a'] }, io)).rejects.toThrow("unknown parameter 'outcrt' for cert init");
    await expect(initRun({ commonName: 'x', params: ['commonname=y'] }, io)).rejects.toThrow("conflicting values for commonname: 'y' and --common-name x");
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('cert makereq', () => {
  it('cert makereq - new key and a request with every name', async () => {
    const t = makeIo();
    await makereqRun(
      { commonName: 'node1', dnsName: ['localhost', 'n1.example.com'], ipAddress: ['127.0.0.1', '::1'], nodeId: ['node1'], outReq: p('n.csr'), outKey: p('n.key'), bits: '1024' },
      t.io,
    );
    expect(mode(p('n.key'))).toBe(0o600);
    expect(t.err()).toContain("(RSA 1024 bits, mode 0600)");
    const [info] = await inspectJson(p('n.csr'));
    expect(info).toMatchObject({
      kind: 'request',
      subject: 'CN=node1',
      dnsNames: ['localhost', 'n1.example.com'],
      ipAddresses: ['127.0.0.1', '::1'],
      nodeIds: ['node1'],
      publicKey: { bits: 1024 },
      signatureValid: true,
    });
  });

  it("cert makereq - Receptor's key=value spelling, repeated keys and JSON lists", async () => {
    await makereqRun(
      { params: ['bits=1024', 'commonname=x', 'dnsname=a', 'dnsname=b', 'DNSName=["c","d"]', 'nodeid=x', 'ipaddress=10.0.0.1', `outreq=${p('x.csr')}`, `outkey=${p('x.key')}`] },
      makeIo().io,
    );
    const [info] = await inspectJson(p('x.csr'));
    expect(info).toMatchObject({ dnsNames: ['a', 'b', 'c', 'd'], nodeIds: ['x'], ipAddresses: ['10.0.0.1'] });
  });

  it('cert makereq - reuses an existing key with --in-key and does not write a key', async () => {
    await makeReq('node1');
    const t = makeIo();
    await makereqRun({ commonName: 'node1', nodeId: ['node1', 'extra'], inKey: p('node1.key'), outReq: p('again.csr') }, t.io);
    expect(readdirSync(dir).sort()).toEqual(['again.csr', 'node1.csr', 'node1.key']);
    const pub = (f: string): string => execFileSync('openssl', ['req', '-in', f, '-noout', '-pubkey'], { encoding: 'utf8' });
    expect(pub(p('again.csr'))).toBe(pub(p('node1.csr')));
  });

  it('cert makereq - key options follow Receptor: exactly one of in/out key, bits only with a new key', async () => {
    const io = makeIo().io;
    const base = { commonName: 'x', nodeId: ['x'], outReq: p('x.csr') };
    await expect(makereqRun(base, io)).rejects.toThrow('missing --out-key or --in-key');
    await expect(makereqRun({ ...base, inKey: p('a'), outKey: p('b') }, io)).rejects.toThrow('--in-key and --out-key cannot be used together');
    await expect(makereqRun({ ...base, inKey: p('a'), bits: '2048' }, io)).rejects.toThrow('--bits applies only to a new key');
    await expect(makereqRun({ ...base, inKey: p('x.csr') }, io)).rejects.toThrow("--out-req '" + p('x.csr') + "' is also an input file");
    await expect(makereqRun({ ...base, inKey: p('nokey') }, io)).rejects.toThrow(`cannot read private key '${p('nokey')}': ENOENT`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('cert makereq - refuses a request without names and bad names, before making a key', async () => {
    const io = makeIo().io;
    await expect(makereqRun({ commonName: 'x', outReq: p('x.csr'), outKey: p('x.key') }, io)).rejects.toThrow('the request has no names');
    await expect(makereqRun({ commonName: 'x', ipAddress: ['localhost'], outReq: p('x.csr'), outKey: p('x.key') }, io)).rejects.toThrow(
      "invalid IP address 'localhost'",
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('cert makereq - an encrypted --in-key is refused naming the file', async () => {
    await makeReq('node1');
    execFileSync('openssl', ['rsa', '-in', p('node1.key'), '-aes256', '-passout', 'pass:pw', '-out', p('enc.key')], { stdio: 'ignore' });
    await expect(makereqRun({ commonName: 'x', nodeId: ['x'], inKey: p('enc.key'), outReq: p('x.csr') }, makeIo().io)).rejects.toThrow(
      `private key '${p('enc.key')}': private key is encrypted`,
    );
    expect(existsSync(p('x.csr'))).toBe(false);
  });
});

describe('cert signreq', () => {
  beforeEach(async () => {
    await makeCa();
    await makeReq('node1');
  });

  const signArgs = () => ({ req: p('node1.csr'), caCert: p('ca.crt'), caKey: p('ca.key'), outCert: p('node1.crt') });

  it('cert signreq - without a terminal and without --yes refuses at once and writes nothing', async () => {
    const t = makeIo(false);
    const err = await signreqRun(signArgs(), t.io).catch((e: unknown) => e as MeshctlError);
    expect(err).toBeInstanceOf(MeshctlError);
    expect((err as MeshctlError).code).toBe('EUSAGE');
    expect((err as MeshctlError).message).toBe(`refusing to sign '${p('node1.csr')}' without confirmation: no terminal to ask on`);
    expect((err as MeshctlError).hint).toMatch(/--yes/);
    expect(existsSync(p('node1.crt'))).toBe(false);
  });

  it('cert signreq - --yes signs; openssl verifies the result and it keeps the node ID', async () => {
    const t = makeIo(false);
    expect(await signreqRun({ ...signArgs(), yes: true }, t.io)).toBe(0);
    expect(t.err()).toContain(`wrote certificate '${p('node1.crt')}' (CN=node1, valid until `);
    expect(t.err()).not.toContain('Requested certificate');
    execFileSync('openssl', ['verify', '-CAfile', p('ca.crt'), p('node1.crt')], { stdio: 'ignore' });
    const [info] = await inspectJson(p('node1.crt'));
    expect(info).toMatchObject({ issuer: 'CN=Test CA', nodeIds: ['node1'], dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  });

  it("cert signreq - Receptor's key=value spelling with verify=yes and dates", async () => {
    await signreqRun(
      {
        params: [`req=${p('node1.csr')}`, `cacert=${p('ca.crt')}`, `cakey=${p('ca.key')}`, `outcert=${p('node1.crt')}`, 'verify=yes', 'notafter=2030-06-01T00:00:00Z'],
      },
      makeIo(false).io,
    );
    const [info] = await inspectJson(p('node1.crt'));
    expect(info).toMatchObject({ notAfter: '2030-06-01T00:00:00Z', nodeIds: ['node1'] });
    await expect(signreqRun({ ...signArgs(), params: ['verify=maybe'] }, makeIo(false).io)).rejects.toThrow("invalid boolean 'maybe' for verify=");
  });

  it('cert signreq - on a terminal shows the request like Receptor and signs after "yes"', async () => {
    const t = makeIo(true);
    t.stdin.end('yes\n');
    expect(await signreqRun(signArgs(), t.io)).toBe(0);
    expect(t.err()).toContain(
      [
        'Requested certificate:',
        '  Subject: CN=node1',
        '  Encryption Algorithm: RSA (1024 bits)',
        '  Signature Algorithm: SHA256-RSA',
        '  Names:',
        '    DNS Name: localhost',
        '    IP Address: 127.0.0.1',
        '    Receptor Node ID: node1',
        'Sign certificate (yes/no)? ',
      ].join('\n'),
    );
    expect(t.out()).toBe('');
    expect(existsSync(p('node1.crt'))).toBe(true);
  });

  it('cert signreq - declining (or end of input) at the prompt writes nothing and exits 1', async () => {
    for (const answer of ['no\n', '']) {
      const t = makeIo(true);
      t.stdin.end(answer);
      expect(await signreqRun(signArgs(), t.io)).toBe(1);
      expect(t.err()).toMatch(/not signed\n$/);
      expect(existsSync(p('node1.crt'))).toBe(false);
    }
  });

  it('cert signreq - refuses to overwrite the output and checks that before reading inputs', async () => {
    writeFileSync(p('node1.crt'), 'keep');
    await expect(signreqRun({ ...signArgs(), yes: true }, makeIo().io)).rejects.toThrow(`certificate '${p('node1.crt')}' already exists`);
    expect(readFileSync(p('node1.crt'), 'utf8')).toBe('keep');
    await signreqRun({ ...signArgs(), yes: true, force: true }, makeIo().io);
    expect(readFileSync(p('node1.crt'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });

  it('cert signreq - errors name the file: wrong CA key, not a request, bad key file, not a CA', async () => {
    await makeReq('other');
    await expect(signreqRun({ ...signArgs(), caKey: p('node1.csr'), yes: true }, makeIo().io)).rejects.toThrow(
      `CA private key '${p('node1.csr')}': not a PEM private key`,
    );
    await expect(signreqRun({ ...signArgs(), caCert: p('node1.csr'), yes: true }, makeIo().io)).rejects.toThrow(
      `CA certificate '${p('node1.csr')}': no 'CERTIFICATE' PEM block found`,
    );
    await signreqRun({ ...signArgs(), req: p('other.csr'), outCert: p('other.crt'), yes: true }, makeIo().io);
    await expect(signreqRun({ ...signArgs(), caCert: p('other.crt'), caKey: p('other.key'), yes: true }, makeIo().io)).rejects.toThrow(
      `CA '${p('other.crt')}': 'CN=other' is not a CA certificate`,
    );
    await expect(signreqRun({ ...signArgs(), caKey: p('other.key'), yes: true }, makeIo().io)).rejects.toThrow(
      `CA '${p('ca.crt')}': the CA key does not match the CA certificate`,
    );
    await expect(signreqRun({ ...signArgs(), req: p('ca.crt'), yes: true }, makeIo().io)).rejects.toThrow(
      `certificate request '${p('ca.crt')}': no 'CERTIFICATE REQUEST' PEM block found`,
    );
    expect(existsSync(p('node1.crt'))).toBe(false);
  });

  it('cert signreq - a tampered request is refused before any prompt', async () => {
    const pem = readFileSync(p('node1.csr'), 'utf8');
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('localhost'));
    der[at] = 'L'.charCodeAt(0);
    writeFileSync(p('bad.csr'), `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`);
    const t = makeIo(true);
    await expect(signreqRun({ ...signArgs(), req: p('bad.csr') }, t.io)).rejects.toThrow(
      `certificate request '${p('bad.csr')}': its signature does not verify`,
    );
    expect(t.err()).toBe('');
    expect(existsSync(p('node1.crt'))).toBe(false);
  });

  it('cert signreq - warns when the certificate would outlive its CA', async () => {
    const t = makeIo();
    await signreqRun({ ...signArgs(), yes: true, notAfter: '2099-01-01T00:00:00Z' }, t.io);
    expect(t.err()).toMatch(/warning: the certificate outlives its CA, which expires \d{4}-/);
  });
});

describe('cert inspect', () => {
  beforeEach(async () => {
    await makeCa();
    await makeReq('node1');
  });

  it('cert inspect - text shows subject, issuer, validity with days left and every name', async () => {
    await signreqRun({ req: p('node1.csr'), caCert: p('ca.crt'), caKey: p('ca.key'), outCert: p('node1.crt'), yes: true }, makeIo().io);
    const t = makeIo();
    await inspectRun({ files: [p('node1.crt')] }, t.io);
    const out = t.out();
    expect(out).toMatch(new RegExp(`^${p('node1.crt').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: certificate\n`));
    expect(out).toMatch(/\n {2}subject: +CN=node1\n/);
    expect(out).toMatch(/\n {2}issuer: +CN=Test CA\n/);
    expect(out).toMatch(/\n {2}valid until: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(36[456] days left\)\n/);
    expect(out).toMatch(/\n {2}node IDs: +node1\n/);
    expect(out).toMatch(/\n {2}DNS names: +localhost\n/);
    expect(out).toMatch(/\n {2}IP addresses: +127\.0\.0\.1\n/);
    expect(t.err()).toBe('');
  });

  it('cert inspect - --json prints one array covering every file and block', async () => {
    const t = makeIo();
    await inspectRun({ files: [p('ca.crt'), p('node1.csr')], json: true }, t.io);
    const doc = JSON.parse(t.out()) as Record<string, unknown>[];
    expect(doc.map((d) => [d.file, d.kind])).toEqual([
      [p('ca.crt'), 'certificate'],
      [p('node1.csr'), 'request'],
    ]);
    expect(doc[0]).toMatchObject({ isCa: true, expired: false });
    expect(typeof doc[0]!.daysLeft).toBe('number');
  });

  it('cert inspect - warns on stderr about a certificate expiring within 30 days, and an expired one', async () => {
    const soon = new Date(Date.now() + 10 * 86400_000 + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await signreqRun({ req: p('node1.csr'), caCert: p('ca.crt'), caKey: p('ca.key'), outCert: p('soon.crt'), yes: true, notAfter: soon }, makeIo().io);
    const t = makeIo();
    await inspectRun({ files: [p('soon.crt'), p('ca.crt')] }, t.io);
    expect(t.err()).toBe(`warning: certificate '${p('soon.crt')}' (CN=node1) expires in 10 days (${soon})\n`);
    const later = makeIo();
    await inspectRun({ files: [p('soon.crt')], now: new Date(Date.now() + 20 * 86400_000) }, later.io);
    expect(later.err()).toBe(`warning: certificate '${p('soon.crt')}' (CN=node1) expired on ${soon}\n`);
    expect(later.out()).toContain('(expired)');
  });

  it('cert inspect - a file with no certificate is a file error naming it', async () => {
    await expect(inspectRun({ files: [p('node1.key')] }, makeIo().io)).rejects.toThrow(
      `file '${p('node1.key')}': no certificate or certificate request found`,
    );
    await expect(inspectRun({ files: [p('nope.crt')] }, makeIo().io)).rejects.toThrow(`cannot read '${p('nope.crt')}': ENOENT`);
  });
});

describe('cert commander wiring', () => {
  async function runArgv(argv: string[], io: IOStreams): Promise<number> {
    return main(argv, io, { signals: false });
  }

  it('cert commander - flags and key=value words reach the implementation together', async () => {
    const t = makeIo();
    expect(await runArgv(['cert', 'init', '--common-name', 'CLI CA', '--bits', '1024', `outcert=${p('ca.crt')}`, '--out-key', p('ca.key')], t.io)).toBe(0);
    await runArgv(
      ['cert', 'makereq', '--common-name', 'n', '--dns-name', 'a', '--dns-name', 'b', 'dnsname=c', '--node-id', 'n', '--ip-address', '::1', '--out-req', p('n.csr'), '--out-key', p('n.key'), '--bits', '1024'],
      t.io,
    );
    await runArgv(['cert', 'signreq', '--req', p('n.csr'), '--ca-cert', p('ca.crt'), '--ca-key', p('ca.key'), '--out-cert', p('n.crt'), '-y'], t.io);
    const j = makeIo();
    expect(await runArgv(['cert', 'inspect', '--json', p('n.crt')], j.io)).toBe(0);
    expect(JSON.parse(j.out())).toMatchObject([{ issuer: 'CN=CLI CA', dnsNames: ['a', 'b', 'c'], ipAddresses: ['::1'], nodeIds: ['n'] }]);
  });

  it('cert commander - declining the prompt exits 1 with only "not signed" (the error path prints nothing more)', async () => {
    await makeCa();
    await makeReq('node1');
    const t = makeIo(true);
    t.stdin.end('no\n');
    const code = await runArgv(['cert', 'signreq', '--req', p('node1.csr'), '--ca-cert', p('ca.crt'), '--ca-key', p('ca.key'), '--out-cert', p('n.crt')], t.io);
    expect(code).toBe(1);
    expect(t.err()).toMatch(/Sign certificate \(yes\/no\)\? not signed\n$/);
    expect(t.err()).not.toContain('meshctl:');
  });
});
