// `meshctl cert signreq`: sign a request with the CA (Receptor: `receptor --cert-signreq`). Like Receptor
// it shows the request and asks before signing unless told not to (--yes / verify=yes). In Receptor's key=value
// spelling it reads the answer from stdin whatever stdin is, as Receptor does (`echo yes | meshctl cert signreq
// req=...` signs); in the flag spelling, with no terminal to ask on, it refuses at once instead of reading a
// closed or piped stdin. The request and the question go to stderr (Receptor prints them on stdout).
import { inspectCertificate, inspectRequestDer } from '../../certs/inspect.js';
import { parsePrivateKey } from '../../certs/keys.js';
import { toDer } from '../../certs/pem.js';
import { signRequest } from '../../certs/sign.js';
import { SilentError } from '../../cmdutil/errors.js';
import type { Factory } from '../../cmdutil/factory.js';
import { confirm } from '../../cmdutil/prompt.js';
import { EXIT, MeshctlError, UsageError } from '../../errors.js';
import { aboutFile, aboutFileAsync, checkOutputs, readInput, writeOutputs } from './files.js';
import { requestSummary } from './format.js';
import { requireOption } from './init.js';
import { applyReceptorParams, receptorSpelling, type ParamSpec } from './receptor-params.js';
import { formatTime, parseTime } from './time.js';

export interface SignReqOptions {
  req?: string;
  caCert?: string;
  caKey?: string;
  notBefore?: string;
  notAfter?: string;
  outCert?: string;
  /** Sign without asking (Receptor's verify=yes). */
  yes?: boolean;
  force?: boolean;
  params?: string[];
}

export const SIGNREQ_PARAMS: ParamSpec[] = [
  { key: 'req', option: 'req', flag: '--req', kind: 'string' },
  { key: 'cacert', option: 'caCert', flag: '--ca-cert', kind: 'string' },
  { key: 'cakey', option: 'caKey', flag: '--ca-key', kind: 'string' },
  { key: 'notbefore', option: 'notBefore', flag: '--not-before', kind: 'string' },
  { key: 'notafter', option: 'notAfter', flag: '--not-after', kind: 'string' },
  { key: 'outcert', option: 'outCert', flag: '--out-cert', kind: 'string' },
  { key: 'verify', option: 'yes', flag: '--yes', kind: 'bool' },
];

export async function run(input: SignReqOptions, f: Factory): Promise<void> {
  const io = f.io;
  const opts: SignReqOptions = { ...input };
  applyReceptorParams('signreq', input.params, SIGNREQ_PARAMS, opts as Record<string, unknown>);
  // Receptor's spelling overwrites and takes a piped answer, as receptor --cert-signreq does (receptorSpelling).
  const receptorStyle = receptorSpelling(input.params);
  const force = opts.force || receptorStyle;
  const reqPath = requireOption(opts.req, '--req', 'req', 'node1.csr');
  const caCertPath = requireOption(opts.caCert, '--ca-cert', 'cacert', 'ca.crt');
  const caKeyPath = requireOption(opts.caKey, '--ca-key', 'cakey', 'ca.key');
  const outCert = requireOption(opts.outCert, '--out-cert', 'outcert', 'node1.crt');
  const notBefore = parseTime(opts.notBefore, '--not-before');
  const notAfter = parseTime(opts.notAfter, '--not-after');
  const inputs = [reqPath, caCertPath, caKeyPath];
  const outputs = [{ path: outCert, flag: '--out-cert', what: 'certificate' }];
  await checkOutputs(outputs, { force, inputs });

  const csrPem = await readInput(reqPath, 'certificate request');
  const caCertPem = await readInput(caCertPath, 'CA certificate');
  const caKeyPem = await readInput(caKeyPath, 'CA private key');
  // Check each input on its own first, so an error names the file at fault (and before any prompt).
  const request = await aboutFileAsync(reqPath, 'certificate request', async () =>
    inspectRequestDer(toDer(csrPem, 'CERTIFICATE REQUEST')),
  );
  if (!request.signatureValid) {
    throw new MeshctlError('EBADFILE', `certificate request '${reqPath}': its signature does not verify`, {
      hint: 'the request was altered or damaged; make a new one',
    });
  }
  if (!request.dnsNames.length && !request.ipAddresses.length && !request.nodeIds.length) {
    throw new MeshctlError('EBADFILE', `cannot sign '${reqPath}': the request has no DNS name, IP address or node ID`, {
      hint: 'make the request with --dns-name, --ip-address or --node-id',
    });
  }
  const caInfo = await aboutFileAsync(caCertPath, 'CA certificate', () => inspectCertificate(caCertPem));
  aboutFile(caKeyPath, 'CA private key', () => parsePrivateKey(caKeyPem));
  if (!opts.yes) {
    if (!receptorStyle && !io.canPrompt()) {
      throw new UsageError(`refusing to sign '${reqPath}' without confirmation: no terminal to ask on`, {
        hint: `check it with \`meshctl cert inspect ${reqPath}\`, then pass --yes (or verify=yes)`,
      });
    }
    io.stderr.write(requestSummary(request));
    if (!(await confirm(io, 'Sign certificate (yes/no)? ', f.signal))) {
      io.stderr.write('not signed\n');
      throw new SilentError(EXIT.UNIT_FAILED);
    }
  }

  // What is left to fail here concerns the CA pair (key not matching, not a CA certificate).
  const signed = await aboutFileAsync(caCertPath, 'CA', () =>
    signRequest({ csrPem, caCertPem, caKeyPem, ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}) }),
  );
  await writeOutputs([{ ...outputs[0]!, data: signed.certPem, mode: 0o644 }], { force, inputs });
  const cert = await inspectCertificate(signed.certPem);
  io.stderr.write(`wrote certificate '${outCert}' (${cert.subject}, valid until ${formatTime(cert.notAfter!)})\n`);
  if (caInfo.notAfter && cert.notAfter && cert.notAfter > caInfo.notAfter) {
    io.stderr.write(`warning: the certificate outlives its CA, which expires ${formatTime(caInfo.notAfter)}\n`);
  }
}
