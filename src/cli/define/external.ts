// Command groups implemented elsewhere: `node` (src/commands/node/run.ts) and `cert`
// (src/commands/cert/register.ts). The contract is in ../extension.ts.
import type { Command } from 'commander';
import { addLeafGlobalOptions } from '../global-options.js';
import type { ProgramContext } from './common.js';

export function defineNodeCommand(program: Command, ctx: ProgramContext): void {
  const node = program
    .command('node')
    .description('run an embedded mesh node from a Receptor-style YAML config (Ctrl-C stops it)')
    .requiredOption('-c, --config <file>', 'node configuration file');
  addLeafGlobalOptions(node, { connection: false });
  node.action((o: { config: string }) =>
    ctx.extension.run(async () => {
      if (ctx.runNode) return ctx.runNode({ config: o.config });
      const { runNode } = await import('../../commands/node/run.js');
      return runNode({ config: o.config }, ctx.io, ctx.extension.signal);
    }, { raceInterrupt: false }),
  );
}

export function defineCertCommand(program: Command, ctx: ProgramContext): void {
  const cert = program
    .command('cert')
    .description('create a CA, certificate requests and signed certificates with Receptor node-id names');
  if (ctx.registerCert) {
    ctx.registerCert(cert, ctx.extension);
  } else {
    // Listed in `meshctl --help`; the real subcommands are registered (by main) only when argv names `cert`,
    // which keeps @peculiar/x509 and friends out of every other command's start-up.
    cert.argument('[args...]').allowUnknownOption().action(() => {
      throw new Error('cert commands were not loaded');
    });
  }
}

export function defineDemoCommand(program: Command, ctx: ProgramContext): void {
  const demo = program
    .command('demo')
    .description('start a controller → hop → executor mesh of embedded nodes, show status and run work end to end (needs nothing else)')
    .option('--keep', 'keep the temporary directory with the config and unit data');
  addLeafGlobalOptions(demo, { connection: false });
  demo.action((o: { keep?: boolean }) =>
    ctx.extension.run(async () => {
      const { runDemo } = await import('../../commands/demo/run.js');
      return runDemo({ keep: o.keep }, ctx.io, ctx.extension.signal);
    }),
  );
}
