// `meshctl cert makereq`: a certificate request, with a new key or an existing one
// (Receptor: `receptor --cert-makereq`; option rules from pkg/certificates/cli.go, MakeReqConfig.Prepare).
import { createRequest } from '../../certs/request.js';
import { checkBits, DEFAULT_BITS } from '../../certs/keys.js';
import { encodeSubjectAltName, hasNames } from '../../certs/san.js';
import type { Factory } from '../../cmdutil/factory.js';
import { UsageError } from '../../errors.js';
import { aboutFileAsync, checkOutputs, readInput, writeOutputs, type OutputFile } from './files.js';
import { requireOption } from './init.js';
import { generatingKey } from './progress.js';
import { applyReceptorParams, receptorSpelling, type ParamSpec } from './receptor-params.js';
import { parseBits } from './time.js';

export interface MakeReqOptions {
  commonName?: string;
  bits?: string | number;
  dnsName?: string[];
  ipAddress?: string[];
  nodeId?: string[];
  outReq?: string;
  inKey?: string;
  outKey?: string;
  force?: boolean;
  params?: string[];
}

export const MAKEREQ_PARAMS: ParamSpec[] = [
  { key: 'commonname', option: 'commonName', flag: '--common-name', kind: 'string' },
  { key: 'bits', option: 'bits', flag: '--bits', kind: 'string' },
  { key: 'dnsname', option: 'dnsName', flag: '--dns-name', kind: 'list' },
  { key: 'ipaddress', option: 'ipAddress', flag: '--ip-address', kind: 'list' },
  { key: 'nodeid', option: 'nodeId', flag: '--node-id', kind: 'list' },
  { key: 'outreq', option: 'outReq', flag: '--out-req', kind: 'string' },
  { key: 'inkey', option: 'inKey', flag: '--in-key', kind: 'string' },
  { key: 'outkey', option: 'outKey', flag: '--out-key', kind: 'string' },
];

export async function run(input: MakeReqOptions, f: Factory): Promise<void> {
  const io = f.io;
  const opts: MakeReqOptions = { ...input };
  applyReceptorParams('makereq', input.params, MAKEREQ_PARAMS, opts as Record<string, unknown>);
  // Receptor's spelling overwrites, as receptor --cert-makereq does (receptorSpelling).
  const force = opts.force || receptorSpelling(input.params);
  const commonName = requireOption(opts.commonName, '--common-name', 'commonname', 'node1');
  const outReq = requireOption(opts.outReq, '--out-req', 'outreq', 'node1.csr');
  if (!opts.inKey && !opts.outKey) {
    throw new UsageError('missing --out-key or --in-key', { hint: 'pass --out-key FILE for a new key, or --in-key FILE to reuse one' });
  }
  if (opts.inKey && opts.outKey) {
    throw new UsageError('--in-key and --out-key cannot be used together', { hint: '--out-key makes a new key; --in-key reuses one' });
  }
  const bitsGiven = parseBits(opts.bits, '--bits');
  if (opts.inKey && bitsGiven !== undefined) {
    throw new UsageError('--bits applies only to a new key', { hint: 'drop --bits when using --in-key' });
  }
  const names = { dnsNames: opts.dnsName ?? [], ipAddresses: opts.ipAddress ?? [], nodeIds: opts.nodeId ?? [] };
  if (!hasNames(names)) {
    // Receptor makes such a request, then refuses to sign it; say so now.
    throw new UsageError('the request has no names', { hint: 'add --dns-name, --ip-address or --node-id (signreq refuses a request without names)' });
  }
  encodeSubjectAltName(names); // validates every name before any key work
  const bits = opts.outKey ? checkBits(bitsGiven ?? DEFAULT_BITS) : undefined;

  const outputs: Omit<OutputFile, 'data'>[] = [{ path: outReq, flag: '--out-req', what: 'certificate request', mode: 0o644 }];
  if (opts.outKey) outputs.push({ path: opts.outKey, flag: '--out-key', what: 'private key', mode: 0o600 });
  const inputs = opts.inKey ? [opts.inKey] : [];
  await checkOutputs(outputs, { force, inputs });

  const keyPem = opts.inKey ? await readInput(opts.inKey, 'private key') : undefined;
  const make = () => createRequest({ commonName, ...names, ...(keyPem !== undefined ? { keyPem } : { bits: bits! }) });
  const req = opts.inKey ? await aboutFileAsync(opts.inKey, 'private key', make) : await generatingKey(f, bits!, make);
  await writeOutputs(
    outputs.map((o) => ({ ...o, data: o.flag === '--out-req' ? req.csrPem : req.keyPem })),
    { force, inputs },
  );
  io.stderr.write(`wrote certificate request '${outReq}' (CN=${commonName})\n`);
  if (opts.outKey) io.stderr.write(`wrote private key '${opts.outKey}' (RSA ${bits} bits, mode 0600)\n`);
}
