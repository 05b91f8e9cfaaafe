// Definition of `meshctl node -c FILE` (src/commands/node/run.ts): the embedded node, run until Ctrl-C or SIGTERM.
import type { Command } from 'commander';
import type { NodeRunOptions } from '../../commands/node/run.js';
import { leaf, type ProgramContext } from './common.js';

export function defineNodeCommand(program: Command, ctx: ProgramContext): void {
  leaf(program, 'node', 'run an embedded mesh node from a Receptor-style YAML config (Ctrl-C stops it)', { connection: false }, (c) =>
    c
      .requiredOption('-c, --config <file>', 'node configuration file')
      .action((o: NodeRunOptions, cmd: Command) => ctx.invoke(cmd, { config: o.config }, () => import('../../commands/node/run.js'))),
  );
}
