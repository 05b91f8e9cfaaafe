// Hand-made certificates for chain-verification tests: any subject, issuer, extensions, validity and
// signature hash, signed by any key (ECDSA P-256, fast to make). Built with @peculiar/x509, not with the
// code under test (src/node/tls-verify.ts) nor with src/certs's Receptor-shaped issuing.
//
//   const root = await forge({ subject: 'CN=localhost', ca: true });
//   const leaf = await forge({ subject: 'CN=localhost', issuer: root, nodeIds: ['a'] });
//   leaf.cert (node:crypto X509Certificate), leaf.pem, leaf.keys
import { X509Certificate, webcrypto } from 'node:crypto';
import { encodeSubjectAltName } from '../../src/certs/index.js';
import { loadX509 } from '../../src/certs/x509-stack.js';

export interface Forged {
  cert: X509Certificate;
  pem: string;
  /** The private key, PKCS#8 PEM (for TLS). */
  keyPem: string;
  keys: webcrypto.CryptoKeyPair;
  subject: string;
}

export interface ForgeOptions {
  subject: string;
  /** The signer; default: self-signed. */
  issuer?: Forged;
  /** Issuer name written into the certificate (default: the signer's subject). */
  issuerName?: string;
  /** basicConstraints CA:TRUE (critical); with `pathLen`. */
  ca?: boolean;
  pathLen?: number;
  /** keyUsage; default keyCertSign+digitalSignature for CAs, digitalSignature otherwise. */
  keyCertSign?: boolean;
  /** extKeyUsage OIDs; default clientAuth+serverAuth; [] for none. */
  eku?: ('serverAuth' | 'clientAuth')[];
  nodeIds?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Signature hash (default SHA-256). */
  hash?: 'SHA-1' | 'SHA-256';
  /** subjectKeyIdentifier (default: CAs only, as Go does). */
  ski?: boolean;
  /** authorityKeyIdentifier from the signer's key (default true when signed by another certificate). */
  aki?: boolean;
  /** An authorityKeyIdentifier naming this certificate's key instead (a forgery's claim). */
  akiOf?: Forged;
  /** An extra extension: [oid, critical]. */
  extra?: [string, boolean];
}

const DAY = 24 * 3600 * 1000;

export async function forge(o: ForgeOptions): Promise<Forged> {
  const x509 = await loadX509();
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const signer = o.issuer?.keys ?? keys;
  const isCa = o.ca === true;
  const exts: InstanceType<typeof x509.Extension>[] = [];
  const certSign = o.keyCertSign ?? isCa;
  exts.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (certSign ? x509.KeyUsageFlags.keyCertSign : 0), true));
  const eku = o.eku ?? ['clientAuth', 'serverAuth'];
  if (eku.length > 0) exts.push(new x509.ExtendedKeyUsageExtension(eku.map((e) => x509.ExtendedKeyUsage[e])));
  if (isCa) exts.push(new x509.BasicConstraintsExtension(true, o.pathLen, true));
  if (o.ski ?? isCa) exts.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never));
  const akiKey = o.akiOf?.keys.publicKey ?? (o.issuer && (o.aki ?? true) ? o.issuer.keys.publicKey : undefined);
  if (akiKey) exts.push(await x509.AuthorityKeyIdentifierExtension.create(akiKey as never));
  if (o.nodeIds && o.nodeIds.length > 0) {
    exts.push(new x509.Extension('2.5.29.17', false, encodeSubjectAltName({ dnsNames: ['localhost'], nodeIds: o.nodeIds })));
  }
  if (o.extra) exts.push(new x509.Extension(o.extra[0], o.extra[1], new Uint8Array([0x05, 0x00])));
  const created = await x509.X509CertificateGenerator.create({
    subject: o.subject,
    issuer: o.issuerName ?? o.issuer?.subject ?? o.subject,
    notBefore: o.notBefore ?? new Date(Date.now() - DAY),
    notAfter: o.notAfter ?? new Date(Date.now() + 30 * DAY),
    publicKey: keys.publicKey as never,
    signingKey: signer.privateKey as never,
    signingAlgorithm: { name: 'ECDSA', hash: o.hash ?? 'SHA-256' } as never,
    extensions: exts,
  });
  const pem = created.toString('pem');
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: new X509Certificate(pem), pem, keyPem, keys, subject: o.subject };
}
