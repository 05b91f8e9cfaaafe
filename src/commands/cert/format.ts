// Text and JSON shapes of certificate descriptions for `cert inspect` and signreq's prompt.
import type { CertificateInfo } from '../../certs/types.js';
import { formatTime } from './time.js';

const DAY_MS = 24 * 3600 * 1000;
/** inspect warns about certificates expiring sooner than this. */
export const EXPIRY_WARNING_DAYS = 30;

export function daysLeft(info: CertificateInfo, now: Date): number | undefined {
  return info.notAfter ? Math.floor((info.notAfter.getTime() - now.getTime()) / DAY_MS) : undefined;
}

/** The JSON document entry for one certificate or request (times as RFC 3339 UTC). */
export function toJson(file: string, info: CertificateInfo, now: Date): Record<string, unknown> {
  const out: Record<string, unknown> = { file, ...info };
  if (info.notBefore) out.notBefore = formatTime(info.notBefore);
  if (info.notAfter) {
    out.notAfter = formatTime(info.notAfter);
    out.daysLeft = daysLeft(info, now);
    out.expired = info.notAfter.getTime() < now.getTime();
  }
  return out;
}

function keyText(info: CertificateInfo): string {
  const k = info.publicKey;
  return k.bits ? `${k.algorithm} ${k.bits} bits` : k.curve ? `${k.algorithm} ${k.curve}` : k.algorithm;
}

function validityText(info: CertificateInfo, now: Date): string {
  const days = daysLeft(info, now)!;
  const until = formatTime(info.notAfter!);
  if (info.notAfter!.getTime() < now.getTime()) return `${until} (expired)`;
  if (info.notBefore && info.notBefore.getTime() > now.getTime()) return `${until} (not valid yet)`;
  return `${until} (${days} ${days === 1 ? 'day' : 'days'} left)`;
}

/** Human description: `file: kind` then aligned `label: value` lines. */
export function toText(file: string, info: CertificateInfo, now: Date): string {
  const rows: [string, string | undefined][] = [
    ['subject', info.subject || '(empty)'],
    ['issuer', info.issuer === undefined ? undefined : info.selfSigned ? `${info.issuer} (self-signed)` : info.issuer],
    ['serial', info.serialNumber],
    ['valid from', info.notBefore && formatTime(info.notBefore)],
    ['valid until', info.notAfter && validityText(info, now)],
    ['CA', info.isCa === undefined ? undefined : info.isCa ? 'yes' : 'no'],
    ['public key', keyText(info)],
    ['signature', info.signatureValid === false ? `${info.signatureAlgorithm} (DOES NOT VERIFY)` : info.signatureAlgorithm],
    ['key usage', info.keyUsage?.join(', ')],
    ['ext key usage', info.extKeyUsage?.join(', ')],
    ['DNS names', info.dnsNames.join(', ') || '-'],
    ['IP addresses', info.ipAddresses.join(', ') || '-'],
    ['node IDs', info.nodeIds.join(', ') || '-'],
    ['other names', info.otherNames.length ? info.otherNames.join(', ') : undefined],
    ['SHA-256', info.fingerprintSha256],
  ];
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...shown.map(([l]) => l.length)) + 1;
  const kind = info.kind === 'request' ? 'certificate request' : info.isCa ? 'CA certificate' : 'certificate';
  return [`${file}: ${kind}`, ...shown.map(([l, v]) => `  ${(l + ':').padEnd(width)} ${v}`)].join('\n') + '\n';
}

/** Receptor's signreq confirmation text (pkg/certificates/cli.go, SignReq), kept close to its layout. */
export function requestSummary(info: CertificateInfo): string {
  const lines = [
    'Requested certificate:',
    `  Subject: ${info.subject}`,
    `  Encryption Algorithm: ${info.publicKey.bits ? `${info.publicKey.algorithm} (${info.publicKey.bits} bits)` : keyText(info)}`,
    `  Signature Algorithm: ${info.signatureAlgorithm}`,
    '  Names:',
    ...info.dnsNames.map((n) => `    DNS Name: ${n}`),
    ...info.ipAddresses.map((n) => `    IP Address: ${n}`),
    ...info.nodeIds.map((n) => `    Receptor Node ID: ${n}`),
  ];
  return lines.join('\n') + '\n';
}
