// Definitions of `meshctl mesh ...`: views of the whole mesh, each node asked through the local control socket
// (`connect NODE control`). Implementations are imported only when the command runs.
import { Option, type Command } from 'commander';
import type { MeshStatusOptions } from '../../commands/mesh/status.js';
import { leaf, positiveInt, type ProgramContext } from './common.js';
import { defineMeshGraphCommand } from './mesh-graph.js';

/** The `mesh` group; each view adds its verb to it. */
export function defineMeshViewCommands(program: Command, ctx: ProgramContext): Command {
  const mesh = program.command('mesh').description('views of the whole mesh: every node the local node knows of');

  leaf(mesh, 'status', "every known node's version, CPUs, memory, work types, units, connections and ping time", { structured: true, table: true }, (c) =>
    c
      .addOption(new Option('--concurrency <n>', 'nodes asked at once').default(8).argParser(positiveInt))
      .option('--tls-client <name>', 'tls-client the local node uses to reach control services advertised with TLS')
      .option('--watch [interval]', 'redraw every interval (default 2s) on a terminal; piped, print the rows that changed')
      .addHelpText('after', '\nEach node gets --timeout (default 5s) for its whole exchange. Exit status 7 when some node did not answer.')
      .action((o: MeshStatusOptions, cmd: Command) =>
        ctx.invoke(
          cmd,
          { concurrency: o.concurrency, tlsClient: o.tlsClient, watch: o.watch, json: o.json, yaml: o.yaml, query: o.query, wide: o.wide },
          () => import('../../commands/mesh/status.js'),
        ),
      ),
  );

  defineMeshGraphCommand(mesh, ctx);

  return mesh;
}
