// meshctl config delete-context NAME: remove a context; removing the current one leaves no current context
// (kubectl config delete-context warns the same way).
import { editContextsFile } from '../../cmdutil/contexts/file.js';
import type { Factory } from '../../cmdutil/factory.js';
import { contextsFileOf, noSuchContext } from './support.js';

export interface DeleteContextOptions {
  name: string;
}

export async function run(o: DeleteContextOptions, f: Factory): Promise<void> {
  const path = contextsFileOf(f);
  const wasCurrent = await editContextsFile(path, (edit, before) => {
    if (!before.contexts.has(o.name)) throw noSuchContext(o.name, path, before.contexts.keys());
    edit.remove(o.name);
    if (before.current !== o.name) return false;
    edit.setCurrent(undefined);
    return true;
  });
  f.note(`deleted context '${o.name}'`);
  if (wasCurrent) f.warn(`'${o.name}' was the current context; choose another with meshctl config use-context NAME`);
}
