// Definitions of `meshctl completion SHELL` (prints a completion script, src/commands/completion.ts) and of the
// hidden `meshctl __complete WORDS...` the scripts run at each Tab, as cobra's `__complete` (gh, kubectl): the shell
// passes the words typed so far, meshctl answers with candidates, so the scripts stay small and the tree is the
// one source of what completes.
import { Argument, type Command } from 'commander';
import type { CompleteOptions } from '../../commands/complete.js';
import type { CompletionOptions } from '../../commands/completion.js';
import { leaf, type ProgramContext } from './common.js';

export function defineCompletionCommand(program: Command, ctx: ProgramContext): void {
  leaf(program, 'completion', 'print the shell completion script for bash, zsh or fish', { connection: false }, (c) =>
    c
      .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
      .action((shell: CompletionOptions['shell'], _o: unknown, cmd: Command) =>
        ctx.invoke(cmd, { shell }, () => import('../../commands/completion.js')),
      ),
  );
}

export function defineCompleteCommand(program: Command, ctx: ProgramContext): void {
  program
    .command('__complete', { hidden: true })
    .description('candidates for the word being completed (used by the completion scripts)')
    .argument('[words...]', 'the words after meshctl, the last one being completed (pass them after --)')
    .helpOption(false)
    .action(async (words: string[]) => {
      const { planCompletion } = await import('../complete.js');
      const plan = planCompletion(program, words);
      // The Factory is built from the command being completed: the connection flags typed on the line are on
      // it and its parents now, as if it ran (its own global options resolve as for any command).
      const opts: CompleteOptions = { items: plan.items, files: plan.files, fetch: plan.fetch, prefix: plan.prefix, insert: plan.insert };
      return ctx.invoke(plan.command, opts, () => import('../../commands/complete.js'));
    });
}
