// meshctl config get-contexts [NAME...]: the contexts of the contexts file (kubectl config get-contexts), the
// current one marked with `*`.
import { readContextsFile } from '../../cmdutil/contexts/file.js';
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { renderContexts } from '../../render/contexts.js';
import { contextData, contextsFileOf, noSuchContext } from './support.js';

export interface GetContextsOptions extends StructuredFlags {
  names: string[];
}

export async function run(o: GetContextsOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const path = contextsFileOf(f);
  const file = await readContextsFile(path);
  const all = file ? [...file.contexts.values()] : [];
  for (const n of o.names) if (!file?.contexts.has(n)) throw noSuchContext(n, path, file?.contexts.keys() ?? []);
  const shown = o.names.length ? all.filter((c) => o.names.includes(c.name)) : all;
  const data = shown.map((c) => contextData(c, file?.current));
  await f.print(format, data, (ctx) => renderContexts(data, ctx));
  if (format === 'human' && f.io.stdoutIsTTY && data.length === 0) f.note(`no contexts in ${path} (add one with: meshctl config set-context NAME --socket ADDRESS)`);
}
