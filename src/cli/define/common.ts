// Helpers shared by the command definitions: a leaf command with the global option copies, and the
// value parsers (commander reports their InvalidArgumentError as one usage line naming the option).
import { InvalidArgumentError, type Command } from 'commander';
import type { CommandModule } from '../../cmdutil/command.js';
import type { IOStreams } from '../../cmdutil/io/iostreams.js';
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
}

export interface LeafSpec {
  /** Adds --json and --yaml. */
  structured?: boolean;
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
  }
  addLeafGlobalOptions(c, { connection: s.connection ?? true });
  return c;
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
