// Options that apply to every command. They are defined on the root command (so they can come before the
// command name, as with receptorctl) and again on each leaf command (so `meshctl status -s SOCK` works too);
// the root uses positional options, so an option after the command name belongs to that command. That is
// what lets the global `--tls-client` (TLS for our own connection, read from --config) and the per-command
// `--tls-client` (a tls-client name the node uses for the next hop) coexist, as they do in receptorctl.
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../cmdutil/globals.js';

export type { GlobalOptions } from '../cmdutil/globals.js';

const GROUP = 'Global Options:';

/** Options taking a value, for scanning argv before parsing (see argv.ts firstOperand). */
export const GLOBAL_OPTIONS_WITH_VALUE: ReadonlySet<string> = new Set([
  '-s',
  '--socket',
  '-c',
  '--config',
  '--tls-client',
  '--rootcas',
  '--cert',
  '--key',
  '--timeout',
  '--context',
]);

function connectionOptions(): Option[] {
  return [
    new Option('-s, --socket <address>', 'control service: PATH, unix:PATH, tcp://HOST:PORT or tls://HOST:PORT (env MESHCTL_SOCKET, RECEPTORCTL_SOCKET)'),
    new Option('--rootcas <file>', 'CA bundle (PEM) to verify a tls:// server with, instead of the system store'),
    new Option('--cert <file>', 'client certificate (PEM) for tls://'),
    new Option('--key <file>', 'client private key (PEM) for tls://'),
    new Option('--insecureskipverify', "don't check the server's host name (the chain is still verified)"),
    new Option('--timeout <duration>', 'connect and reply timeout, e.g. 5s, 500ms, 2m (default: 10s connect, 30s reply)'),
    new Option('--context <name>', 'connect as the named context says (env MESHCTL_CONTEXT; see meshctl config); other flags override it'),
  ];
}

function diagnosticOptions(): Option[] {
  return [
    new Option('--debug', 'print stack traces with errors (MESHCTL_DEBUG=wire also traces protocol lines)'),
    new Option('--no-color', 'no colour (also NO_COLOR=1)'),
  ];
}

export function addRootGlobalOptions(program: Command): void {
  for (const o of connectionOptions()) program.addOption(o);
  program.addOption(new Option('-c, --config <file>', 'Receptor config file holding the tls-client named by --tls-client'));
  program.addOption(new Option('--tls-client <name>', 'tls-client entry of --config to use for a tls:// connection'));
  for (const o of diagnosticOptions()) program.addOption(o);
}

/** The same options again on a leaf command, grouped apart in its help. */
export function addLeafGlobalOptions(cmd: Command, opts: { connection: boolean }): void {
  const list = opts.connection ? [...connectionOptions(), ...diagnosticOptions()] : diagnosticOptions();
  for (const o of list) cmd.addOption(o.helpGroup(GROUP));
}

const LEAF_KEYS = ['context', 'socket', 'rootcas', 'cert', 'key', 'insecureskipverify', 'timeout', 'debug', 'color'] as const;

/** Root values, overridden by any the leaf (or an intermediate group) got from the command line. */
export function resolveGlobals(leaf: Command): GlobalOptions {
  const chain: Command[] = [];
  for (let c: Command | null = leaf; c; c = c.parent) chain.unshift(c);
  const root = chain[0]!;
  const r = root.opts() as Record<string, unknown>;
  const g: GlobalOptions = {
    context: r.context as string | undefined,
    socket: r.socket as string | undefined,
    config: r.config as string | undefined,
    tlsClient: r.tlsClient as string | undefined,
    rootcas: r.rootcas as string | undefined,
    cert: r.cert as string | undefined,
    key: r.key as string | undefined,
    insecureskipverify: Boolean(r.insecureskipverify),
    timeout: r.timeout as string | undefined,
    debug: Boolean(r.debug),
    color: r.color !== false,
  };
  for (const c of chain.slice(1)) {
    const o = c.opts() as Record<string, unknown>;
    for (const k of LEAF_KEYS) {
      if (c.getOptionValueSource(k) === 'cli') (g as unknown as Record<string, unknown>)[k] = o[k];
    }
  }
  return g;
}

/** --debug anywhere on the command line, for the error path (which may run before parsing finished). */
export function debugRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--debug');
}
