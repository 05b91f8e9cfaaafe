// The command tree: built fresh for every run (commander keeps parse state on the objects), with
// exitOverride (errors come back as exceptions to main's single error path) and all output routed to IOStreams.
//
// Only commander is imported here. Every `.action` hands its parsed options to ctx.invoke with a loader that
// imports the implementation (src/commands/...), so `meshctl --version` and `meshctl status` load nothing
// they don't use: no chalk, cli-table3, ora, yaml or client until a command needs them.
//
// Other modules' groups: see ./extension.ts for the `cert` and `node` contracts; `meshctl demo` lives in
// src/commands/demo/run.ts.
import { Command } from 'commander';
import { defineCertCommand, defineDemoCommand, defineNodeCommand } from './define/external.js';
import { defineMeshCommands } from './define/mesh.js';
import { defineWorkCommands } from './define/work.js';
import type { ProgramContext } from './define/common.js';
import { addRootGlobalOptions } from './global-options.js';
import { meshctlVersion } from './version.js';

export type { CommandModule, ProgramContext } from './define/common.js';

export function buildProgram(ctx: ProgramContext): Command {
  const { io } = ctx;
  const program = new Command('meshctl');
  program
    .description('Talk to Ansible Receptor nodes over their control service, or run a small node yourself.')
    .version(meshctlVersion(), '-V, --version', 'print the meshctl version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
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
  MESHCTL_DEBUG=wire                   trace every protocol line on stderr
  NO_COLOR, FORCE_COLOR                colour control

Exit status: 0 ok, 1 unit failed / ping failed, 2 usage, 3 connection, 4 TLS, 5 node refused,
6 incomplete results, 70 internal error, 130 interrupted (see docs/exit-codes.md).`,
  );

  // Settings above are copied to subcommands created with .command() from here on.
  defineMeshCommands(program, ctx);
  defineWorkCommands(program, ctx);
  defineNodeCommand(program, ctx);
  defineCertCommand(program, ctx);
  defineDemoCommand(program, ctx);
  return program;
}
