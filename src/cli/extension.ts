// The contract between the command tree (src/cli/program.ts) and command groups written elsewhere
// (`meshctl cert ...`, `meshctl node ...`, `meshctl demo`). Type-only, so importing it costs nothing.
//
// cert: src/commands/cert/register.ts exports
//     registerCertCommands(cert: Command, ctx: CommandContext): void
//   It adds `init`, `makereq`, `signreq`, `inspect` with `cert.command('init')...` (use `.command()`, not
//   `new Command()` + addCommand, so the subcommands inherit exitOverride and the IOStreams output routing),
//   and each `.action` calls `ctx.run(async () => { ...; return exitCode })`. Errors are thrown (MeshctlError
//   from src/errors.ts); the CLI prints them on one line and maps the code to the exit status. The register file
//   is imported only when the command line names `cert`, so it should itself lazy-import the heavy parts
//   (@peculiar/x509) inside the actions.
//
// node: src/commands/node/run.ts exports
//     runNode(opts: { config: string }, io: IOStreams, signal?: AbortSignal): Promise<number>
//   `meshctl node -c FILE` resolves it lazily and returns its exit code. `signal` aborts on the first SIGINT or
//   SIGTERM (a second signal exits 130 / 143 at once).
import type { IOStreams } from './io/iostreams.js';

export interface CommandContext {
  io: IOStreams;
  /** Aborted on SIGINT (Ctrl-C), SIGTERM and when stdout is closed early. */
  signal: AbortSignal;
  /** True with the global --debug. */
  debug(): boolean;
  /**
   * Runs a command body. The returned number (default 0) becomes the exit status; a thrown error goes through
   * the single error path (one line on stderr, exit status from src/errors.ts). By default Ctrl-C ends the run
   * at once with status 130 (`fn` is left to notice `signal`); `raceInterrupt: false` waits for `fn` to return
   * (for `meshctl node`, which shuts down gracefully and picks its own status).
   */
  run: (fn: () => Promise<number | void>, opts?: { raceInterrupt?: boolean }) => Promise<void>;
}

export interface NodeRunOptions {
  config: string;
}
