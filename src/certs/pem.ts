// PEM armour: split a file into blocks, and wrap DER the way Go's encoding/pem does (64-column base64).
import { MeshctlError } from '../errors.js';

export interface PemBlock {
  /** The label between BEGIN and the dashes: CERTIFICATE, CERTIFICATE REQUEST, RSA PRIVATE KEY... */
  type: string;
  /** RFC 1421 headers (Proc-Type, DEK-Info) of legacy encrypted keys. */
  headers: Record<string, string>;
  der: Uint8Array;
  /** The block's text, BEGIN and END lines included. */
  text: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order. Text outside blocks is ignored (as Go's pem.Decode does). */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const headers: Record<string, string> = {};
    const lines = m[2]!.split(/\r?\n/);
    let i = 0;
    for (; i < lines.length; i++) {
      const h = /^([A-Za-z-]+):\s*(.*)$/.exec(lines[i]!);
      if (!h) break;
      headers[h[1]!] = h[2]!;
    }
    const body = lines.slice(i).join('').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
      throw new MeshctlError('EBADFILE', `bad base64 in PEM block '${m[1]}'`, { hint: 'the file is damaged' });
    }
    out.push({ type: m[1]!, headers, der: new Uint8Array(Buffer.from(body, 'base64')), text: m[0] });
  }
  return out;
}

export function toPem(type: string, der: Uint8Array | ArrayBuffer): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/** PEM text, or raw DER bytes, to DER of the first block of the wanted type (DER is taken as is). */
export function toDer(input: string | Uint8Array, type: string): Uint8Array {
  if (typeof input !== 'string') {
    // Bytes that look like PEM text are decoded as PEM; anything else is DER already.
    const head = Buffer.from(input.subarray(0, 64)).toString('latin1');
    if (!head.includes('-----BEGIN ')) return input;
    input = Buffer.from(input).toString('utf8');
  }
  const block = pemBlocks(input).find((b) => b.type === type);
  if (!block) {
    throw new MeshctlError('EBADFILE', `no '${type}' PEM block found`, { hint: `expected a file with -----BEGIN ${type}-----` });
  }
  return block.der;
}
