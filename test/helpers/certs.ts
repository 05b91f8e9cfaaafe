// Per-run certificates for TLS tests: one CA per makeTestPki call, node certificates signed by it (RSA
// 2048, made through the real createRequest → signRequest path), and the bad certificates TLS tests need
// (expired, from an unknown CA, with names that do not match, an encrypted key).
//
//   const pki = await makeTestPki(dir, { nodes: [{ name: 'server' }, { name: 'client', nodeIds: [] }] });
//   pki.ca.certPath, pki.nodes.server.certPath, pki.nodes.server.keyPath, pki.nodes.server.certPem ...
import { createPrivateKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCa, createRequest, signRequest } from '../../src/certs/index.js';

export interface TestNodeSpec {
  /** File stem (`<name>.crt`, `<name>.key`) and default common name and node ID. */
  name: string;
  /** Receptor node IDs (otherName SANs). Default `[name]`; `[]` for none. */
  nodeIds?: string[];
  /** Default `['localhost']`; `[]` for none. */
  dnsNames?: string[];
  /** Default `['127.0.0.1', '::1']`; `[]` for none. */
  ips?: string[];
  /** Default: `name`. */
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestCertFiles {
  name: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  dir: string;
  ca: TestCertFiles;
  nodes: Record<string, TestCertFiles>;
}

export interface TestPkiOptions {
  nodes: TestNodeSpec[];
  /** Default 'meshctl test CA'. */
  caCommonName?: string;
}

async function writePair(dir: string, name: string, certPem: string, keyPem: string): Promise<TestCertFiles> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  await writeFile(certPath, certPem, { mode: 0o644 });
  await writeFile(keyPath, keyPem, { mode: 0o600 });
  return { name, certPath, keyPath, certPem, keyPem };
}

async function issue(dir: string, ca: { certPem: string; keyPem: string }, spec: TestNodeSpec): Promise<TestCertFiles> {
  const req = await createRequest({
    commonName: spec.commonName ?? spec.name,
    dnsNames: spec.dnsNames ?? ['localhost'],
    ipAddresses: spec.ips ?? ['127.0.0.1', '::1'],
    nodeIds: spec.nodeIds ?? [spec.name],
  });
  const signed = await signRequest({
    csrPem: req.csrPem,
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    ...(spec.notBefore ? { notBefore: spec.notBefore } : {}),
    ...(spec.notAfter ? { notAfter: spec.notAfter } : {}),
  });
  return writePair(dir, spec.name, signed.certPem, req.keyPem);
}

/**
 * Writes `ca.crt`, `ca.key` and `<name>.crt` / `<name>.key` per node into `dir` (which must exist).
 * Keys are PKCS#1 PEM, mode 0600. Keys are generated in parallel (~0.25 s each for RSA 2048).
 */
export async function makeTestPki(dir: string, options: TestPkiOptions): Promise<TestPki> {
  const ca = await createCa({ commonName: options.caCommonName ?? 'meshctl test CA' });
  const caFiles = await writePair(dir, 'ca', ca.certPem, ca.keyPem);
  const issued = await Promise.all(options.nodes.map((spec) => issue(dir, ca, spec)));
  return { dir, ca: caFiles, nodes: Object.fromEntries(issued.map((f) => [f.name, f])) };
}

/** Another certificate from the same CA (e.g. a second client). Written as `<name>.crt` / `.key`. */
export function issueTestCert(pki: TestPki, spec: TestNodeSpec): Promise<TestCertFiles> {
  return issue(pki.dir, pki.ca, spec);
}

/** A certificate from the pki's CA whose validity ended yesterday. */
export function makeExpiredCert(pki: TestPki, spec: TestNodeSpec): Promise<TestCertFiles> {
  const day = 24 * 3600 * 1000;
  return issue(pki.dir, pki.ca, { ...spec, notBefore: new Date(Date.now() - 30 * day), notAfter: new Date(Date.now() - day) });
}

/**
 * A certificate with the usual names signed by a different CA that nobody trusts. Also writes that
 * CA as `<name>-ca.crt` / `<name>-ca.key` (returned as `ca`).
 */
export async function makeUnknownCaCert(pki: TestPki, spec: TestNodeSpec): Promise<TestCertFiles & { ca: TestCertFiles }> {
  const other = await createCa({ commonName: 'unknown test CA' });
  const caFiles = await writePair(pki.dir, `${spec.name}-ca`, other.certPem, other.keyPem);
  return { ...(await issue(pki.dir, other, spec)), ca: caFiles };
}

/**
 * A certificate from the pki's CA whose names match nothing a test dials or expects: DNS
 * `wrong.invalid`, IP 192.0.2.1 (TEST-NET-1), node ID `not-<name>` (unless given in `spec`).
 */
export function makeMismatchedCert(pki: TestPki, spec: TestNodeSpec): Promise<TestCertFiles> {
  return issue(pki.dir, pki.ca, {
    dnsNames: ['wrong.invalid'],
    ips: ['192.0.2.1'],
    nodeIds: [`not-${spec.name}`],
    ...spec,
  });
}

/**
 * Encrypts `files`' key with `passphrase` and writes it as `<name>.enc.key` (mode 0600). `pkcs1` (the
 * default) gives a legacy `RSA PRIVATE KEY` with Proc-Type/DEK-Info headers (AES-256-CBC), as
 * `openssl genrsa -aes256` makes; `pkcs8` gives `ENCRYPTED PRIVATE KEY`.
 */
export async function makeEncryptedKey(
  files: TestCertFiles,
  passphrase: string,
  format: 'pkcs1' | 'pkcs8' = 'pkcs1',
): Promise<{ keyPath: string; keyPem: string; passphrase: string }> {
  const key = createPrivateKey(files.keyPem);
  const keyPem = key.export({ type: format, format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
  const keyPath = files.keyPath.replace(/\.key$/, '') + '.enc.key';
  await writeFile(keyPath, keyPem, { mode: 0o600 });
  return { keyPath, keyPem, passphrase };
}
