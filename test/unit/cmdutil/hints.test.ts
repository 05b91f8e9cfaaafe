// The library returns code, message and data; the CLI composes the hint (src/cmdutil/hints.ts) through the one
// error path (classify). Issue 11: the library used to carry CLI wording (`--socket`, `--rootcas`, `meshctl work
// list`) in its errors; these tests pin that the same hints now come from the CLI's table, from the library's data.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { classify } from '../../../src/cmdutil/errors.js';
import { DECRYPT_KEY_HINT, hintFor } from '../../../src/cmdutil/hints.js';
import { AbortError, ConnectionError, MeshctlError, ServerError, UploadInterruptedError } from '../../../src/errors.js';
import { workSubmitRequest } from '../../../src/protocol/requests.js';
import { parseAddress } from '../../../src/transport/address.js';
import { dial, mapSocketError } from '../../../src/transport/dial.js';

const errnoError = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('server hints', () => {
  it("server hints - Receptor's runtime-params refusal gets a hint naming allowruntimeparams; its text is kept", () => {
    const v = classify(new ServerError('extra params provided but not allowed'));
    expect(v.message).toBe('extra params provided but not allowed');
    expect(v.hint).toContain('allowruntimeparams: true');
    expect(v.exit).toBe(5);
  });

  it('server hints - no route and unknown service point at `meshctl status`; the context stays in the message', () => {
    const route = classify(new ServerError('no route to node', { context: "connect to service 'control' on node 'x'" }));
    expect(route.message).toBe("connect to service 'control' on node 'x': no route to node");
    expect(route.hint).toMatch(/check the node name/);
    expect(classify(new ServerError('service unknown')).hint).toMatch(/check the service name/);
  });

  it('server hints - other texts keep the generic hint, and a hint a command chose is never replaced', () => {
    expect(classify(new ServerError('something else')).hint).toBe('the node refused the request');
    expect(classify(new ServerError('no route to node', { hint: 'mine' })).hint).toBe('mine');
    expect(classify(new ServerError('unknown work unit abc')).hint).toBe('list units with `meshctl work list`');
  });
});

describe('hints', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('hints - library errors carry no hint of their own, only code and data', () => {
    const tls = mapSocketError(errnoError('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls://127.0.0.1:1') as MeshctlError;
    expect(tls.hint).toBeUndefined();
    expect(tls.data).toEqual({ tlsCode: 'ERR_SSL_WRONG_VERSION_NUMBER' });
    let reserved: unknown;
    try {
      workSubmitRequest({ workType: 'echo', params: { ttl: '1s' } });
    } catch (err) {
      reserved = err;
    }
    expect(reserved).toMatchObject({ code: 'EUSAGE', hint: undefined, data: { reservedParam: 'ttl' } });
  });

  it('hints - TLS failures get the advice for their OpenSSL code', () => {
    const hint = (code: string) => hintFor(mapSocketError(errnoError(code), 'tls://h:1') as MeshctlError);
    expect(hint('ERR_SSL_WRONG_VERSION_NUMBER')).toBe('the listener does not speak TLS: try tcp:// instead of tls://');
    expect(hint('ERR_SSL_PACKET_LENGTH_TOO_LONG')).toBe('the listener does not speak TLS: try tcp:// instead of tls://');
    expect(hint('ERR_OSSL_BAD_DECRYPT')).toBe(DECRYPT_KEY_HINT);
    expect(hint('ERR_TLS_CERT_ALTNAME_INVALID')).toMatch(/--insecureskipverify/);
    expect(hint('CERT_HAS_EXPIRED')).toBe('renew the certificate (meshctl cert signreq) and reload the node');
    expect(hint('UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toBe('check --rootcas, --cert and --key');
    expect(hintFor(new MeshctlError('ETLS', 'tls: x', { data: { keyEncrypted: true } }))).toBe(DECRYPT_KEY_HINT);
    // A TlsError with no TLS code (thrown outside the transport): the generic advice.
    expect(hintFor(new MeshctlError('ETLS', 'tls: x'))).toBe('check --rootcas, --cert, --key and the server name');
  });

  it('hints - socket errors: permission, a path that is not a socket, a reserved work parameter', async () => {
    expect(hintFor(mapSocketError(errnoError('EACCES'), 'unix:/x') as MeshctlError)).toMatch(/^the control socket is 0600 by default/);
    expect(hintFor(mapSocketError(errnoError('EHOSTUNREACH'), 'tcp://h:1') as MeshctlError)).toBe('check the address and that the node is up');
    dir = mkdtempSync(join(tmpdir(), 'meshctl-hints-'));
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a socket');
    const err = (await dial(parseAddress(file)).catch((e: unknown) => e)) as MeshctlError;
    expect(err.code).toBe('EBADADDRESS');
    expect(err.hint).toBeUndefined();
    expect(classify(err).hint).toBe('point --socket at the control-service filename of a running node');
    expect(hintFor(new MeshctlError('EBADADDRESS', "invalid address 'x'"))).toMatch(/^use a socket path, unix:PATH/);
    expect(classify(new MeshctlError('EUSAGE', 'x', { data: { reservedParam: 'node' } })).hint).toBe(
      'use the dedicated option instead (--node, --tls-client, --ttl, --signwork)',
    );
  });

  it('hints - a missing greeting: tcp:// to a TLS listener is told to try tls://', () => {
    const g = (data: Record<string, unknown>) => hintFor(new ConnectionError('EGREETING', 'x', { data }));
    expect(g({ greeting: 'timeout', plainTcp: true })).toBe('a TLS listener (tcptls) waits for a handshake: try tls:// instead of tcp://');
    expect(g({ greeting: 'timeout', plainTcp: false })).toBe('is this a Receptor control service? (a backend tcp-listener does not greet)');
    expect(g({ greeting: 'closed', plainTcp: true })).toBe('if the listener uses TLS (tcptls), use tls:// instead of tcp://');
    expect(g({ greeting: 'closed', plainTcp: false })).toMatch(/^this is not a Receptor control service/);
    expect(g({ greeting: 'bad', plainTcp: true })).toMatch(/^this is not a Receptor control service/);
    const connectTimeout = (addressKind: string) =>
      hintFor(new ConnectionError('ETIMEDOUT', 'x', { data: { phase: 'connect', addressKind, timeoutMs: 1 } }));
    expect(connectTimeout('tls')).toBe('is this a TLS listener? check the address and port');
    expect(connectTimeout('tcp')).toMatch(/raise --timeout/);
  });

  it('hints - an explicit hint wins, even an empty one; an upload cut by the node takes its cause\'s hint', () => {
    expect(hintFor(new MeshctlError('EUNKNOWNUNIT', 'x', { hint: '' }))).toBe('');
    expect(classify(new MeshctlError('EUNKNOWNUNIT', 'x', { hint: '' })).hint).toBeUndefined();
    const byNode = new UploadInterruptedError({ unitId: 'u', bytesSent: 1, stop: 'node', reset: true, cause: new ServerError('no route to node') });
    expect(hintFor(byNode)).toMatch(/check the node name/);
    const payload = new UploadInterruptedError({ unitId: 'u', bytesSent: 1, stop: 'payload', reset: true, cause: new Error('EIO') });
    expect(hintFor(payload)).toBe('check the payload file, or the program writing to stdin');
    expect(hintFor(new AbortError('interrupted'))).toBe('');
  });
});
