// `meshctl cert init`: a new CA certificate and key (Receptor: `receptor --cert-init`).
import { createCa } from '../../certs/ca.js';
import { checkBits, DEFAULT_BITS } from '../../certs/keys.js';
import type { Factory } from '../../cmdutil/factory.js';
import { UsageError } from '../../errors.js';
import { checkOutputs, writeOutputs } from './files.js';
import { generatingKey } from './progress.js';
import { applyReceptorParams, receptorSpelling, type ParamSpec } from './receptor-params.js';
import { formatTime, parseBits, parseTime } from './time.js';

export interface InitOptions {
  commonName?: string;
  bits?: string | number;
  notBefore?: string;
  notAfter?: string;
  outCert?: string;
  outKey?: string;
  force?: boolean;
  /** Receptor-style key=value words. */
  params?: string[];
}

export const INIT_PARAMS: ParamSpec[] = [
  { key: 'commonname', option: 'commonName', flag: '--common-name', kind: 'string' },
  { key: 'bits', option: 'bits', flag: '--bits', kind: 'string' },
  { key: 'notbefore', option: 'notBefore', flag: '--not-before', kind: 'string' },
  { key: 'notafter', option: 'notAfter', flag: '--not-after', kind: 'string' },
  { key: 'outcert', option: 'outCert', flag: '--out-cert', kind: 'string' },
  { key: 'outkey', option: 'outKey', flag: '--out-key', kind: 'string' },
];

export function requireOption(value: string | undefined, flag: string, key: string, example: string): string {
  if (value === undefined || value === '') {
    throw new UsageError(`missing ${flag}`, { hint: `e.g. ${flag} ${example} (or ${key}=${example})` });
  }
  return value;
}

export async function run(input: InitOptions, f: Factory): Promise<void> {
  const io = f.io;
  const opts: InitOptions = { ...input };
  applyReceptorParams('init', input.params, INIT_PARAMS, opts as Record<string, unknown>);
  // Receptor's spelling overwrites, as receptor --cert-init does (receptorSpelling).
  const force = opts.force || receptorSpelling(input.params);
  const commonName = requireOption(opts.commonName, '--common-name', 'commonname', "'My CA'");
  const outCert = requireOption(opts.outCert, '--out-cert', 'outcert', 'ca.crt');
  const outKey = requireOption(opts.outKey, '--out-key', 'outkey', 'ca.key');
  const bits = checkBits(parseBits(opts.bits, '--bits') ?? DEFAULT_BITS);
  const notBefore = parseTime(opts.notBefore, '--not-before');
  const notAfter = parseTime(opts.notAfter, '--not-after');
  const outputs = [
    { path: outCert, flag: '--out-cert', what: 'CA certificate' },
    { path: outKey, flag: '--out-key', what: 'CA private key' },
  ];
  await checkOutputs(outputs, { force });

  const ca = await generatingKey(f, bits, () =>
    createCa({ commonName, bits, ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}) }),
  );
  await writeOutputs(
    [
      { ...outputs[0]!, data: ca.certPem, mode: 0o644 },
      { ...outputs[1]!, data: ca.keyPem, mode: 0o600 },
    ],
    { force },
  );
  const { inspectCertificate } = await import('../../certs/inspect.js');
  const info = await inspectCertificate(ca.certPem);
  io.stderr.write(`wrote CA certificate '${outCert}' (${info.subject}, valid until ${formatTime(info.notAfter!)})\n`);
  io.stderr.write(`wrote CA private key '${outKey}' (mode 0600; keep it secret)\n`);
}
