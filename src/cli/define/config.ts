// Definitions of `meshctl config ...`: the contexts file (src/cmdutil/contexts/), kubectl's `config` verbs.
import type { Command } from 'commander';
import type { GetContextsOptions } from '../../commands/config/get-contexts.js';
import type { SetContextOptions } from '../../commands/config/set-context.js';
import { leaf, type ProgramContext } from './common.js';

export function defineConfigCommands(program: Command, ctx: ProgramContext): void {
  const config = program
    .command('config')
    .description('named contexts (address, TLS files, timeout) in ~/.config/meshctl/config.yaml, used when flags and environment say nothing');

  leaf(config, 'get-contexts', 'list the contexts, the current one marked *', { structured: true, connection: false }, (c) =>
    c
      .argument('[names...]', 'only these contexts')
      .action((names: string[], o: GetContextsOptions, cmd: Command) =>
        ctx.invoke(cmd, { names, json: o.json, yaml: o.yaml }, () => import('../../commands/config/get-contexts.js')),
      ),
  );

  leaf(config, 'current-context', 'print the name of the context commands use (MESHCTL_CONTEXT, else the current-context)', { connection: false }, (c) =>
    c.action((_o: unknown, cmd: Command) => ctx.invoke(cmd, {}, () => import('../../commands/config/current-context.js'))),
  );

  leaf(config, 'use-context', 'make a context the current one', { connection: false }, (c) =>
    c
      .argument('<name>', 'context name')
      .action((name: string, _o: unknown, cmd: Command) => ctx.invoke(cmd, { name }, () => import('../../commands/config/use-context.js'))),
  );

  leaf(config, 'set-context', "create a context or change its settings (others are kept; '' removes one)", { connection: false }, (c) =>
    c
      .argument('<name>', 'context name')
      .option('-s, --socket <address>', 'control service: PATH, unix:PATH, tcp://HOST:PORT or tls://HOST:PORT')
      .option('--rootcas <file>', 'CA bundle (PEM) to verify a tls:// server with')
      .option('--cert <file>', 'client certificate (PEM) for tls://')
      .option('--key <file>', 'client private key (PEM) for tls://')
      .option('--insecureskipverify', "don't check the server's host name")
      .option('--no-insecureskipverify', 'check it again (the default)')
      .option('-c, --config <file>', 'Receptor config file holding the tls-client named by --tls-client (instead of the PEM files)')
      .option('--tls-client <name>', 'tls-client entry of --config')
      .option('--timeout <duration>', 'connect and reply timeout, e.g. 5s')
      .action((name: string, o: Omit<SetContextOptions, 'name'>, cmd: Command) =>
        ctx.invoke(
          cmd,
          {
            name,
            socket: o.socket,
            rootcas: o.rootcas,
            cert: o.cert,
            key: o.key,
            insecureskipverify: o.insecureskipverify,
            config: o.config,
            tlsClient: o.tlsClient,
            timeout: o.timeout,
          },
          () => import('../../commands/config/set-context.js'),
        ),
      ),
  );

  leaf(config, 'delete-context', 'remove a context', { connection: false }, (c) =>
    c
      .argument('<name>', 'context name')
      .action((name: string, _o: unknown, cmd: Command) => ctx.invoke(cmd, { name }, () => import('../../commands/config/delete-context.js'))),
  );
}
