// Definition of `meshctl node` (src/commands/node/run.ts): the embedded node, run until Ctrl-C or SIGTERM. It takes
// a Receptor v1 YAML file (`-c FILE`) and/or receptor's own command-line form (`--node id=foo --tcp-listener
// port=0 ...`, read by src/config/argv.ts in the command's lazy path, so `--version` and `status` never load it).
// `meshctl node install-launcher DIR` writes a `receptor` launcher that runs this command in receptor mode.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { NodeRunOptions } from '../../commands/node/run.js';
import { collect, leaf, type ProgramContext } from './common.js';

export function defineNodeCommand(program: Command, ctx: ProgramContext): void {
  leaf(program, 'node', 'run an embedded mesh node from a Receptor-style YAML config or receptor command line (Ctrl-C stops it)', { connection: false }, (c) =>
    c
      .usage('-c FILE | --SECTION [key=value|value]... [-c FILE]... | install-launcher DIR')
      .option('-c, --config <file>', 'node configuration file (Receptor v1 YAML); repeatable, and merges with sections given as words', collect)
      .argument('[sections...]', "receptor's command-line form: --node id=NAME --control-service filename=SOCK --tcp-listener port=0 ...")
      // Everything from the first section on is receptor's, word for word (cmdline reads it, not commander):
      // `--config FILE` among the sections keeps its place, and a key=value word is never taken for an operand.
      .allowUnknownOption()
      .passThroughOptions()
      .action((_sections: string[], o: { config?: string[] }, cmd: Command) => {
        const files = o.config ?? [];
        const words = cmd.args;
        // `meshctl node install-launcher DIR` writes DIR/receptor (src/commands/node/install-launcher.ts). A
        // section word always starts with '-', so a first plain word can only mean this verb.
        if (files.length === 0 && words[0] === 'install-launcher') {
          if (words.length !== 2 || words[1]!.startsWith('-')) {
            throw new UsageError(`meshctl node install-launcher takes one directory, got ${words.length - 1} word(s)`, {
              hint: 'meshctl node install-launcher DIR, then put DIR first on PATH',
            });
          }
          return ctx.invoke(cmd, { dir: words[1]! }, () => import('../../commands/node/install-launcher.js'));
        }
        if (files.length === 0 && words.length === 0) {
          throw new UsageError('meshctl node needs a configuration', {
            hint: 'give -c FILE, or receptor-style sections: meshctl node --node id=NAME --control-service filename=SOCK',
          });
        }
        // Options given before the first section come first, as they did on the line.
        const opts: NodeRunOptions =
          files.length === 1 && words.length === 0 ? { config: files[0]! } : { args: [...files.flatMap((f) => ['--config', f]), ...words] };
        if (ctx.receptorMode) opts.receptorMode = true;
        return ctx.invoke(cmd, opts, () => import('../../commands/node/run.js'));
      }),
  );
}
