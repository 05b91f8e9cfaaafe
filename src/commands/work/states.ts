// Work unit state names on the command line (`work status --wait --for`, `work release --state`): Receptor's
// names (WorkStateToString, pkg/workceptor/workunitbase.go: Pending, Running, Succeeded, Failed, Canceled), in any
// case, several comma-separated or the option repeated. `cancelled` is taken too: Receptor's own replies spell it
// both ways (state "Canceled", cancel's reply key "cancelled").
import { UsageError } from '../../errors.js';
import { WorkState, workStateName } from '../../protocol/types.js';

const BY_NAME: Record<string, number> = {
  pending: WorkState.Pending,
  running: WorkState.Running,
  succeeded: WorkState.Succeeded,
  failed: WorkState.Failed,
  canceled: WorkState.Canceled,
  cancelled: WorkState.Canceled,
};

/** Every value of a repeatable, comma-separated state option → state numbers, in order, without repeats. */
export function parseStates(flag: string, values: readonly string[]): number[] {
  const out: number[] = [];
  const names = Object.values(WorkState)
    .map((s) => workStateName(s).toLowerCase())
    .join(', ');
  for (const value of values) {
    for (const word of value.split(',')) {
      const name = word.trim().toLowerCase();
      const state = Object.hasOwn(BY_NAME, name) ? BY_NAME[name] : undefined;
      if (state === undefined) {
        throw new UsageError(`unknown work unit state '${word.trim()}' in ${flag}`, {
          hint: `use ${names}; several comma-separated, or ${flag} again`,
        });
      }
      if (!out.includes(state)) out.push(state);
    }
  }
  return out;
}

/** [2, 3] → `Succeeded or Failed`. */
export function stateNames(states: readonly number[], joiner = 'or'): string {
  const names = states.map(workStateName);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} ${joiner} ${names[names.length - 1]}`;
}
