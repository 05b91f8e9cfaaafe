// What a command needs, built lazily from the global options (gh's cmdutil.Factory): the ControlClient (the
// client module is only imported when a command actually talks to a node), TLS material read from files or from
// a Receptor config, output helpers, the spinner and the run's abort signal. One Factory per command run; the
// CLI (src/cli/main.ts) builds it and closes it.
import { readFile } from 'node:fs/promises';
import type { ControlClient } from '../client/control-client.js';
import type { ClientTlsOptions, ControlClientOptions } from '../client/options.js';
import { AbortError, MeshctlError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { formatStructured } from '../render/structured.js';
import { renderContext, type RenderContext } from '../render/style.js';
import { parseAddress } from '../transport/address.js';
import { meshctlCommand } from './command-line.js';
import { contextsPath, readContextsFile } from './contexts/file.js';
import { fileLabel, resolveConnection, type Connection, type Setting } from './contexts/resolve.js';
import { printError, printWarning } from './errors.js';
import { fsReason } from './fs-reason.js';
import type { GlobalOptions } from './globals.js';
import type { IOStreams } from './io/iostreams.js';
import { Spinner } from './io/spinner.js';
import { writeChunk } from './io/write.js';
import { rawQueryString, type OutputFormat, type StructuredFlags } from './output.js';
import { parseTimeout } from './timeout.js';
import { readTlsClient } from './tls-config.js';

export interface FactoryHooks {
  /**
   * Runs a meshctl command line in this process, on the same streams and under the same abort signal, through
   * the CLI's own parsing and error path; resolves to its exit status. The CLI passes it in (src/cli/main.ts), so
   * a command that runs other commands (`meshctl demo`) needs no import of the CLI above it.
   */
  runCommandLine?: (argv: readonly string[]) => Promise<number>;
}

/** MESHCTL_DEBUG is a comma-separated list; `wire` traces protocol lines. */
export function wireTraceEnabled(env: Record<string, string | undefined>): boolean {
  return (env.MESHCTL_DEBUG ?? '').split(',').some((w) => w.trim().toLowerCase() === 'wire');
}

export class Factory {
  readonly spinner: Spinner;
  private clientPromise: Promise<ControlClient> | undefined;
  private connectionPromise: Promise<Connection> | undefined;
  private cleanup: Promise<ControlClient> | undefined;
  private readonly trace: boolean;
  private closed = false;

  constructor(
    readonly io: IOStreams,
    readonly globals: GlobalOptions,
    readonly signal: AbortSignal,
    private readonly hooks: FactoryHooks = {},
    /** The command's output flags (--json, --yaml, --query, --wide), for print() and render(). */
    readonly output: StructuredFlags = {},
  ) {
    this.trace = wireTraceEnabled(io.env);
    // Trace lines and a spinner on the same stream would garble each other.
    this.spinner = new Spinner(io, io.spinnerEnabled() && !this.trace);
  }

  /** The client for --socket (created on first use, closed by main). */
  client(): Promise<ControlClient> {
    if (this.closed) return Promise.reject(new AbortError('the command has ended'));
    this.clientPromise ??= this.createClient();
    return this.clientPromise;
  }

  /**
   * A client that ignores Ctrl-C, for clean-up work that must still happen after an interrupt (`submit --rm`).
   * Bounded by a short timeout instead.
   */
  cleanupClient(): Promise<ControlClient> {
    if (this.closed) return Promise.reject(new AbortError('the command has ended'));
    this.cleanup ??= this.createClient({ detached: true });
    return this.cleanup;
  }

  private async createClient(o: { detached?: boolean } = {}): Promise<ControlClient> {
    const options = await this.clientOptions();
    if (o.detached) {
      delete options.signal;
      options.commandTimeoutMs = Math.min(options.commandTimeoutMs || 10_000, 10_000);
    }
    const { ControlClient } = await import('../client/control-client.js');
    return new ControlClient(options);
  }

  /**
   * Where this run connects, and with what: flags > --context > environment > MESHCTL_CONTEXT / current-context >
   * defaults, setting by setting (src/cmdutil/contexts/resolve.ts). The contexts file is read here, once, and only
   * by commands that connect.
   */
  connection(): Promise<Connection> {
    this.connectionPromise ??= (async () => {
      const path = contextsPath(this.io.env);
      const file = path === undefined ? undefined : await readContextsFile(path);
      return resolveConnection(this.globals, this.io.env, file, path);
    })();
    return this.connectionPromise;
  }

  /** Global options + environment + context → ControlClient options. Exported for tests through the instance. */
  async clientOptions(): Promise<ControlClientOptions> {
    const c = await this.connection();
    const address = c.socket?.value;
    if (address === undefined) {
      throw new MeshctlError('ENOSOCKET', 'no control service address given', {
        hint: 'pass --socket ADDRESS, set MESHCTL_SOCKET, or pick a context with meshctl config use-context NAME',
      });
    }
    const parsed = parseAddress(address); // EBADADDRESS before anything else happens
    const options: ControlClientOptions = { address, signal: this.signal };
    if (c.timeout !== undefined) {
      const ms = parseTimeout(c.timeout.value);
      options.connectTimeoutMs = ms;
      options.greetingTimeoutMs = ms;
      options.commandTimeoutMs = ms;
    }
    if (this.trace) {
      options.trace = (dir, line) => {
        this.io.stderr.write(`${dir} ${printable(line)}\n`);
      };
    }
    const tls = await this.tlsOptions(parsed.kind === 'tls', c);
    if (tls) options.tls = tls;
    return options;
  }

  private async tlsOptions(isTls: boolean, c: Connection): Promise<ClientTlsOptions | undefined> {
    const g = this.globals;
    // receptorctl's pairing rules (a config needs a tls-client name and excludes the file options) are checked
    // where the settings are resolved, level by level.
    const asFile = (flag: string, s: Setting<string> | undefined) => (s ? { path: s.value, what: fileLabel(flag, s) } : undefined);
    let rootcas = asFile('--rootcas', c.rootcas);
    let cert = asFile('--cert', c.cert);
    let key = asFile('--key', c.key);
    let skip = c.insecureskipverify?.value ?? false;
    if (c.config && c.tlsClient) {
      const entry = await readTlsClient(c.config.value, c.tlsClient.value);
      const fromEntry = (flag: string, path: string | undefined) => (path ? { path, what: `${flag} file '${path}'` } : undefined);
      rootcas = fromEntry('--rootcas', entry.rootcas);
      cert = fromEntry('--cert', entry.cert);
      key = fromEntry('--key', entry.key);
      skip ||= entry.insecureskipverify;
    }
    if (!isTls) {
      // Only what was typed: a context's TLS files are simply unused with a unix: or tcp:// address.
      if (g.rootcas || g.cert || g.key || g.insecureskipverify) {
        this.warn('--rootcas, --cert, --key and --insecureskipverify only apply to tls:// addresses');
      }
      return undefined;
    }
    if (Boolean(cert) !== Boolean(key)) throw new UsageError('--cert and --key must be given together');
    const tls: ClientTlsOptions = {};
    if (rootcas) tls.ca = await readPem(rootcas.what, rootcas.path);
    if (cert) tls.cert = await readPem(cert.what, cert.path);
    if (key) tls.key = await readPem(key.what, key.path);
    if (skip) tls.insecureSkipVerify = true;
    return tls;
  }

  /**
   * Rendering context for human output on stdout: TTY layout, colour per IOStreams, the terminal's width for
   * tables to fit (read now: the window may have been resized), and `--wide`.
   */
  render(): RenderContext {
    return renderContext(this.io.stdoutIsTTY, this.io.colorEnabled('stdout'), { width: this.io.columns('stdout'), wide: this.output.wide });
  }

  /** Writes text (or bytes) to stdout, honouring backpressure. */
  out(data: string | Uint8Array): Promise<void> {
    return writeChunk(this.io.stdout, data);
  }

  /**
   * --json / --yaml document, the --query result, or the human rendering. --query and --wide come from the
   * command's output flags (`output`), so every command that prints through here has them. `o.queryData`: what
   * --query sees when it is not the --json document (`work list` lists its units as an array, for filters;
   * docs/cli.md "Output").
   */
  async print(format: OutputFormat, data: unknown, human: (ctx: RenderContext) => string, o: { queryData?: unknown } = {}): Promise<void> {
    const query = this.output.query;
    let text: string;
    if (format === 'human') text = human(this.render());
    else if (query === undefined) text = await formatStructured(format, data);
    else {
      const { applyQuery } = await import('./query.js');
      const result = await applyQuery(query, 'queryData' in o ? o.queryData : data);
      // A lone string is printed raw (gh's --jq); on a terminal its control characters are escaped like all
      // peer text shown there, piped it is exact.
      if (rawQueryString(this.output, result)) text = `${this.io.stdoutIsTTY ? printable(result) : result}\n`;
      else text = await formatStructured(format, result);
    }
    if (text !== '') await this.out(text);
  }

  /** A warning line on stderr (never stdout: it would corrupt data); control characters escaped, as in note(). */
  warn(message: string): void {
    this.spinner.stop();
    printWarning(this.io, message);
  }

  /**
   * Reports one failure of a command that goes on (one unit of several in `work release`), exactly as the CLI's
   * error path would print it; returns its exit status. A command that stops throws instead.
   */
  printError(err: unknown): number {
    this.spinner.stop();
    return printError(this.io, err, { debug: this.globals.debug });
  }

  /** An informational line on stderr. Messages quote peer data (errors, unit ids): control characters are escaped. */
  note(message: string): void {
    this.spinner.stop();
    this.io.stderr.write(`${printable(message)}\n`);
  }

  /**
   * A meshctl command line for a hint, with the connection flags this run was given (`-s ADDRESS`, TLS files,
   * --config/--tls-client, --timeout), so that pasting it reaches the same node: see command-line.ts.
   */
  commandHint(...args: string[]): string {
    return meshctlCommand(this.globals, args);
  }

  /** See FactoryHooks.runCommandLine. */
  runCommandLine(argv: readonly string[]): Promise<number> {
    if (!this.hooks.runCommandLine) return Promise.reject(new Error('this factory cannot run command lines'));
    return this.hooks.runCommandLine(argv);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.spinner.stop();
    const clients = [this.clientPromise, this.cleanup];
    this.clientPromise = undefined;
    this.cleanup = undefined;
    for (const p of clients) {
      if (!p) continue;
      try {
        await (await p).close();
      } catch {
        // creating it failed (already reported) or closing a broken connection: nothing left to do
      }
    }
  }
}

async function readPem(what: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new MeshctlError('EBADFILE', `cannot read ${what}: ${fsReason(err)}`, { cause: err });
  }
}
