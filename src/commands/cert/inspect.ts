// `meshctl cert inspect FILE...`: what a certificate or request says (subject, issuer, validity, names
// including Receptor node IDs), as text or as one JSON array under --json. Warns on stderr about
// certificates that have expired, are not valid yet, or expire within 30 days.
import { readFile } from 'node:fs/promises';
import { inspectAll } from '../../certs/inspect.js';
import type { CertificateInfo } from '../../certs/types.js';
import type { Factory } from '../../cmdutil/factory.js';
import { MeshctlError, UsageError } from '../../errors.js';
import { aboutFileAsync } from './files.js';
import { EXPIRY_WARNING_DAYS, daysLeft, toJson, toText } from './format.js';
import { formatTime } from './time.js';

export interface InspectOptions {
  files: string[];
  json?: boolean;
  /** A JMESPath expression over the --json array (the Factory applies it). */
  query?: string;
  /** For tests: the time validity is judged against. */
  now?: Date;
}

function warning(file: string, info: CertificateInfo, now: Date): string | undefined {
  if (info.kind !== 'certificate' || !info.notAfter) return undefined;
  const who = `'${file}' (${info.subject})`;
  if (info.notAfter.getTime() < now.getTime()) return `warning: certificate ${who} expired on ${formatTime(info.notAfter)}`;
  if (info.notBefore && info.notBefore.getTime() > now.getTime()) {
    return `warning: certificate ${who} is not valid until ${formatTime(info.notBefore)}`;
  }
  const days = daysLeft(info, now)!;
  if (days < EXPIRY_WARNING_DAYS) return `warning: certificate ${who} expires in ${days} ${days === 1 ? 'day' : 'days'} (${formatTime(info.notAfter)})`;
  return undefined;
}

export async function run(opts: InspectOptions, f: Factory): Promise<void> {
  const io = f.io;
  if (!opts.files.length) throw new UsageError('missing FILE', { hint: 'e.g. meshctl cert inspect node1.crt' });
  const now = opts.now ?? new Date();
  const entries: { file: string; info: CertificateInfo }[] = [];
  for (const file of opts.files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new MeshctlError('EBADFILE', `cannot read '${file}': ${code ?? String(err)}`, { cause: err });
    }
    const infos = await aboutFileAsync(file, 'file', () => inspectAll(new Uint8Array(bytes)));
    for (const info of infos) entries.push({ file, info });
  }
  await f.print(
    opts.json || opts.query !== undefined ? 'json' : 'human',
    entries.map((e) => toJson(e.file, e.info, now)),
    () => entries.map((e) => toText(e.file, e.info, now)).join('\n'),
  );
  for (const e of entries) {
    const w = warning(e.file, e.info, now);
    if (w) io.stderr.write(w + '\n');
  }
}
