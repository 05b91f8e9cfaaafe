// Definitions (flags, arguments, help) of the node-level commands. Implementations are imported only when
// the command runs (src/commands/*.ts), so parsing argv loads nothing but commander.
import { Option, type Command } from 'commander';
import type { ConnectOptions } from '../../commands/connect.js';
import type { PingOptions } from '../../commands/ping.js';
import type { ReloadOptions } from '../../commands/reload.js';
import type { StatusOptions } from '../../commands/status.js';
import type { TracerouteOptions } from '../../commands/traceroute.js';
import type { VersionOptions } from '../../commands/version.js';
import { leaf, positiveInt, seconds, type ProgramContext } from './common.js';

export function defineMeshCommands(program: Command, ctx: ProgramContext, want: (name: string) => boolean = () => true): void {
  if (want('status')) leaf(program, 'status', 'show the node, its connections, routes, advertised services and work types', { structured: true, table: true }, (c) =>
    c.action((o: StatusOptions, cmd: Command) => ctx.invoke(cmd, { json: o.json, yaml: o.yaml, query: o.query, wide: o.wide }, () => import('../../commands/status.js'))),
  );

  if (want('ping')) leaf(program, 'ping', 'ping a node of the mesh', { structured: true }, (c) =>
    c
      .argument('<node>', "node id ('localhost' is the node itself)")
      .addOption(new Option('--count <n>', 'number of pings').default(4).argParser(positiveInt))
      .addOption(new Option('--delay <seconds>', 'pause between pings').default(1).argParser(seconds))
      .action((node: string, o: PingOptions, cmd: Command) =>
        ctx.invoke(cmd, { node, count: o.count, delay: o.delay, json: o.json, yaml: o.yaml, query: o.query }, () => import('../../commands/ping.js')),
      ),
  );

  if (want('traceroute')) leaf(program, 'traceroute', 'show the hops to a node', { structured: true, table: true }, (c) =>
    c
      .argument('<node>', 'node id')
      .action((node: string, o: TracerouteOptions, cmd: Command) =>
        ctx.invoke(cmd, { node, json: o.json, yaml: o.yaml, query: o.query, wide: o.wide }, () => import('../../commands/traceroute.js')),
      ),
  );

  if (want('reload')) leaf(program, 'reload', "make the node re-read its configuration file", { structured: true }, (c) =>
    c.action((o: ReloadOptions, cmd: Command) => ctx.invoke(cmd, { json: o.json, yaml: o.yaml, query: o.query }, () => import('../../commands/reload.js'))),
  );

  if (want('version')) leaf(program, 'version', "show meshctl's version and the node's", { structured: true }, (c) =>
    c.action((o: VersionOptions, cmd: Command) => ctx.invoke(cmd, { json: o.json, yaml: o.yaml, query: o.query }, () => import('../../commands/version.js'))),
  );

  if (want('connect')) leaf(program, 'connect', 'connect stdin/stdout to a service on a node (end of stdin is passed on as a half-close)', {}, (c) =>
    c
      .argument('<node>', "node id ('localhost' is the node itself)")
      .argument('<service>', 'service name, e.g. control')
      .option('--tls-client <name>', "tls-client of the node to secure the mesh hop with (for a service advertised as StreamTLS)")
      .option('-r, --raw', 'put the terminal in raw mode (keys, Ctrl-C included, go to the service)')
      .action((node: string, service: string, o: ConnectOptions, cmd: Command) =>
        ctx.invoke(cmd, { node, service, tlsClient: o.tlsClient, raw: Boolean(o.raw) }, () => import('../../commands/connect.js')),
      ),
  );
}
