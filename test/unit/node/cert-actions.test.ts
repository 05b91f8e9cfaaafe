// The certificate actions meshctl node runs for receptor's cert-init / cert-makereq / cert-signreq sections
// (src/node/cert-actions.ts, issue 12), on real files and through injected streams: receptor's file rules
// (os.WriteFile 0600, overwrite), MakeReqConfig.Prepare's checks, SignReq's prompt read as fmt.Scanln reads it,
// and Go's texts for each failure.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRfc3339, runCertAction, scanlnWord } from '../../../src/node/cert-actions.js';
import type { CertAction } from '../../../src/config/types.js';
import { namesFromCertificate } from '../../../src/certs/node-ids.js';

let dir: string;
const p = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-certact-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Streams for one action: what it printed, and an input fed `answer` (then ended), or never fed. */
function streams(answer?: string) {
  const out = new PassThrough();
  let printed = '';
  out.on('data', (c: Buffer) => (printed += c.toString()));
  const input = new PassThrough();
  if (answer !== undefined) input.end(answer);
  return { s: { out, input: () => input }, printed: () => printed, input };
}

async function failure(action: CertAction, answer?: string): Promise<{ message: string; hint?: string; printed: string }> {
  const st = streams(answer);
  try {
    await runCertAction(action, st.s);
  } catch (err) {
    return { message: (err as Error).message, hint: (err as { hint?: string }).hint, printed: st.printed() };
  }
  throw new Error('no error');
}

const init = (over: Partial<CertAction & { kind: 'cert-init' }> = {}): CertAction => ({
  kind: 'cert-init',
  commonname: 'test CA',
  bits: 2048,
  notbefore: '',
  notafter: '',
  outcert: p('ca.crt'),
  outkey: p('ca.key'),
  ...over,
});
const makereq = (over: Partial<CertAction & { kind: 'cert-makereq' }> = {}): CertAction => ({
  kind: 'cert-makereq',
  commonname: 'n1',
  bits: 2048,
  dnsname: ['localhost'],
  ipaddress: ['127.0.0.1'],
  nodeid: ['n1'],
  outreq: p('n1.csr'),
  inkey: '',
  outkey: p('n1.key'),
  ...over,
});
const signreq = (over: Partial<CertAction & { kind: 'cert-signreq' }> = {}): CertAction => ({
  kind: 'cert-signreq',
  req: p('n1.csr'),
  cacert: p('ca.crt'),
  cakey: p('ca.key'),
  notbefore: '',
  notafter: '',
  outcert: p('n1.crt'),
  verify: false,
  ...over,
});

describe('node cert actions', () => {
  it('node cert actions - init, makereq, signreq (answer "yes"): a chain that verifies, every file 0600, the request shown as receptor shows it', async () => {
    await runCertAction(init({ notafter: '2040-01-02T03:04:05Z' }), streams().s);
    await runCertAction(makereq(), streams().s);
    const st = streams('yes\n');
    await runCertAction(signreq(), st.s);
    expect(st.printed()).toBe(
      [
        'Requested certificate:',
        '  Subject: CN=n1',
        '  Encryption Algorithm: RSA (2048 bits)',
        '  Signature Algorithm: SHA256-RSA',
        '  Names:',
        '    DNS Name: localhost',
        '    IP Address: 127.0.0.1',
        '    Receptor Node ID: n1',
        'Sign certificate (yes/no)? ',
      ].join('\n'),
    );
    for (const f of ['ca.crt', 'ca.key', 'n1.csr', 'n1.key', 'n1.crt']) expect(((await stat(p(f))).mode & 0o777).toString(8), f).toBe((0o600 & ~process.umask()).toString(8));
    const ca = new X509Certificate(await readFile(p('ca.crt')));
    const leaf = new X509Certificate(await readFile(p('n1.crt')));
    expect(ca.subject).toBe('CN=test CA');
    expect(ca.validTo).toBe('Jan  2 03:04:05 2040 GMT');
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(namesFromCertificate(await readFile(p('n1.crt'), 'utf8'))).toMatchObject({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], nodeIds: ['n1'] });
    expect((await readFile(p('n1.key'), 'utf8')).startsWith('-----BEGIN RSA PRIVATE KEY-----\n')).toBe(true);
  });

  it('node cert actions - verify=true signs without printing or reading anything; a second run overwrites, keeping the mode of the existing file (os.WriteFile)', async () => {
    await chmod(p('n1.crt'), 0o640);
    const before = await readFile(p('n1.crt'), 'utf8');
    const st = streams();
    await runCertAction(signreq({ verify: true }), st.s);
    expect(st.printed()).toBe('');
    expect(await readFile(p('n1.crt'), 'utf8')).not.toBe(before);
    expect((await stat(p('n1.crt'))).mode & 0o777).toBe(0o640);
  });

  it('node cert actions - signreq answers: "Y", "  yes \\r\\n" sign; "no" is "user declined" and writes nothing', async () => {
    for (const answer of ['Y\n', '  yes \r\n', 'YES']) {
      await rm(p('a.crt'), { force: true });
      await runCertAction(signreq({ outcert: p('a.crt') }), streams(answer).s);
      expect((await stat(p('a.crt'))).isFile(), JSON.stringify(answer)).toBe(true);
    }
    await rm(p('a.crt'), { force: true });
    const declined = await failure(signreq({ outcert: p('a.crt') }), 'no\n');
    expect(declined.message).toBe('user declined');
    await expect(stat(p('a.crt'))).rejects.toThrow(/ENOENT/);
  });

  it("node cert actions - signreq at end of input fails with Scanln's 'EOF' after the question (receptor: Sign certificate (yes/no)? Error: EOF)", async () => {
    const f = await failure(signreq({ outcert: p('b.crt') }), '');
    expect(f.message).toBe('EOF');
    expect(f.hint).toContain('verify=yes');
    expect(f.printed.endsWith('Sign certificate (yes/no)? ')).toBe(true);
  });

  it("node cert actions - Scanln reads one word on one line: Go's errors for an empty line and two words; the rest of the input stays unread", async () => {
    const read = async (text: string) => {
      const input = new PassThrough();
      input.end(text);
      try {
        return { word: await scanlnWord(input), rest: (input.read() as Buffer | null)?.toString() ?? '' };
      } catch (err) {
        return { error: (err as Error).message };
      }
    };
    expect(await read('\n')).toEqual({ error: 'unexpected newline' });
    expect(await read('\r\n')).toEqual({ error: 'unexpected newline' });
    expect(await read('   ')).toEqual({ error: 'EOF' });
    expect(await read('yes please\n')).toEqual({ error: 'expected newline' });
    expect(await read('yes\nnext line\n')).toEqual({ word: 'yes', rest: 'next line\n' });
    expect(await read('\tyes  ')).toEqual({ word: 'yes', rest: '' });
  });

  it('node cert actions - a pending question ends with the stop signal', async () => {
    const input = new PassThrough();
    const ac = new AbortController();
    const pending = scanlnWord(input, ac.signal);
    ac.abort(new Error('terminated'));
    await expect(pending).rejects.toThrow('terminated');
    input.destroy();
  });

  it("node cert actions - makereq follows MakeReqConfig.Prepare's checks in order, then the IP check, with receptor's texts", async () => {
    expect((await failure(makereq({ outkey: '' }))).message).toBe('must provide either InKey or OutKey');
    expect((await failure(makereq({ inkey: p('n1.key') }))).message).toBe('cannot use both InKey and OutKey');
    expect((await failure(makereq({ inkey: p('n1.key'), outkey: '' }))).message).toBe('cannot specify key bits when reading an already-existing key');
    expect((await failure(makereq({ bits: 0 }))).message).toBe('must specify key bits when creating a new key');
    expect((await failure(makereq({ ipaddress: ['1.2.3.x'] }))).message).toBe('invalid IP address: 1.2.3.x');
    expect((await failure(makereq({ inkey: p('nokey.key'), outkey: '', bits: 0 }))).message).toBe(`open ${p('nokey.key')}: no such file or directory`);
  });

  it('node cert actions - makereq with inkey reuses the key and writes no key; a file with two keys is refused', async () => {
    await runCertAction(makereq({ inkey: p('n1.key'), outkey: '', bits: 0, outreq: p('again.csr') }), streams().s);
    expect((await readFile(p('again.csr'), 'utf8')).startsWith('-----BEGIN CERTIFICATE REQUEST-----')).toBe(true);
    const key = await readFile(p('n1.key'), 'utf8');
    await writeFile(p('two.key'), key + key);
    expect((await failure(makereq({ inkey: p('two.key'), outkey: '', bits: 0 }))).message).toBe(`multiple keys in file ${p('two.key')}`);
  });

  it("node cert actions - signreq's file errors: a missing input, a file of the wrong kind, an output in a missing directory", async () => {
    expect((await failure(signreq({ req: p('nope.csr'), verify: true }))).message).toBe(`open ${p('nope.csr')}: no such file or directory`);
    expect((await failure(signreq({ cacert: p('n1.csr'), verify: true }))).message).toBe('certificate file does not contain certificate data');
    expect((await failure(signreq({ cakey: p('ca.crt'), verify: true }))).message).toBe('private key file does not contain private key data');
    await writeFile(p('junk.csr'), 'not pem\n');
    expect((await failure(signreq({ req: p('junk.csr'), verify: true }))).message).toBe('failed to decode PEM block');
    expect((await failure(signreq({ outcert: p('missing/n1.crt'), verify: true }))).message).toBe(`open ${p('missing/n1.crt')}: no such file or directory`);
  });

  it('node cert actions - a request without names is refused before the question (SignReq: cannot sign: no names found in certificate)', async () => {
    await runCertAction(makereq({ dnsname: [], ipaddress: [], nodeid: [], outreq: p('nonames.csr'), outkey: p('nonames.key') }), streams().s);
    const f = await failure(signreq({ req: p('nonames.csr') }), 'yes\n');
    expect(f.message).toBe('cannot sign: no names found in certificate');
    expect(f.printed).toBe('');
  });

  it("node cert actions - dates are RFC 3339, with Go's time.Parse texts for bad ones", () => {
    expect(parseRfc3339('', 'notafter')).toBeUndefined();
    expect(parseRfc3339('2030-01-31T12:00:00Z', 'notafter')!.toISOString()).toBe('2030-01-31T12:00:00.000Z');
    expect(parseRfc3339('2030-01-31T12:00:00.5+02:00', 'notafter')!.toISOString()).toBe('2030-01-31T10:00:00.500Z');
    const text = (v: string) => {
      try {
        parseRfc3339(v, 'notafter');
      } catch (err) {
        return (err as Error).message;
      }
      return 'parsed';
    };
    // Both texts as receptor 1.6.5 prints them (`receptor --cert-signreq ... notafter=tomorrow`, `notafter=2020-01-01`).
    expect(text('tomorrow')).toBe('parsing time "tomorrow" as "2006-01-02T15:04:05Z07:00": cannot parse "tomorrow" as "2006"');
    expect(text('2020-01-01')).toBe('parsing time "2020-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"');
    expect(text('2020-13-01T00:00:00Z')).toBe('parsing time "2020-13-01T00:00:00Z": month out of range');
    expect(text('2020-01-01T00:00:00Zjunk')).toBe('parsing time "2020-01-01T00:00:00Zjunk": extra text: "junk"');
  });
});
