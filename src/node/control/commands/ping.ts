// `ping` and `traceroute` (pkg/controlsvc/ping.go, traceroute.go; pkg/netceptor/ping.go). Without a mesh
// the only reachable node is this one (`localhost` or its own ID). Failures are JSON, not ERROR lines:
// ping → {"Error":"no route to node","Success":false}; traceroute → hop 0 is this node (the probe with
// zero hops to live expires here), hop 1 carries the error. Times are int nanoseconds plus Go's
// Duration text.
import { formatGoDuration } from '../../../protocol/duration.js';
import { CommandError } from '../../work/workceptor.js';
import type { CommandHandler, CommandRequest } from '../session.js';

function target(req: CommandRequest, what: 'ping' | 'traceroute'): string {
  if (req.json === null) {
    if (req.params === '') throw new CommandError(`no ${what} target`);
    return req.params;
  }
  if (!Object.prototype.hasOwnProperty.call(req.json, 'target')) throw new CommandError(`no ${what} target`);
  const t = req.json.target;
  if (typeof t !== 'string') throw new CommandError(`${what} target must be string`);
  return t;
}

/** Time of one trip through the event loop: the local equivalent of a ping to self. */
async function localRoundTrip(): Promise<bigint> {
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve) => setImmediate(resolve));
  return process.hrtime.bigint() - start;
}

export const pingCommand: CommandHandler = async (req, session) => {
  const t = target(req, 'ping');
  const self = session.node.nodeId;
  if (t !== self && t !== 'localhost') return { Success: false, Error: 'no route to node' };
  const ns = await localRoundTrip();
  return { Success: true, From: self, Time: ns, TimeStr: formatGoDuration(ns) };
};

export const tracerouteCommand: CommandHandler = async (req, session) => {
  const t = target(req, 'traceroute');
  const self = session.node.nodeId;
  const ns = await localRoundTrip();
  const reply: Record<string, unknown> = { '0': { From: self, Time: ns, TimeStr: formatGoDuration(ns) } };
  if (t !== self && t !== 'localhost') {
    const ns1 = await localRoundTrip();
    reply['1'] = { Error: 'no route to node', From: self, Time: ns1, TimeStr: formatGoDuration(ns1) };
  }
  return reply;
};
