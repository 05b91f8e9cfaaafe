// The command tree: built fresh for every run (commander keeps parse state on the objects), with
// exitOverride (errors come back as exceptions to main's single error path) and all output routed to IOStreams.
//
// Only commander is imported here. Every `.action` of the tree (./define/<area>.ts) hands its parsed options to
// ctx.invoke with a loader that imports the verb (src/commands/...: `run(opts, f)`, src/cmdutil/command.ts), so
// `meshctl --version` and `meshctl status` load nothing they don't use: no chalk, cli-table3, ora, yaml, client or
// certificate code until a command needs them.
import type { Command } from 'commander';
import { meshctlVersion } from '../cmdutil/version.js';
import { defineCertCommands } from './define/cert.js';
import { defineConfigCommands } from './define/config.js';
import type { ProgramContext } from './define/common.js';
import { defineCompleteCommand, defineCompletionCommand } from './define/completion.js';
import { addExamples } from './define/examples.js';
import { defineDemoCommand } from './define/demo.js';
import { defineMeshCommands } from './define/mesh.js';
import { defineMeshViewCommands } from './define/mesh-views.js';
import { defineNodeCommand } from './define/node.js';
import { defineWorkCommands } from './define/work.js';
import { addRootGlobalOptions } from './global-options.js';
import { defineHelpCommand, MeshctlCommand } from './help.js';

export type { CommandModule, ProgramContext } from './define/common.js';

/** The top-level commands, in help order. program.test.ts checks it against the full tree. */
export const TOP_LEVEL_COMMANDS = ['status', 'ping', 'traceroute', 'reload', 'version', 'connect', 'mesh', 'work', 'node', 'cert', 'config', 'demo', 'completion'] as const;

/**
 * Which top-level commands to define. Building all of them costs a few ms of start-up (commander creates an
 * Option per flag, and every leaf carries the global option copies), and parsing `meshctl status ...` never
 * looks at the others. `only`: the command argv names; when it is a command, only that one is defined. Help
 * for the root, `help` and unknown commands (with their "did you mean") get the full tree. `none`: argv asks
 * for the version only.
 */
export interface ProgramScope {
  only?: string;
  none?: boolean;
}

/** The scope main builds for `argv` (already normalised), given its first operand. */
export function scopeFor(argv: readonly string[], operand: string | undefined): ProgramScope {
  if (operand !== undefined) return { only: operand };
  return { none: argv.length === 1 && (argv[0] === '-V' || argv[0] === '--version') };
}

export function buildProgram(ctx: ProgramContext, scope: ProgramScope = {}): Command {
  const { only } = scope;
  const want = (name: string): boolean =>
    !scope.none && (only === undefined || !(TOP_LEVEL_COMMANDS as readonly string[]).includes(only) || only === name);
  const { io } = ctx;
  const program = new MeshctlCommand('meshctl');
  program
    .description('Talk to Ansible Receptor nodes over their control service, or run a small node yourself.')
    .version(meshctlVersion(), '-V, --version', 'print the meshctl version')
    .helpOption('-h, --help', 'show help')
    // Options after the command name belong to that command (see global-options.ts for why).
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // Parse errors are printed by main's error path, as one line like every other error.
      outputError: () => undefined,
      getOutHelpWidth: () => (io.stdout as { columns?: number }).columns ?? 80,
      getErrHelpWidth: () => (io.stderr as { columns?: number }).columns ?? 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  addRootGlobalOptions(program);
  program.addHelpText(
    'after',
    `
Environment:
  MESHCTL_SOCKET, RECEPTORCTL_SOCKET   default for --socket
  MESHCTL_CONTEXT                      context to use instead of the current-context (see meshctl config)
  MESHCTL_CONFIG_DIR                   directory of config.yaml, the contexts file (default ~/.config/meshctl)
  MESHCTL_DEBUG=wire                   trace every protocol line on stderr
  NO_COLOR, FORCE_COLOR                colour control

Exit status: 0 ok, 1 unit failed / ping failed, 2 usage, 3 connection, 4 TLS, 5 node refused,
6 incomplete results, 7 some nodes did not answer, 70 internal error, 130 interrupted, 143 terminated (see docs/exit-codes.md).`,
  );

  // Settings above are copied to subcommands created with .command() from here on.
  defineMeshCommands(program, ctx, want);
  if (want('mesh')) defineMeshViewCommands(program, ctx);
  if (want('work')) defineWorkCommands(program, ctx);
  if (want('node')) defineNodeCommand(program, ctx);
  if (want('cert')) defineCertCommands(program, ctx);
  if (want('config')) defineConfigCommands(program, ctx);
  if (want('demo')) defineDemoCommand(program, ctx);
  if (want('completion')) defineCompletionCommand(program, ctx);
  if (want('help')) defineHelpCommand(program);
  if (want('__complete')) defineCompleteCommand(program, ctx);
  addExamples(program);
  return program;
}
