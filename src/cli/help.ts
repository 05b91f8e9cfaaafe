// Help the way gh and kubectl give it (both on cobra): `meshctl help <command path>` shows the help of any command,
// however deep, and exits 0; a command group run without a subcommand (`meshctl`, `meshctl work`) prints its help
// on stdout and exits 0 (cobra's Command.ExecuteC: a command that is not Runnable returns flag.ErrHelp, which is
// answered with the help and a nil error); every command's help ends with an Examples section.
import { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';

/**
 * The commander Command every node of meshctl's tree is made of (`.command()` creates children through
 * createCommand, so the whole tree is of this class).
 */
export class MeshctlCommand extends Command {
  constructor(name?: string) {
    super(name);
    // commander gives every group its own `help [command]` subcommand, which takes one word (`meshctl help work
    // submit` showed the help of `work`). meshctl has one `help [command...]` at the root, as cobra does.
    this.helpCommand(false);
  }

  override createCommand(name?: string): Command {
    return new MeshctlCommand(name);
  }

  /**
   * commander calls help({ error: true }) for a group run without a subcommand: help on stderr and a failure.
   * cobra (gh, kubectl) prints the help on stdout and succeeds: the user asked for nothing wrong, only for nothing.
   */
  override help(): never {
    this.outputHelp();
    throw new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)');
  }
}

/** What it does, then the command lines that do it. */
export type Example = readonly [comment: string, line: string, ...lines: string[]];

/**
 * Adds the Examples section to a command's help: kubectl's `# what it does` comment above the lines, gh's `$ `
 * before each command line (test/unit/cli/help.test.ts parses every `$ meshctl ...` line against the tree).
 */
export function examples<C extends Command>(cmd: C, list: readonly Example[]): C {
  const body = list.map(([comment, ...lines]) => [`  # ${comment}`, ...lines.map((l) => `  $ ${l}`)].join('\n')).join('\n\n');
  return cmd.addHelpText('after', `\nExamples:\n${body}`);
}

export function isHidden(parent: Command, c: Command): boolean {
  return !parent.createHelp().visibleCommands(parent).includes(c);
}

/** The subcommands of `parent` its help lists (not the hidden __complete). */
export function subcommands(parent: Command): Command[] {
  return parent.commands.filter((c) => !isHidden(parent, c));
}

/** The visible subcommand of `parent` called `word` (by name or alias). */
export function subcommand(parent: Command, word: string): Command | undefined {
  return subcommands(parent).find((c) => c.name() === word || c.aliases().includes(word));
}

/** `meshctl help [command...]`: the help of the command at that path, on stdout (exit 0). */
export function defineHelpCommand(program: Command): void {
  program
    .command('help')
    .description('show the help of a command, e.g. meshctl help work submit')
    .argument('[command...]', 'command path')
    .action((path: string[]) => {
      let cmd: Command = program;
      for (const [i, word] of path.entries()) {
        const next = subcommand(cmd, word);
        if (!next) throw unknownCommand(cmd, path.slice(0, i + 1));
        cmd = next;
      }
      cmd.outputHelp();
    });
}

function unknownCommand(parent: Command, path: readonly string[]): UsageError {
  const word = path[path.length - 1]!;
  const names = parent.createHelp().visibleCommands(parent).flatMap((c) => [c.name(), ...c.aliases()]);
  const near = names.filter((n) => editDistance(word, n) <= Math.max(1, Math.floor(n.length / 3)));
  const listing = ['meshctl', 'help', ...path.slice(0, -1)].join(' ');
  const hint = near.length ? `did you mean ${near.map((n) => `'${listing} ${n}'`).join(' or ')}?` : `'${listing}' lists the commands`;
  return new UsageError(`unknown command '${path.join(' ')}'`, { hint });
}

/** Levenshtein distance, for "did you mean" (commander's own suggester is not exported). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
