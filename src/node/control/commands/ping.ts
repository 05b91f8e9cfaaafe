// `ping` and `traceroute` (pkg/controlsvc/ping.go, traceroute.go; pkg/netceptor/ping.go), answered by the
// mesh: any reachable node, `localhost` being this one. Failures are JSON, not ERROR lines:
// ping → {"Error":"no route to node","Success":false}; traceroute → one entry per hop (the probe whose hop
// limit ran out there), the last one the target or the error. Times are int nanoseconds plus Go's
// Duration text.
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

export const pingCommand: CommandHandler = async (req, session) => {
  const t = target(req, 'ping');
  return { ...(await session.node.ping(t, session.signal)) };
};

export const tracerouteCommand: CommandHandler = async (req, session) => {
  const t = target(req, 'traceroute');
  return { ...(await session.node.traceroute(t, session.signal)) };
};
