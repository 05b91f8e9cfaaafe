// meshctl config current-context: the name of the context commands use when no --context is given:
// MESHCTL_CONTEXT, else the file's current-context (kubectl config current-context reads only the file; the
// variable is shown here because it decides just the same).
import { readContextsFile } from '../../cmdutil/contexts/file.js';
import { selectContext } from '../../cmdutil/contexts/resolve.js';
import type { Factory } from '../../cmdutil/factory.js';
import { MeshctlError } from '../../errors.js';
import { contextsFileOf } from './support.js';

export type CurrentContextOptions = Record<string, never>;

export async function run(_o: CurrentContextOptions, f: Factory): Promise<void> {
  const path = contextsFileOf(f);
  const file = await readContextsFile(path);
  const chosen = selectContext({}, f.io.env, file, path);
  if (!chosen) {
    throw new MeshctlError('EBADCONFIG', `no current context${file ? ` in '${path}'` : ` (no contexts file '${path}')`}`, {
      hint: file?.contexts.size ? 'choose one with: meshctl config use-context NAME' : 'add one with: meshctl config set-context NAME --socket ADDRESS',
    });
  }
  await f.out(`${chosen.context.name}\n`);
  if (chosen.via === 'env' && file?.current !== chosen.context.name) {
    f.note(`(from MESHCTL_CONTEXT; the file's current-context is ${file?.current === undefined ? 'not set' : `'${file.current}'`})`);
  }
}
