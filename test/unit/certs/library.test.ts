// The certificate library: CA, request, signing and inspection round trips, checked with openssl as an
// independent reader (openssl must be installed; it is in CI and in the dev image).
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCa,
  createRequest,
  inspect,
  inspectAll,
  namesFromRequest,
  nodeIdsFromCertificate,
  pemBlocks,
  signRequest,
  type CreatedCa,
  type CreatedRequest,
} from '../../../src/certs/index.js';
import { readChildren, readSingle } from '../../../src/certs/der.js';
import { MeshctlError } from '../../../src/errors.js';

const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const YEAR_MS = 365 * 24 * 3600 * 1000;

describe('certs library', () => {
  let dir: string;
  let ca: CreatedCa;
  let req: CreatedRequest;
  let certPem: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshctl-certs-'));
    ca = await createCa({ commonName: 'Test CA' });
    req = await createRequest({
      commonName: 'node1',
      dnsNames: ['localhost', 'node1.example.com'],
      ipAddresses: ['127.0.0.1', '::1'],
      nodeIds: ['node1', 'node1-alias'],
    });
    certPem = (await signRequest({ csrPem: req.csrPem, caCertPem: ca.certPem, caKeyPem: ca.keyPem })).certPem;
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    writeFileSync(join(dir, 'node.csr'), req.csrPem);
    writeFileSync(join(dir, 'node.crt'), certPem);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('certs - CA is self-signed, CA:TRUE, keyCertSign, 10 years, PKCS#1 key', async () => {
    const info = await inspect(ca.certPem);
    expect(info).toMatchObject({
      kind: 'certificate',
      subject: 'CN=Test CA',
      issuer: 'CN=Test CA',
      isCa: true,
      selfSigned: true,
      publicKey: { algorithm: 'RSA', bits: 2048 },
      signatureAlgorithm: 'SHA256-RSA',
      keyUsage: ['digitalSignature', 'keyCertSign'],
      extKeyUsage: ['clientAuth', 'serverAuth'],
      nodeIds: [],
    });
    const span = info.notAfter!.getTime() - info.notBefore!.getTime();
    expect(span).toBeGreaterThan(10 * YEAR_MS - 3 * 86400_000);
    expect(span).toBeLessThan(10 * YEAR_MS + 4 * 86400_000);
    expect(ca.keyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const text = openssl('x509', '-in', join(dir, 'ca.crt'), '-text', '-noout');
    expect(text).toMatch(/CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign/);
    expect(text).toMatch(/Subject Key Identifier/);
  });

  it('certs - openssl req shows the request names, node IDs as othername', () => {
    const text = openssl('req', '-in', join(dir, 'node.csr'), '-text', '-noout', '-verify');
    expect(text).toMatch(/Subject: CN\s?=\s?node1/);
    expect(text).toContain('DNS:localhost');
    expect(text).toContain('DNS:node1.example.com');
    expect(text).toContain('IP Address:127.0.0.1');
    expect(text).toMatch(/IP Address:0:0:0:0:0:0:0:1|IP Address:::1/);
    expect(text).toMatch(/othername: ?1\.3\.6\.1\.4\.1\.2312\.19\.1:{1,2}node1,/);
    expect(text).toMatch(/othername: ?1\.3\.6\.1\.4\.1\.2312\.19\.1:{1,2}node1-alias/);
  });

  it('certs - openssl verifies the signed certificate against the CA and shows its names', () => {
    expect(openssl('verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'node.crt')).trim()).toBe(`${join(dir, 'node.crt')}: OK`);
    const text = openssl('x509', '-in', join(dir, 'node.crt'), '-text', '-noout');
    expect(text).toMatch(/Issuer: CN\s?=\s?Test CA/);
    expect(text).toMatch(/Subject: CN\s?=\s?node1/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/TLS Web Client Authentication, TLS Web Server Authentication/);
    expect(text).toMatch(/othername: ?1\.3\.6\.1\.4\.1\.2312\.19\.1:{1,2}node1,/);
    expect(text).not.toMatch(/CA:TRUE/);
    expect(text).toMatch(/Authority Key Identifier/);
    // Only the key's own certificate verifies as purpose sslclient and sslserver.
    openssl('verify', '-CAfile', join(dir, 'ca.crt'), '-purpose', 'sslclient', join(dir, 'node.crt'));
    openssl('verify', '-CAfile', join(dir, 'ca.crt'), '-purpose', 'sslserver', join(dir, 'node.crt'));
  });

  it('certs - the SAN extension is copied from the request byte for byte', () => {
    const sanOf = (text: string): string => /X509v3 Subject Alternative Name:.*\n\s*(.*)\n/.exec(text)![1]!;
    const fromReq = sanOf(openssl('req', '-in', join(dir, 'node.csr'), '-text', '-noout'));
    const fromCert = sanOf(openssl('x509', '-in', join(dir, 'node.crt'), '-text', '-noout'));
    expect(fromCert).toBe(fromReq);
    // And at the byte level: the DER of the request's SAN appears inside the certificate.
    const csrDer = Buffer.from(pemBlocks(req.csrPem)[0]!.der);
    const certDer = Buffer.from(pemBlocks(certPem)[0]!.der);
    const sanOid = Buffer.from('0603551d11', 'hex');
    const at = csrDer.indexOf(sanOid);
    expect(csrDer[at + 6]).toBeLessThan(0x80); // short-form length, as the slice below assumes
    const sanExt = csrDer.subarray(at, at + 5 + 2 + csrDer[at + 6]!); // OID, then the OCTET STRING header and value
    expect(sanExt.includes(Buffer.from('node1-alias'))).toBe(true);
    expect(certDer.includes(sanExt)).toBe(true);
  });

  it('certs - inspect reads names, node IDs, validity and key of the certificate', async () => {
    const info = await inspect(certPem);
    expect(info).toMatchObject({
      kind: 'certificate',
      subject: 'CN=node1',
      commonName: 'node1',
      issuer: 'CN=Test CA',
      isCa: false,
      selfSigned: false,
      dnsNames: ['localhost', 'node1.example.com'],
      ipAddresses: ['127.0.0.1', '::1'],
      nodeIds: ['node1', 'node1-alias'],
      otherNames: [],
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['clientAuth', 'serverAuth'],
    });
    const span = info.notAfter!.getTime() - info.notBefore!.getTime();
    expect(span).toBeGreaterThanOrEqual(365 * 86400_000);
    expect(span).toBeLessThanOrEqual(366 * 86400_000);
    const node = new X509Certificate(certPem);
    expect(info.fingerprintSha256).toBe(node.fingerprint256);
    expect(info.serialNumber?.toUpperCase()).toBe(node.serialNumber.toUpperCase());
  });

  it('certs - inspect reads a request and checks its signature', async () => {
    const info = await inspect(req.csrPem);
    expect(info).toMatchObject({
      kind: 'request',
      subject: 'CN=node1',
      dnsNames: ['localhost', 'node1.example.com'],
      ipAddresses: ['127.0.0.1', '::1'],
      nodeIds: ['node1', 'node1-alias'],
      publicKey: { algorithm: 'RSA', bits: 2048 },
      signatureAlgorithm: 'SHA256-RSA',
      signatureValid: true,
    });
    expect(namesFromRequest(req.csrPem).nodeIds).toEqual(['node1', 'node1-alias']);
  });

  it('certs - inspectAll reads every block of a bundle and skips keys; DER works too', async () => {
    const all = await inspectAll(ca.certPem + req.keyPem + req.csrPem + certPem);
    expect(all.map((i) => `${i.kind}:${i.subject}`)).toEqual(['certificate:CN=Test CA', 'request:CN=node1', 'certificate:CN=node1']);
    const der = pemBlocks(certPem)[0]!.der;
    expect((await inspect(der)).nodeIds).toEqual(['node1', 'node1-alias']);
    await expect(inspect(req.keyPem)).rejects.toThrow(/no certificate or certificate request found/);
  });

  it('certs - nodeIdsFromCertificate takes PEM or DER and is empty without node IDs', async () => {
    expect(nodeIdsFromCertificate(certPem)).toEqual(['node1', 'node1-alias']);
    expect(nodeIdsFromCertificate(new X509Certificate(certPem).raw)).toEqual(['node1', 'node1-alias']);
    expect(nodeIdsFromCertificate(ca.certPem)).toEqual([]);
    expect(() => nodeIdsFromCertificate(Uint8Array.from([0x30, 0x03, 0x02, 0x01]))).toThrow(MeshctlError);
  });

  it('certs - explicit validity dates are kept to the second', async () => {
    const notBefore = new Date('2030-01-02T03:04:05.678Z');
    const notAfter = new Date('2051-06-07T08:09:10Z'); // after 2049: GeneralizedTime
    const signed = await signRequest({ csrPem: req.csrPem, caCertPem: ca.certPem, caKeyPem: ca.keyPem, notBefore, notAfter });
    const info = await inspect(signed.certPem);
    expect(info.notBefore?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
    expect(info.notAfter?.toISOString()).toBe('2051-06-07T08:09:10.000Z');
    const node = new X509Certificate(signed.certPem);
    expect(new Date(node.validTo).toISOString()).toBe('2051-06-07T08:09:10.000Z');
  });

  it("certs - the issuer is the CA's subject byte for byte, even a multi-valued UTF-8 one made by openssl", async () => {
    // Go matches issuer to CA subject by raw bytes (x509.CertPool), so re-encoding the name would break chains.
    openssl(
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'odd.key'), '-out', join(dir, 'odd.crt'), '-days', '30', '-utf8',
      '-subj', '/C=DE/O=Ünïcode GmbH/OU=Mesh+OU=Ops/CN=Odd CA/emailAddress=ca@example.com',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,digitalSignature',
    );
    const oddCa = readFileSync(join(dir, 'odd.crt'), 'utf8');
    const signed = await signRequest({ csrPem: req.csrPem, caCertPem: oddCa, caKeyPem: readFileSync(join(dir, 'odd.key'), 'utf8') });
    const tbs = (pem: string) => readChildren(readChildren(readSingle(pemBlocks(pem)[0]!.der).content)[0]!.content);
    const caSubject = Buffer.from(tbs(oddCa)[5]!.full); // [0]version, serial, sigAlg, issuer, validity, subject
    expect(caSubject.includes(Buffer.from('Ünïcode', 'utf8'))).toBe(true);
    expect(Buffer.from(tbs(signed.certPem)[3]!.full).equals(caSubject)).toBe(true);
    expect(openssl('verify', '-CAfile', join(dir, 'odd.crt'), writeTmp(dir, 'odd-signed.crt', signed.certPem))).toMatch(/: OK/);
  });

  it('certs - a request made with an existing key (PKCS#8 too) carries that key', async () => {
    const pkcs8 = createPrivateKey(req.keyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
    const again = await createRequest({ commonName: 'node1', nodeIds: ['node1'], keyPem: pkcs8 });
    expect(again.newKey).toBe(false);
    expect(again.keyPem).toBe(req.keyPem); // re-encoded as PKCS#1
    const spki = (pem: string) => openssl('req', '-in', writeTmp(dir, 'r.csr', pem), '-noout', '-pubkey');
    expect(spki(again.csrPem)).toBe(spki(req.csrPem));
  });

  it('certs - refuses bad input with errors quoting the value', async () => {
    await expect(createCa({ commonName: '' })).rejects.toThrow('a common name is required');
    await expect(createCa({ commonName: 'x', bits: 512 })).rejects.toThrow("invalid key size '512'");
    await expect(createCa({ commonName: 'x', notBefore: new Date('2030-01-01T00:00:00Z'), notAfter: new Date('2029-01-01T00:00:00Z') })).rejects.toThrow(
      /not later than not-before/,
    );
    await expect(createRequest({ commonName: 'x', ipAddresses: ['300.1.1.1'], bits: 2048 })).rejects.toThrow("invalid IP address '300.1.1.1'");
    await expect(createRequest({ commonName: 'x', nodeIds: ['a'], keyPem: req.keyPem, bits: 2048 })).rejects.toThrow(/bits apply only to a new key/);
    const encrypted = createPrivateKey(req.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }).toString();
    await expect(createRequest({ commonName: 'x', nodeIds: ['a'], keyPem: encrypted })).rejects.toThrow('private key is encrypted');
    await expect(createRequest({ commonName: 'x', nodeIds: ['a'], keyPem: 'junk' })).rejects.toThrow('not a PEM private key');
  });

  it('certs - signing refuses a request without names', async () => {
    const bare = await createRequest({ commonName: 'nobody', keyPem: req.keyPem });
    expect(openssl('req', '-in', writeTmp(dir, 'bare.csr', bare.csrPem), '-text', '-noout')).not.toMatch(/Alternative Name/);
    await expect(signRequest({ csrPem: bare.csrPem, caCertPem: ca.certPem, caKeyPem: ca.keyPem })).rejects.toThrow(/cannot sign: the request has no/);
  });

  it('certs - signing refuses a CA key that does not match, a non-CA cert, a tampered request', async () => {
    const other = await createCa({ commonName: 'Other CA', keyPem: req.keyPem });
    await expect(signRequest({ csrPem: req.csrPem, caCertPem: ca.certPem, caKeyPem: other.keyPem })).rejects.toThrow(
      'the CA key does not match the CA certificate',
    );
    await expect(signRequest({ csrPem: req.csrPem, caCertPem: certPem, caKeyPem: req.keyPem })).rejects.toThrow("'CN=node1' is not a CA certificate");
    // Flip one byte inside the DNS name "node1.example.com": the request's signature no longer verifies.
    const der = Buffer.from(pemBlocks(req.csrPem)[0]!.der);
    const at = der.indexOf(Buffer.from('node1.example.com'));
    der[at] = 'm'.charCodeAt(0);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect((await inspect(tampered)).signatureValid).toBe(false);
    await expect(signRequest({ csrPem: tampered, caCertPem: ca.certPem, caKeyPem: ca.keyPem })).rejects.toThrow(/signature does not verify/);
  });
});

function writeTmp(dir: string, name: string, data: string): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}
