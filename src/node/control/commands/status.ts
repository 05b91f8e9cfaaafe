// `status` (pkg/controlsvc/status.go): the node's status fields, or the `requested_fields` subset
// (unknown names ignored). Receptor panics on a non-array `requested_fields`; here it is an ERROR.
// The fields are looked up in a Map: a requested name is client text, and on a plain object `__proto__`,
// `constructor` or `toString` would find Object.prototype's members (`__proto__` answered
// `ERROR: get is not a function`); Receptor, looking them up in a Go map, answers `{}`.
import os from 'node:os';
import { CommandError } from '../../work/workceptor.js';
import type { CommandHandler } from '../session.js';

export const statusCommand: CommandHandler = async ({ params, json }, session) => {
  let requested: string[] | undefined;
  if (json === null) {
    if (params !== '') throw new CommandError('status command does not take parameters');
  } else if (Object.prototype.hasOwnProperty.call(json, 'requested_fields')) {
    const rf = json.requested_fields;
    if (!Array.isArray(rf)) throw new CommandError('requested_fields must be an array of strings');
    requested = rf.map((v) => {
      if (typeof v !== 'string') throw new CommandError('each element of requested_fields must be a string');
      return v;
    });
  }
  const node = session.node;
  // The mesh fields come from one snapshot (netceptor Status()); a lone node has no connections, no
  // routes and `{}` known costs, and lists its own control-service advertisements.
  let mesh: ReturnType<typeof node.meshStatus> | undefined;
  const m = (): ReturnType<typeof node.meshStatus> => (mesh ??= node.meshStatus());
  const getters = new Map<string, () => unknown>([
    ['Version', () => node.version],
    ['SystemCPUCount', () => os.availableParallelism()],
    ['SystemMemoryMiB', () => Math.floor(os.totalmem() / 1048576)],
    ['NodeID', () => node.nodeId],
    ['Connections', () => m().Connections],
    ['RoutingTable', () => m().RoutingTable],
    ['Advertisements', () => m().Advertisements],
    ['KnownConnectionCosts', () => m().KnownConnectionCosts],
  ]);
  const reply: Record<string, unknown> = {};
  for (const field of requested ?? getters.keys()) {
    const get = getters.get(field);
    // Only known field names reach `reply`, so no client text becomes a key of a plain object.
    if (get) reply[field] = get();
  }
  return reply;
};
