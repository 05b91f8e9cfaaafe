// What to offer for the word being completed, read off the command tree (cobra's `__complete`, as gh and kubectl
// use it): the words typed so far are walked down the tree, the options they set are recorded on the commands
// they belong to (so the completed command's connection resolves as it would if it ran: -s, TLS files, --config,
// env), and the word under the cursor gets subcommands, flags, fixed choices or files from here, or unit IDs, node
// names, work types and services from the node (src/commands/complete.ts, which asks it with a short deadline).
import type { Argument, Command, Option } from 'commander';
import type { CompletionFetch, CompletionItem } from '../commands/complete.js';
import { normaliseArgv } from './argv.js';
import { subcommand, subcommands } from './help.js';

export interface CompletionPlan {
  /** The command the words lead to. */
  command: Command;
  items: CompletionItem[];
  /** Let the shell complete file names instead. */
  files: boolean;
  fetch?: CompletionFetch;
  /** The part of the word being completed that candidates must start with. */
  prefix: string;
  /** Put before every candidate: the `--node=` of a word typed as `--node=ex`. */
  insert: string;
}

/** Arguments and option values whose candidates come from the node, by the name the tree gives them. */
const FROM_NODE: Record<string, CompletionFetch['kind']> = {
  'unit-id': 'units',
  'unit-ids': 'units',
  node: 'nodes',
  worktype: 'worktypes',
  service: 'services',
};

/** Option values (`--config <file>`) that name files; a socket address is most often a path. */
const FILE_VALUE = /<(file|address)>/;
/** Arguments that name files (`cert inspect <files...>`). */
const FILE_ARGUMENTS = new Set(['file', 'files']);

function findOption(cmd: Command, flag: string): Option | undefined {
  return cmd.options.find((o) => o.long === flag || o.short === flag);
}

function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

/**
 * `words`: what follows `meshctl` on the line up to the cursor; the last one is the word being completed ('' after
 * a space).
 */
export function planCompletion(program: Command, words: readonly string[]): CompletionPlan {
  const current = words.length ? words[words.length - 1]! : '';
  const typed = normaliseArgv(words.slice(0, -1));
  let cmd = program;
  let operands: string[] = [];
  // Option values typed for the command the line ends in (`--node` before a work type).
  const seen = new Map<string, string>();
  let literal = false;
  const plan = (p: Partial<CompletionPlan>): CompletionPlan => ({ command: cmd, items: [], files: false, prefix: current, insert: '', ...p });

  for (let i = 0; i < typed.length; i++) {
    const w = typed[i]!;
    if (!literal && w === '--') {
      literal = true;
      continue;
    }
    if (!literal && w.length > 1 && w.startsWith('-')) {
      const eq = w.startsWith('--') ? w.indexOf('=') : -1;
      const flag = eq > 0 ? w.slice(0, eq) : w.startsWith('--') ? w : w.slice(0, 2);
      const o = findOption(cmd, flag);
      if (!o) continue; // an unknown option: nothing to learn from it
      let value: string | boolean | undefined;
      if (eq > 0) value = w.slice(eq + 1);
      else if (!w.startsWith('--') && w.length > 2) value = takesValue(o) ? w.slice(2) : !o.negate; // -sPATH, -qx
      else if (takesValue(o)) {
        if (i === typed.length - 1) return optionValue(o, current, '', plan);
        value = typed[++i]!;
      } else value = !o.negate;
      // Recorded where commander would put it, so resolveGlobals(command) sees the connection typed on the line.
      cmd.setOptionValueWithSource(o.attributeName(), value, 'cli');
      if (typeof value === 'string') seen.set(o.attributeName(), value);
      continue;
    }
    const sub = operands.length === 0 && !literal ? subcommand(cmd, w) : undefined;
    if (sub) {
      cmd = sub;
      operands = [];
      seen.clear();
      continue;
    }
    operands.push(w);
  }

  if (!literal && /^--[^=]+=/.test(current)) {
    const eq = current.indexOf('=');
    const o = findOption(cmd, current.slice(0, eq));
    if (o && takesValue(o)) return optionValue(o, current.slice(eq + 1), current.slice(0, eq + 1), plan);
    return plan({});
  }
  if (!literal && current.startsWith('-')) {
    const items: CompletionItem[] = [];
    for (const o of cmd.createHelp().visibleOptions(cmd)) {
      for (const flag of [o.long, o.short]) if (flag) items.push({ value: flag, description: o.description });
    }
    return plan({ items });
  }
  if (operands.length === 0 && subcommands(cmd).length) {
    return plan({ items: subcommands(cmd).map((c) => ({ value: c.name(), description: c.description() })) });
  }
  const arg = argumentAt(cmd, operands.length);
  if (!arg) return plan({});
  if (arg.argChoices) return plan({ items: arg.argChoices.map((value) => ({ value })) });
  if (cmd.name() === 'help' && cmd.parent === program) {
    // `meshctl help work <Tab>`: the subcommands at the path typed so far.
    let at: Command | undefined = program;
    for (const w of operands) at = at && subcommand(at, w);
    return plan({ items: at ? subcommands(at).map((c) => ({ value: c.name(), description: c.description() })) : [] });
  }
  const kind = FROM_NODE[arg.name()];
  if (kind === 'services') return plan({ fetch: { kind, node: operands[0] } });
  if (kind === 'worktypes') return plan({ fetch: { kind, node: seen.get('node') } });
  if (kind === 'units') return plan({ fetch: { kind, exclude: arg.variadic ? operands : [] } });
  if (kind) return plan({ fetch: { kind } });
  if (FILE_ARGUMENTS.has(arg.name())) return plan({ files: true });
  return plan({});
}

function optionValue(o: Option, prefix: string, insert: string, plan: (p: Partial<CompletionPlan>) => CompletionPlan): CompletionPlan {
  if (o.argChoices) return plan({ items: o.argChoices.map((value) => ({ value })), prefix, insert });
  const kind = FROM_NODE[o.attributeName()];
  if (kind === 'nodes') return plan({ fetch: { kind }, prefix, insert });
  // A file typed as --config=FI would need the shell to complete a file name inside a word: not offered.
  if (FILE_VALUE.test(o.flags) && !insert) return plan({ files: true, prefix });
  return plan({ prefix, insert });
}

/** The declared argument an operand at `index` fills (the last one when it is variadic). */
function argumentAt(cmd: Command, index: number): Argument | undefined {
  const args = cmd.registeredArguments;
  if (index < args.length) return args[index];
  const last = args[args.length - 1];
  return last?.variadic ? last : undefined;
}
