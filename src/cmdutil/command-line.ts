// meshctl command lines inside hints ("resume with: meshctl -s tcp://host:1 work results ID --start-pos N"). A hint
// the user pastes must reach the same node, so it repeats the connection flags this run was given on the command
// line; what came from the environment (MESHCTL_SOCKET, RECEPTORCTL_SOCKET, ...) is left out, since the shell that
// ran this command still has it. Issue 11: resume hints dropped the `-s ADDRESS` the user typed.
import type { GlobalOptions } from './globals.js';

/** A word as a POSIX shell reads it back: bare when it has no special characters, else in single quotes. */
export function shellWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The global flags that say how to reach the node, as given (flag spellings of src/cli/global-options.ts).
 * A new connection flag (a context, say) belongs here too.
 */
export function connectionArgs(g: GlobalOptions): string[] {
  const args: string[] = [];
  const add = (flag: string, value: string | undefined) => {
    if (value !== undefined && value !== '') args.push(flag, value);
  };
  add('--context', g.context);
  add('-s', g.socket);
  add('--config', g.config);
  add('--tls-client', g.tlsClient);
  add('--rootcas', g.rootcas);
  add('--cert', g.cert);
  add('--key', g.key);
  if (g.insecureskipverify) args.push('--insecureskipverify');
  add('--timeout', g.timeout);
  return args;
}

/** `meshctl <connection flags> <args...>`, each word shell-quoted. */
export function meshctlCommand(g: GlobalOptions, args: readonly string[]): string {
  return ['meshctl', ...connectionArgs(g), ...args].map(shellWord).join(' ');
}
