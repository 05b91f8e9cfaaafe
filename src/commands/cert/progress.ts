// Progress while an RSA key is generated: 4096 bits take seconds (8-11 s were measured on a loaded machine), and
// a command that sits silent that long looks hung. On a terminal the spinner shows (stderr); otherwise one line
// on stderr says what is going on. stdout stays empty either way.
import type { Factory } from '../../cmdutil/factory.js';

export async function generatingKey<T>(f: Factory, bits: number, work: () => Promise<T>): Promise<T> {
  const text = `generating a ${bits}-bit RSA key…`;
  if (f.io.spinnerEnabled()) return f.spinner.while(text, work);
  f.io.stderr.write(`${text}\n`);
  return work();
}
