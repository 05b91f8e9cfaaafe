// Receptor's certificate actions, run by `meshctl node` (and the `receptor` launcher) when the configuration's only
// section is cert-init, cert-makereq or cert-signreq. Receptor registers them with cmdline.Exclusive
// (pkg/certificates/cli.go init): ParseAndRun runs the one action (Prepare, then Run) and RunConfigV1 exits 0
// without starting a node (cmd/config.go: `if cl.WhatRan() != ""`). The rules followed, from cli.go and ca.go:
// - cert-init: InitCAConfig.Run parses notbefore/notafter as RFC 3339, CreateCA (bits 0 means 2048), then writes
//   the certificate, then the key;
// - cert-makereq: MakeReqConfig.Prepare's four checks in its order, then each ipaddress must parse, then a request
//   with the key read from inkey (the file's one RSA key) or a new key of `bits` saved to outkey;
// - cert-signreq: loads the CA certificate, the CA key and the request (each file holding exactly one item of its
//   kind), refuses a request with no names, then, unless verify is true, prints the request on stdout and reads
//   the answer with fmt.Scanln: `y`/`yes` in any case signs, another word is "user declined", and Scanln's own
//   errors (EOF, "unexpected newline", "expected newline") fail the action;
// - every file is written as os.WriteFile(name, pem, 0o600) does (SaveToPEMFile): created 0600 (less the umask),
//   an existing file truncated and keeping its mode. Nothing is checked or refused before writing: a second run
//   overwrites.
// Errors carry Go's texts (`open ca.crt: no such file or directory`), which the launcher prints as receptor does
// (`Error: ...` on stdout, exit 1). The keys, requests and certificates come from meshctl's certificate library
// (src/certs), which makes them as receptor does; the prompt goes through the streams given, never the process's.
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { createCa } from '../certs/ca.js';
import { inspectRequestDer } from '../certs/inspect.js';
import { parsePrivateKey } from '../certs/keys.js';
import { pemBlocks, type PemBlock } from '../certs/pem.js';
import { createRequest } from '../certs/request.js';
import { signRequest } from '../certs/sign.js';
import type { CertAction, CertInitAction, CertMakeReqAction, CertSignReqAction } from '../config/types.js';
import { MeshctlError, type ErrorCode } from '../errors.js';

export interface CertActionStreams {
  /** Where receptor prints cert-signreq's request and question (its stdout; meshctl node gives stderr). */
  out: Writable;
  /** The answer's source, opened only when cert-signreq asks (a function: touching process.stdin has a cost). */
  input: () => Readable;
  /** Stops a pending question (the node command's stop signal). */
  signal?: AbortSignal;
}

/** An action's failure: `message` is receptor's text, the hint is meshctl's (shown by `meshctl node`, not by the launcher). */
function fail(code: ErrorCode, message: string, hint: string, cause?: unknown): MeshctlError {
  return new MeshctlError(code, message, { hint, ...(cause === undefined ? {} : { cause }) });
}

/** Runs one certificate action to the end; throws MeshctlError with receptor's text on failure. */
export async function runCertAction(action: CertAction, streams: CertActionStreams): Promise<void> {
  switch (action.kind) {
    case 'cert-init':
      return initCa(action);
    case 'cert-makereq':
      return makeReq(action);
    case 'cert-signreq':
      return signReq(action, streams);
  }
}

async function initCa(a: CertInitAction): Promise<void> {
  const notBefore = parseRfc3339(a.notbefore, 'notbefore');
  const notAfter = parseRfc3339(a.notafter, 'notafter');
  if (a.commonname === '') throw fail('EUSAGE', 'must provide CommonName', 'give commonname=NAME');
  const ca = await certsCall(() => createCa({ commonName: a.commonname, bits: a.bits === 0 ? 2048 : a.bits, ...dates(notBefore, notAfter) }));
  await savePem(a.outcert, ca.certPem);
  await savePem(a.outkey, ca.keyPem);
}

async function makeReq(a: CertMakeReqAction): Promise<void> {
  // MakeReqConfig.Prepare, in its order and with its texts.
  if (a.inkey === '' && a.outkey === '') throw fail('EUSAGE', 'must provide either InKey or OutKey', 'give outkey=FILE bits=2048 for a new key, or inkey=FILE');
  if (a.inkey !== '' && a.outkey !== '') throw fail('EUSAGE', 'cannot use both InKey and OutKey', 'outkey makes a new key, inkey reuses one: give one of them');
  if (a.inkey !== '' && a.bits !== 0) throw fail('EUSAGE', 'cannot specify key bits when reading an already-existing key', 'drop bits= when using inkey=');
  if (a.outkey !== '' && a.bits === 0) throw fail('EUSAGE', 'must specify key bits when creating a new key', 'add bits=2048');
  for (const ip of a.ipaddress) {
    if (isIP(ip) === 0 || ip.includes('%')) throw fail('EUSAGE', `invalid IP address: ${ip}`, 'give a dotted IPv4 or an IPv6 address');
  }
  let keyPem: string | undefined;
  if (a.inkey !== '') {
    const keys = (await loadPemFile(a.inkey)).filter((b) => isRsaKey(b));
    if (keys.length > 1) throw fail('EBADFILE', `multiple keys in file ${a.inkey}`, 'give a file holding one RSA private key');
    if (keys.length === 0) throw fail('EBADFILE', `no keys in file ${a.inkey}`, 'give a file holding an RSA private key');
    keyPem = keys[0]!.text;
  }
  if (a.commonname === '') throw fail('EUSAGE', 'must provide CommonName', 'give commonname=NAME');
  const names = { dnsNames: a.dnsname, ipAddresses: a.ipaddress, nodeIds: a.nodeid };
  const req = await certsCall(() =>
    createRequest({ commonName: a.commonname, ...names, ...(keyPem !== undefined ? { keyPem } : { bits: a.bits }) }),
  );
  await savePem(a.outreq, req.csrPem);
  if (a.outkey !== '') await savePem(a.outkey, req.keyPem);
}

async function signReq(a: CertSignReqAction, streams: CertActionStreams): Promise<void> {
  // SignReqConfig.ValidateAndSign parses the dates first, then SignReq loads the files in this order.
  const notBefore = parseRfc3339(a.notbefore, 'notbefore');
  const notAfter = parseRfc3339(a.notafter, 'notafter');
  const caCert = await loadOne(a.cacert, 'certificate', (b) => b.type === 'CERTIFICATE');
  const caKey = await loadOne(a.cakey, 'private key', (b) => isRsaKey(b));
  const csr = await loadOne(a.req, 'certificate request', (b) => b.type === 'CERTIFICATE REQUEST');
  const request = await certsCall(() => inspectRequestDer(csr.der));
  if (request.dnsNames.length === 0 && request.ipAddresses.length === 0 && request.nodeIds.length === 0) {
    throw fail('EBADFILE', 'cannot sign: no names found in certificate', 'make the request with dnsname=, ipaddress= or nodeid=');
  }
  if (!a.verify) {
    const lines = ['Requested certificate:', `  Subject: ${request.subject}`];
    const k = request.publicKey;
    lines.push(`  Encryption Algorithm: ${k.algorithm === 'RSA' && k.bits ? `RSA (${k.bits} bits)` : k.algorithm}`);
    lines.push(`  Signature Algorithm: ${request.signatureAlgorithm}`, '  Names:');
    for (const n of request.dnsNames) lines.push(`    DNS Name: ${n}`);
    for (const n of request.ipAddresses) lines.push(`    IP Address: ${n}`);
    for (const n of request.nodeIds) lines.push(`    Receptor Node ID: ${n}`);
    streams.out.write(`${lines.join('\n')}\nSign certificate (yes/no)? `);
    const input = streams.input();
    let answer: string;
    try {
      answer = (await scanlnWord(input, streams.signal)).toLowerCase();
    } finally {
      // Receptor reads its one line and exits when the action ends; a writer that keeps stdin open (`(echo yes;
      // sleep 60) | receptor --cert-signreq ...`) must not keep this process alive: the paused pipe or terminal
      // handle stops holding the event loop.
      (input as { unref?: () => void }).unref?.();
    }
    if (answer !== 'y' && answer !== 'yes') throw fail('EUSAGE', 'user declined', 'answer yes to sign it');
  }
  const signed = await certsCall(() => signRequest({ csrPem: csr.text, caCertPem: caCert.text, caKeyPem: caKey.text, ...dates(notBefore, notAfter) }));
  await savePem(a.outcert, signed.certPem);
}

function dates(notBefore: Date | undefined, notAfter: Date | undefined): { notBefore?: Date; notAfter?: Date } {
  return { ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}) };
}

/** The library's own errors keep their words; anything else becomes one EBADFILE line. */
async function certsCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MeshctlError) throw err;
    throw fail('EBADFILE', (err as Error).message, 'check the input files', err);
  }
}

function isRsaKey(b: PemBlock): boolean {
  if (b.type === 'RSA PRIVATE KEY') return true;
  if (b.type !== 'PRIVATE KEY') return false;
  try {
    parsePrivateKey(b.text);
    return true;
  } catch {
    return false;
  }
}

/** Go's text for a failed file operation (*fs.PathError): `open ca.key: no such file or directory`. */
function pathError(op: string, file: string, err: unknown, what: string): MeshctlError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const reason = GO_ERRNO[code] ?? (err as Error).message;
  // os.ReadFile opens a directory fine and fails on the read.
  const verb = code === 'EISDIR' && op === 'open' && what === 'read' ? 'read' : op;
  return fail('EBADFILE', `${verb} ${file}: ${reason}`, what === 'read' ? 'check the file name' : 'check that the directory exists and is writable', err);
}

const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
};

/** LoadFromPEMFile: every block of the file, refusing text that is no PEM and block types receptor does not know. */
async function loadPemFile(file: string): Promise<PemBlock[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw pathError('open', file, err, 'read');
  }
  const blocks = pemBlocks(text);
  if (blocks.length === 0 && text.length > 0) throw fail('EBADFILE', 'failed to decode PEM block', `'${file}' is not a PEM file`);
  for (const b of blocks) {
    if (!['CERTIFICATE', 'CERTIFICATE REQUEST', 'RSA PRIVATE KEY', 'PRIVATE KEY', 'PUBLIC KEY'].includes(b.type)) {
      throw fail('EBADFILE', `unknown block type ${b.type}`, `'${file}' holds a PEM block receptor cannot read`);
    }
  }
  return blocks;
}

/** LoadCertificate / LoadPrivateKey / LoadRequest: exactly one item, of the wanted kind. */
async function loadOne(file: string, what: string, ok: (b: PemBlock) => boolean): Promise<PemBlock> {
  const blocks = await loadPemFile(file);
  if (blocks.length !== 1) throw fail('EBADFILE', `${what} file should contain exactly one item`, `'${file}' holds ${blocks.length} PEM blocks`);
  if (!ok(blocks[0]!)) throw fail('EBADFILE', `${what} file does not contain ${what === 'private key' ? 'private key' : what} data`, `'${file}' holds a ${blocks[0]!.type}`);
  return blocks[0]!;
}

/** SaveToPEMFile → os.WriteFile(name, data, 0o600): create or truncate; an existing file keeps its mode. */
async function savePem(file: string, pem: string): Promise<void> {
  try {
    await writeFile(file, pem, { mode: 0o600 });
  } catch (err) {
    throw pathError('open', file, err, 'write');
  }
}

const RFC3339 = '2006-01-02T15:04:05Z07:00';

/**
 * time.Parse(time.RFC3339, text): undefined for '' (receptor skips an empty date). Errors carry Go's texts:
 * `parsing time "2020-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"`, `...: month out of range`.
 */
export function parseRfc3339(text: string, key: string): Date | undefined {
  if (text === '') return undefined;
  const bad = (rest: string, elem: string) =>
    fail('EUSAGE', `parsing time ${JSON.stringify(text)} as ${JSON.stringify(RFC3339)}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(elem)}`, `give ${key} as RFC 3339, e.g. 2030-01-31T12:00:00Z`);
  const range = (what: string) => fail('EUSAGE', `parsing time ${JSON.stringify(text)}: ${what} out of range`, `give ${key} as RFC 3339, e.g. 2030-01-31T12:00:00Z`);
  let v = text;
  const num = (width: number, elem: string): number => {
    if (!new RegExp(`^[0-9]{${width}}`).test(v)) throw bad(v, elem);
    const n = Number(v.slice(0, width));
    v = v.slice(width);
    return n;
  };
  const lit = (s: string): void => {
    if (!v.startsWith(s)) throw bad(v, s);
    v = v.slice(s.length);
  };
  const year = num(4, '2006');
  lit('-');
  const month = num(2, '01');
  if (month < 1 || month > 12) throw range('month');
  lit('-');
  const day = num(2, '02');
  if (day < 1 || day > 31) throw range('day');
  lit('T');
  const hour = num(2, '15');
  if (hour > 23) throw range('hour');
  lit(':');
  const minute = num(2, '04');
  if (minute > 59) throw range('minute');
  lit(':');
  const second = num(2, '05');
  if (second > 59) throw range('second');
  // Go reads a fraction after the seconds even when the layout has none.
  const frac = /^[.,]([0-9]+)/.exec(v);
  let ms = 0;
  if (frac) {
    ms = Math.floor(Number(`0.${frac[1]}`) * 1000);
    v = v.slice(frac[0].length);
  }
  let offsetMin = 0;
  if (v.startsWith('Z')) {
    v = v.slice(1);
  } else {
    const z = /^([+-])([0-9]{2}):([0-9]{2})/.exec(v);
    if (!z) throw bad(v, 'Z07:00');
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
    v = v.slice(z[0].length);
  }
  if (v !== '') throw fail('EUSAGE', `parsing time ${JSON.stringify(text)}: extra text: ${JSON.stringify(v)}`, `give ${key} as RFC 3339, e.g. 2030-01-31T12:00:00Z`);
  const daysIn = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysIn) throw range('day');
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000);
}

/** Go's unicode.IsSpace as fmt's scanner uses it (isSpace in fmt/scan.go). */
function isSpace(c: string): boolean {
  return /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/.test(c);
}

/**
 * fmt.Scanln(&word) on `input`: reads one line (up to and including '\n', or to the end of input) and returns its
 * one word. Scanln's errors, with its texts: nothing before the end of input is "EOF", an empty line "unexpected
 * newline", a second word "expected newline" (fmt/scan.go: SkipSpace, convertString's notEOF, doScan's nlIsEnd).
 * Bytes after the line are put back on the stream.
 */
export async function scanlnWord(input: Readable, signal?: AbortSignal): Promise<string> {
  const line = await readLine(input, signal);
  let i = 0;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\r' && line[i + 1] === '\n') continue;
    if (c === '\n') throw scanError('unexpected newline');
    if (!isSpace(c)) break;
  }
  if (i >= line.length) throw scanError('EOF');
  const start = i;
  while (i < line.length && !isSpace(line[i]!)) i++;
  const word = line.slice(start, i);
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\n') break;
    if (!isSpace(c)) throw scanError('expected newline');
  }
  return word;
}

function scanError(text: string): MeshctlError {
  return fail('EUSAGE', text, 'answer yes on stdin to sign, or add verify=yes to sign without asking');
}

/** One line of `input` with its '\n' (or what came before the end of input); the rest is unshifted. */
function readLine(input: Readable, signal?: AbortSignal): Promise<string> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (input.readableEnded || input.destroyed) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const finish = (): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      input.pause();
    };
    const onData = (chunk: Buffer | string): void => {
      buf = Buffer.concat([buf, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return;
      finish();
      if (nl + 1 < buf.length) input.unshift(buf.subarray(nl + 1));
      resolve(buf.subarray(0, nl + 1).toString('utf8'));
    };
    const onEnd = (): void => {
      finish();
      resolve(buf.toString('utf8'));
    };
    const onError = (err: Error): void => {
      finish();
      reject(fail('EBADFILE', `read /dev/stdin: ${err.message}`, 'check what stdin is', err));
    };
    const onAbort = (): void => {
      finish();
      reject(signal!.reason);
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    input.resume();
  });
}
