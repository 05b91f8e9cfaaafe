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

  /** Global options + environment → ControlClient options. Exported for tests through the instance. */
  async clientOptions(): Promise<ControlClientOptions> {
    const g = this.globals;
    const env = this.io.env;
    const address = g.socket ?? env.MESHCTL_SOCKET ?? env.RECEPTORCTL_SOCKET;
    if (address === undefined || address === '') {
      throw new MeshctlError('ENOSOCKET', 'no control service address given');
    }
    const parsed = parseAddress(address); // EBADADDRESS before anything else happens
    const options: ControlClientOptions = { address, signal: this.signal };
    if (g.timeout !== undefined) {
      const ms = parseTimeout(g.timeout);
      options.connectTimeoutMs = ms;
      options.greetingTimeoutMs = ms;
      options.commandTimeoutMs = ms;
    }
    if (this.trace) {
      options.trace = (dir, line) => {
        this.io.stderr.write(`${dir} ${printable(line)}\n`);
      };
    }
    const tls = await this.tlsOptions(parsed.kind === 'tls');
    if (tls) options.tls = tls;
    return options;
  }

  private async tlsOptions(isTls: boolean): Promise<ClientTlsOptions | undefined> {
    const g = this.globals;
    const env = this.io.env;
    const config = g.config ?? env.MESHCTL_CONFIG ?? env.RECEPTORCTL_CONFIG;
    const tlsClient = g.tlsClient ?? env.MESHCTL_TLS_CLIENT ?? env.RECEPTORCTL_TLSCLIENT;
    // receptorctl's rules (ReceptorControl.__init__): a config needs a tls-client name, and a config excludes the
    // file options.
    if (config && !tlsClient) throw new UsageError(`--config '${config}' needs --tls-client NAME`);
    if (tlsClient && !config) throw new UsageError(`--tls-client '${tlsClient}' needs --config FILE`);
    if (config && (g.rootcas || g.cert || g.key)) {
      throw new UsageError('--config/--tls-client cannot be combined with --rootcas, --cert or --key');
    }
    let rootcas = g.rootcas;
    let cert = g.cert;
    let key = g.key;
    let skip = g.insecureskipverify;
    if (config && tlsClient) {
      const entry = await readTlsClient(config, tlsClient);
      rootcas = entry.rootcas;
      cert = entry.cert;
      key = entry.key;
      skip ||= entry.insecureskipverify;
    }
    if (!isTls) {
      if (g.rootcas || g.cert || g.key || g.insecureskipverify) {
        this.warn('--rootcas, --cert, --key and --insecureskipverify only apply to tls:// addresses');
      }
      return undefined;
    }
    if (Boolean(cert) !== Boolean(key)) throw new UsageError('--cert and --key must be given together');
    const tls: ClientTlsOptions = {};
    if (rootcas) tls.ca = await readPem('--rootcas', rootcas);
    if (cert) tls.cert = await readPem('--cert', cert);
    if (key) tls.key = await readPem('--key', key);
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

async function readPem(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new MeshctlError('EBADFILE', `cannot read ${flag} file '${path}': ${fsReason(err)}`, { cause: err });
  }
}
