// Definition of `meshctl demo` (src/commands/demo/run.ts).
import type { Command } from 'commander';
import type { DemoOptions } from '../../commands/demo/run.js';
import { leaf, type ProgramContext } from './common.js';

export function defineDemoCommand(program: Command, ctx: ProgramContext): void {
  leaf(
    program,
    'demo',
    'start a controller → hop → executor mesh of embedded nodes, show status and run work end to end (needs nothing else)',
    { connection: false },
    (c) =>
      c
        .option('--keep', 'keep the temporary directory with the config and unit data')
        .action((o: DemoOptions, cmd: Command) => ctx.invoke(cmd, { keep: Boolean(o.keep) }, () => import('../../commands/demo/run.js'))),
  );
}
