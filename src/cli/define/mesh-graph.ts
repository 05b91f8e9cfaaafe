// Definition of `meshctl mesh graph` (src/commands/mesh/graph.ts), a verb of the `mesh` group (./mesh-views.ts).
import { Option, type Command } from 'commander';
import type { MeshGraphOptions } from '../../commands/mesh/graph.js';
import { leaf, type ProgramContext } from './common.js';

// The same list as GRAPH_FORMATS in the command, which parsing must not import (it would load the verb).
const FORMATS = ['tree', 'dot', 'mermaid', 'json'];

export function defineMeshGraphCommand(mesh: Command, ctx: ProgramContext): void {
  leaf(mesh, 'graph', "the mesh as the local node knows it: a tree of routes with link costs and each node's role, or a picture", { structured: true }, (c) =>
    c
      .addOption(new Option('--format <format>', 'tree (terminal), dot (Graphviz), mermaid, or json (= --json)').choices(FORMATS).default('tree'))
      .addHelpText(
        'after',
        '\nRoles: executor (advertises work types), control (advertises a control service), hop (neither: relays only).\n' +
          'Read from the local node\'s status alone (KnownConnectionCosts, RoutingTable, Advertisements): no other node is asked.',
      )
      .action((o: MeshGraphOptions, cmd: Command) =>
        ctx.invoke(cmd, { format: o.format, json: o.json, yaml: o.yaml, query: o.query }, () => import('../../commands/mesh/graph.js')),
      ),
  );
}
