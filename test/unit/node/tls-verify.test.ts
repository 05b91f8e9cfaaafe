// Chain verification as Go's crypto/x509 does it (src/node/tls-verify.ts), on hand-made certificates:
// what Go accepts and OpenSSL does not (a CA and its leaf with one subject, Receptor's test PKI), and
// everything that must still be refused (wrong CA, expiry, a self-signed leaf dressed as the CA's child,
// an issuer that is not a CA, key usage, path length, weak signatures, unknown critical extensions).
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { trustAnchors, verifyChain } from '../../../src/node/tls-verify.js';
import { forge, type Forged } from '../../helpers/forged-certs.js';

const DAY = 24 * 3600 * 1000;
let root: Forged;
let leaf: Forged;

beforeAll(async () => {
  // Receptor's test PKI: the CA and every node certificate are CN=localhost; leaves carry no SKID.
  root = await forge({ subject: 'CN=localhost', ca: true });
  leaf = await forge({ subject: 'CN=localhost', issuer: root, nodeIds: ['node1'] });
});

describe('tls verify', () => {
  it('tls verify - regression: a leaf with its CA\'s subject (Receptor test PKI) chains to the CA, for servers and clients', () => {
    expect(verifyChain(leaf.cert, [], [root.cert], 'server')).toBeUndefined();
    expect(verifyChain(leaf.cert, [], [root.cert], 'client')).toBeUndefined();
  });

  it('tls verify - same-subject chains through an intermediate, and without key identifiers', async () => {
    const mid = await forge({ subject: 'CN=localhost', issuer: root, ca: true });
    const viaMid = await forge({ subject: 'CN=localhost', issuer: mid, nodeIds: ['node2'], aki: false });
    expect(verifyChain(viaMid.cert, [mid.cert], [root.cert], 'server')).toBeUndefined();
    // Without the intermediate there is no chain.
    expect(verifyChain(viaMid.cert, [], [root.cert], 'server')).toBe('x509: certificate signed by unknown authority');
  });

  it('tls verify - a CA nobody trusts, or none at all, is refused', async () => {
    const other = await forge({ subject: 'CN=localhost', ca: true });
    expect(verifyChain(leaf.cert, [], [other.cert], 'server')).toBe('x509: certificate signed by unknown authority');
    expect(verifyChain(leaf.cert, [], [], 'server')).toBe('x509: certificate signed by unknown authority');
    // The system roots do not know a test CA either.
    expect(verifyChain(leaf.cert, [], trustAnchors(undefined), 'server')).toBe('x509: certificate signed by unknown authority');
  });

  it('tls verify - a self-signed leaf with the CA\'s subject and key identifier is refused; the trusted CA is not a ticket', async () => {
    // The attack the fallback must not open: a certificate that looks like the CA's child but signed itself.
    const impostor = await forge({ subject: 'CN=localhost', nodeIds: ['node1'], ski: false, akiOf: root });
    expect(verifyChain(impostor.cert, [], [root.cert], 'client')).toBe('x509: certificate signed by unknown authority');
    // Presenting the real CA as an intermediate does not help.
    expect(verifyChain(impostor.cert, [root.cert], [root.cert], 'client')).toBe('x509: certificate signed by unknown authority');
    // Nor does presenting another self-signed "CA" with the same name.
    const fakeCa = await forge({ subject: 'CN=localhost', ca: true });
    const signedByFake = await forge({ subject: 'CN=localhost', issuer: fakeCa, nodeIds: ['node1'] });
    expect(verifyChain(signedByFake.cert, [fakeCa.cert], [root.cert], 'client')).toBe('x509: certificate signed by unknown authority');
  });

  it('tls verify - expired and not-yet-valid certificates are refused, leaf or CA', async () => {
    const now = new Date();
    const expired = await forge({ subject: 'CN=localhost', issuer: root, notBefore: new Date(+now - 30 * DAY), notAfter: new Date(+now - DAY) });
    expect(verifyChain(expired.cert, [], [root.cert], 'server')).toMatch(
      /^x509: certificate has expired or is not yet valid: current time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ is after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    const early = await forge({ subject: 'CN=localhost', issuer: root, notBefore: new Date(+now + DAY), notAfter: new Date(+now + 30 * DAY) });
    expect(verifyChain(early.cert, [], [root.cert], 'server')).toMatch(/^x509: certificate has expired or is not yet valid: current time .* is before /);
    const oldCa = await forge({ subject: 'CN=localhost', ca: true, notBefore: new Date(+now - 30 * DAY), notAfter: new Date(+now - DAY) });
    const underOld = await forge({ subject: 'CN=localhost', issuer: oldCa });
    expect(verifyChain(underOld.cert, [], [oldCa.cert], 'server')).toMatch(/^x509: certificate has expired or is not yet valid: .* is after /);
  });

  it('tls verify - an issuer must be a CA allowed to sign certificates, within its path length', async () => {
    // keyCertSign but no basicConstraints CA:TRUE.
    const notCa = await forge({ subject: 'CN=localhost', issuer: root, keyCertSign: true });
    const underNotCa = await forge({ subject: 'CN=localhost', issuer: notCa });
    expect(verifyChain(underNotCa.cert, [notCa.cert], [root.cert], 'server')).toBe('x509: certificate is not authorized to sign other certificates');
    // CA:TRUE but no keyCertSign (OpenSSL's checkIssued refuses it: stricter than Go, never weaker).
    const noSign = await forge({ subject: 'CN=localhost', issuer: root, ca: true, keyCertSign: false });
    const underNoSign = await forge({ subject: 'CN=localhost', issuer: noSign });
    expect(verifyChain(underNoSign.cert, [noSign.cert], [root.cert], 'server')).toBe('x509: certificate signed by unknown authority');
    // pathLen 0 on the root: no intermediate below it.
    const tight = await forge({ subject: 'CN=localhost', ca: true, pathLen: 0 });
    const mid = await forge({ subject: 'CN=localhost', issuer: tight, ca: true });
    const deep = await forge({ subject: 'CN=localhost', issuer: mid });
    expect(verifyChain(deep.cert, [mid.cert], [tight.cert], 'server')).toBe('x509: too many intermediates for path length constraint');
  });

  it('tls verify - the extended key usage must allow the use, on the leaf and on the CAs', async () => {
    const clientOnly = await forge({ subject: 'CN=localhost', issuer: root, eku: ['clientAuth'] });
    expect(verifyChain(clientOnly.cert, [], [root.cert], 'client')).toBeUndefined();
    expect(verifyChain(clientOnly.cert, [], [root.cert], 'server')).toBe('x509: certificate specifies an incompatible key usage');
    const serverCa = await forge({ subject: 'CN=localhost', ca: true, eku: ['serverAuth'] });
    const any = await forge({ subject: 'CN=localhost', issuer: serverCa, eku: [] });
    expect(verifyChain(any.cert, [], [serverCa.cert], 'server')).toBeUndefined();
    expect(verifyChain(any.cert, [], [serverCa.cert], 'client')).toBe('x509: certificate specifies an incompatible key usage');
  });

  it('tls verify - SHA-1 signatures and unknown critical extensions are refused, as Go does', async () => {
    const sha1 = await forge({ subject: 'CN=localhost', issuer: root, hash: 'SHA-1' });
    expect(verifyChain(sha1.cert, [], [root.cert], 'server')).toBe('x509: cannot verify signature: insecure algorithm ECDSA-SHA1');
    const critical = await forge({ subject: 'CN=localhost', issuer: root, extra: ['1.3.6.1.4.1.99999.1', true] });
    expect(verifyChain(critical.cert, [], [root.cert], 'server')).toBe('x509: unhandled critical extension');
    const harmless = await forge({ subject: 'CN=localhost', issuer: root, extra: ['1.3.6.1.4.1.99999.1', false] });
    expect(verifyChain(harmless.cert, [], [root.cert], 'server')).toBeUndefined();
  });

  it('tls verify - a trusted certificate is a chain of one; PEM bundles give every certificate, other blocks are skipped', () => {
    expect(verifyChain(leaf.cert, [], [root.cert, leaf.cert], 'server')).toBeUndefined();
    const anchors = trustAnchors(`junk\n${root.pem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${leaf.pem}`);
    expect(anchors.map((a) => a.fingerprint256)).toEqual([root.cert.fingerprint256, leaf.cert.fingerprint256]);
    expect(anchors[0]).toBeInstanceOf(X509Certificate);
  });
});
