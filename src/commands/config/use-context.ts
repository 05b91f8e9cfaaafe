// meshctl config use-context NAME: make NAME the file's current-context (kubectl config use-context).
import { editContextsFile } from '../../cmdutil/contexts/file.js';
import type { Factory } from '../../cmdutil/factory.js';
import { contextsFileOf, noSuchContext } from './support.js';

export interface UseContextOptions {
  name: string;
}

export async function run(o: UseContextOptions, f: Factory): Promise<void> {
  const path = contextsFileOf(f);
  await editContextsFile(path, (edit, before) => {
    if (!before.contexts.has(o.name)) throw noSuchContext(o.name, path, before.contexts.keys());
    edit.setCurrent(o.name);
  });
  f.note(`switched to context '${o.name}'`);
  const env = f.io.env.MESHCTL_CONTEXT;
  if (env && env !== o.name) f.warn(`MESHCTL_CONTEXT='${env}' is set and still wins over the file's current-context`);
}
