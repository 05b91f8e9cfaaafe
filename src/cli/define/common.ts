// Helpers shared by the command definitions: a leaf command with the global option copies, and the
// value parsers (commander reports their InvalidArgumentError as one usage line naming the option).
import { InvalidArgumentError, type Command } from 'commander';
import type { CommandModule } from '../../cmdutil/command.js';
import type { IOStreams } from '../../cmdutil/io/iostreams.js';
import type { StructuredFlags } from '../../cmdutil/output.js';
import { addLeafGlobalOptions } from '../global-options.js';

export type { CommandModule } from '../../cmdutil/command.js';

export interface ProgramContext {
  io: IOStreams;
  /**
   * Runs one meshctl command: every `.action` of the tree calls it with the parsed options and a loader of the
   * verb's module (src/commands/...). The real one (src/cli/main.ts) imports the module with `load()`, builds a
   * Factory from the global options of `cmd` and calls the module's `run(opts, f)`; flag-parsing tests pass a
   * recorder and never load anything.
   */
  invoke<O>(cmd: Command, opts: O, load: () => Promise<CommandModule<O>>): Promise<void>;
  /** Run as `receptor` (the launcher of `meshctl node install-launcher`): `meshctl node` behaves as receptor at its edges. */
  receptorMode?: boolean;
}

export interface LeafSpec {
  /** Adds --json, --yaml and --query. */
  structured?: boolean;
  /** Adds --wide: the human output has tables, which otherwise fit the terminal's width. */
  table?: boolean;
  /** Adds --socket and the TLS options (default true). */
  connection?: boolean;
}

/**
 * `parent.command(spec)`: `build` adds the command's own options and action; then --json/--yaml (when
 * structured) and the global option copies are appended, so help lists them after the command's own.
 */
export function leaf(parent: Command, spec: string, description: string, s: LeafSpec, build: (c: Command) => void): Command {
  const c = parent.command(spec).description(description);
  build(c);
  if (s.structured) {
    c.option('--json', 'print the reply as one JSON document');
    c.option('--yaml', 'print the reply as YAML');
    addQueryOption(c);
  }
  if (s.table) c.option('--wide', 'show every column whole instead of fitting the terminal');
  addLeafGlobalOptions(c, { connection: s.connection ?? true });
  return c;
}

/** `--query EXPRESSION` (src/cmdutil/query.ts), for a command with JSON output. */
export function addQueryOption(c: Command): Command {
  c.option('--query <expression>', 'print only what this JMESPath expression selects (JSON; a lone string as text)');
  // Checked before the command does anything (no round trip, no unit submitted for a typo); the JMESPath
  // library is loaded only then.
  c.hook('preAction', async (cmd) => {
    const q = (cmd.opts() as { query?: string }).query;
    if (q !== undefined) await (await import('../../cmdutil/query.js')).checkQuery(q);
  });
  return c;
}

/**
 * The output flags `leaf` gave `cmd` (--json, --yaml, --query, --wide), for the Factory: print() and render()
 * apply --query and --wide for every command, whatever it passes on to its own options.
 */
export function outputFlags(cmd: Command): StructuredFlags {
  const o = cmd.opts() as StructuredFlags;
  const flags: StructuredFlags = {};
  if (o.json) flags.json = true;
  if (o.yaml) flags.yaml = true;
  if (typeof o.query === 'string') flags.query = o.query;
  if (o.wide) flags.wide = true;
  return flags;
}

/** The options object commander parsed for `cmd` (its own, not the root's). */
export function ownOpts<T>(cmd: Command): T {
  return cmd.opts() as T;
}

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got '${value}'`);
  return Number(value);
}

export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number ≥ 0, got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${value}' is too large`);
  return n;
}

export function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError(`expected seconds such as 1 or 0.5, got '${value}'`);
  return Number(value);
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
