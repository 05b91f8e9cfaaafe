// `meshctl cert` in Receptor's key=value spelling behaves as `receptor --cert-*` (issue 11): it overwrites its
// outputs (Receptor writes them with os.WriteFile) and signreq takes a piped answer (Receptor reads it with
// fmt.Scanln whatever stdin is), so a cert script written for receptor, run at every container start, works on
// its second run. The flag spelling keeps meshctl's rules (--force, --yes). Key generation shows progress on
// stderr. Real files in temp directories; IOStreams over PassThrough streams, piped or "terminal".
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SilentError } from '../../../src/cmdutil/errors.js';
import { Factory } from '../../../src/cmdutil/factory.js';
import { defaultGlobals } from '../../../src/cmdutil/globals.js';
import { IOStreams } from '../../../src/cmdutil/io/iostreams.js';
import { run as init } from '../../../src/commands/cert/init.js';
import { run as makereq } from '../../../src/commands/cert/makereq.js';
import { run as signreq } from '../../../src/commands/cert/signreq.js';
import { MeshctlError } from '../../../src/errors.js';

interface TestIo {
  io: IOStreams;
  stdin: PassThrough;
  out: () => string;
  err: () => string;
}

/** piped: no terminal anywhere; terminal: stdin, stdout and stderr are terminals and a spinner may draw. */
function makeIo(kind: 'piped' | 'terminal' = 'piped', stdinText?: string): TestIo {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  if (stdinText !== undefined) stdin.end(stdinText);
  const tty = kind === 'terminal';
  // A terminal has a width: the spinner draws only on one at least 20 columns wide (src/cmdutil/io/spinner.ts).
  const columns = tty ? 80 : undefined;
  const io = new IOStreams({ stdin, stdout, stderr, stdinIsTTY: tty, stdoutIsTTY: tty, stderrIsTTY: tty, stdoutColumns: columns, stderrColumns: columns, env: {} });
  return { io, stdin, out: () => out, err: () => err };
}

/** A verb's run(opts, f) on a real Factory, with the exit status the CLI would give. */
async function runVerb<O>(verb: (o: O, f: Factory) => Promise<void>, o: O, t: TestIo): Promise<number> {
  const f = new Factory(t.io, defaultGlobals(), new AbortController().signal);
  try {
    await verb(o, f);
    return 0;
  } catch (e) {
    if (e instanceof SilentError) return e.exitCode;
    throw e;
  } finally {
    await f.close();
  }
}

let dir: string;
const p = (name: string): string => join(dir, name);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshctl-cert-rs-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const initParams = () => ['commonname=Mesh CA', 'bits=1024', `outcert=${p('ca.crt')}`, `outkey=${p('ca.key')}`];
const makereqParams = () => ['bits=1024', 'commonname=ingress', 'dnsname=localhost', 'nodeid=ingress', `outreq=${p('n.csr')}`, `outkey=${p('n.key')}`];
const signreqParams = () => [`req=${p('n.csr')}`, `cacert=${p('ca.crt')}`, `cakey=${p('ca.key')}`, `outcert=${p('n.crt')}`];

describe('cert receptor spelling', () => {
  it("cert receptor spelling - the same init/makereq/signreq script runs twice: the second run overwrites every file (was: 'already exists')", async () => {
    const seen: Record<string, string>[] = [];
    for (let round = 0; round < 2; round++) {
      expect(await runVerb(init, { params: initParams() }, makeIo())).toBe(0);
      expect(await runVerb(makereq, { params: makereqParams() }, makeIo())).toBe(0);
      expect(await runVerb(signreq, { params: [...signreqParams(), 'verify=yes'] }, makeIo())).toBe(0);
      seen.push(Object.fromEntries(['ca.crt', 'ca.key', 'n.csr', 'n.key', 'n.crt'].map((n) => [n, readFileSync(p(n), 'utf8')])));
    }
    // New keys, new certificates: every file was replaced, none kept.
    for (const name of Object.keys(seen[0]!)) expect(seen[1]![name], name).not.toBe(seen[0]![name]);
  });

  it("cert receptor spelling - signreq takes a piped 'yes' (any case, spaces around), shows the request on stderr, nothing on stdout", async () => {
    await runVerb(init, { params: initParams() }, makeIo());
    await runVerb(makereq, { params: makereqParams() }, makeIo());
    for (const answer of ['yes\n', 'YES\n', ' y \n', 'yes']) {
      rmSync(p('n.crt'), { force: true });
      const t = makeIo('piped', answer);
      expect(await runVerb(signreq, { params: signreqParams() }, t), JSON.stringify(answer)).toBe(0);
      expect(t.err()).toContain('Requested certificate:\n  Subject: CN=ingress\n');
      expect(t.err()).toContain('    Receptor Node ID: ingress\nSign certificate (yes/no)? ');
      expect(t.out()).toBe('');
      expect(existsSync(p('n.crt'))).toBe(true);
    }
  });

  it("cert receptor spelling - signreq with a piped 'no' or no answer at all signs nothing and exits 1, as receptor does", async () => {
    await runVerb(init, { params: initParams() }, makeIo());
    await runVerb(makereq, { params: makereqParams() }, makeIo());
    for (const answer of ['no\n', '']) {
      const t = makeIo('piped', answer);
      expect(await runVerb(signreq, { params: signreqParams() }, t)).toBe(1);
      expect(t.err()).toMatch(/Sign certificate \(yes\/no\)\? not signed\n$/);
      expect(existsSync(p('n.crt'))).toBe(false);
    }
  });

  it("cert flag spelling - keeps refusing to overwrite without --force, and a piped 'yes' without --yes", async () => {
    await runVerb(init, { commonName: 'CA', bits: '1024', outCert: p('ca.crt'), outKey: p('ca.key') }, makeIo());
    const again = await runVerb(init, { commonName: 'CA', bits: '1024', outCert: p('ca.crt'), outKey: p('ca.key') }, makeIo()).catch((e: unknown) => e);
    expect((again as MeshctlError).message).toBe(`CA certificate '${p('ca.crt')}' already exists`);
    await runVerb(makereq, { commonName: 'n', nodeId: ['n'], bits: '1024', outReq: p('n.csr'), outKey: p('n.key') }, makeIo());
    writeFileSync(p('n.key'), 'keep');
    const mk = await runVerb(makereq, { commonName: 'n', nodeId: ['n'], bits: '1024', outReq: p('n2.csr'), outKey: p('n.key') }, makeIo()).catch((e: unknown) => e);
    expect((mk as MeshctlError).message).toBe(`private key '${p('n.key')}' already exists`);
    expect(readFileSync(p('n.key'), 'utf8')).toBe('keep');
    const t = makeIo('piped', 'yes\n');
    const sign = await runVerb(signreq, { req: p('n.csr'), caCert: p('ca.crt'), caKey: p('ca.key'), outCert: p('n.crt') }, t).catch((e: unknown) => e);
    expect((sign as MeshctlError).code).toBe('EUSAGE');
    expect((sign as MeshctlError).message).toBe(`refusing to sign '${p('n.csr')}' without confirmation: no terminal to ask on`);
    expect(existsSync(p('n.crt'))).toBe(false);
  });

  it('cert receptor spelling - on a terminal signreq still asks, and signs after a typed yes', async () => {
    await runVerb(init, { params: initParams() }, makeIo());
    await runVerb(makereq, { params: makereqParams() }, makeIo());
    const t = makeIo('terminal', 'yes\n');
    expect(await runVerb(signreq, { params: signreqParams() }, t)).toBe(0);
    expect(t.err()).toContain('Sign certificate (yes/no)? ');
    expect(existsSync(p('n.crt'))).toBe(true);
  });
});

describe('cert key generation progress', () => {
  const LINE = (bits: number) => `generating a ${bits}-bit RSA key…\n`;

  it('cert key generation progress - piped: init and makereq say so on one stderr line before writing, stdout stays empty (was: silent)', async () => {
    const t = makeIo();
    expect(await runVerb(init, { commonName: 'CA', bits: '2048', outCert: p('ca.crt'), outKey: p('ca.key') }, t)).toBe(0);
    expect(t.err().startsWith(LINE(2048) + `wrote CA certificate '${p('ca.crt')}'`)).toBe(true);
    expect(t.out()).toBe('');
    const m = makeIo();
    expect(await runVerb(makereq, { params: makereqParams() }, m)).toBe(0);
    expect(m.err().startsWith(LINE(1024) + `wrote certificate request '${p('n.csr')}'`)).toBe(true);
    expect(m.out()).toBe('');
  });

  it('cert key generation progress - no line when no key is generated (makereq --in-key)', async () => {
    await runVerb(makereq, { params: makereqParams() }, makeIo());
    const t = makeIo();
    expect(await runVerb(makereq, { commonName: 'n', nodeId: ['n'], inKey: p('n.key'), outReq: p('again.csr') }, t)).toBe(0);
    expect(t.err()).not.toContain('generating');
  });

  it('cert key generation progress - on a terminal the spinner shows it instead of a plain line', async () => {
    const t = makeIo('terminal');
    expect(await runVerb(init, { commonName: 'CA', bits: '2048', outCert: p('ca.crt'), outKey: p('ca.key') }, t)).toBe(0);
    expect(t.err()).not.toContain(LINE(2048));
    expect(t.err()).toContain(`wrote CA certificate '${p('ca.crt')}'`);
    expect(t.out()).toBe('');
  });
});
