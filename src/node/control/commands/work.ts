// `work submit|list|status|cancel|release|force-release|results`, parsed and answered exactly as
// Receptor's workceptorCommandType does (pkg/workceptor/controlsvc.go InitFromString, InitFromJSON and
// ControlFunc), including its error texts and their order.
import { goFormatS } from '../../../protocol/go-json.js';
import { goSplitN } from '../../../protocol/go-strings.js';
import { streamResults } from '../../work/results.js';
import { cuttingSink } from '../fault.js';
import { CommandError, Workceptor } from '../../work/workceptor.js';
import type { CommandHandler, ControlSession } from '../session.js';

type Params = Record<string, unknown>;

interface WorkRequest {
  sub: string;
  params: Params;
}

/** strconv.ParseInt(s, 10, 64) with Go's error text. */
function parseInt10(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new CommandError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) {
    throw new CommandError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  }
  // An int64 beyond 2^53 has no exact Number; no file is that large, so the nearest safe integer reads
  // the same nothing. (Node's fs treats an unsafe position as "the current position": byte 0.)
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(v > max ? max : v < -max ? -max : v);
}

function strFromMap(config: Params, name: string): string {
  if (!Object.prototype.hasOwnProperty.call(config, name)) throw new CommandError(`field ${name} missing`);
  const v = config[name];
  if (typeof v !== 'string') throw new CommandError(`field ${name} must be a string`);
  return v;
}

function optStr(config: Params, name: string): string {
  const v = config[name];
  return typeof v === 'string' ? v : '';
}

function intFromMap(config: Params, name: string): number {
  if (!Object.prototype.hasOwnProperty.call(config, name)) throw new CommandError(`field ${name} missing`);
  const v = config[name];
  if (typeof v === 'number') return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Math.trunc(v)));
  // A string is parsed (receptor 1.6.5 streams from "5"; a malformed one fails with ParseInt's error).
  if (typeof v === 'string') return parseInt10(v);
  throw new CommandError(`field ${name} value ${goFormatS(v)} is not convertible to an int`);
}

function fromString(text: string): WorkRequest {
  // strings.Split in Receptor; only the first four fields are ever used (the fourth, a submit's params,
  // whole), so the line is cut into at most four: a 30 MiB params field is not split into millions of tokens.
  const tokens = goSplitN(text, ' ', 4);
  const sub = tokens[0]!.toLowerCase();
  const params: Params = {};
  switch (sub) {
    case 'submit':
      if (tokens.length < 3) throw new CommandError('work submit requires a target node and work type');
      params.node = tokens[1];
      params.worktype = tokens[2];
      if (tokens.length > 3) params.params = tokens[3];
      break;
    case 'list':
      if (tokens.length > 1) params.unitid = tokens[1];
      break;
    case 'status':
    case 'cancel':
    case 'release':
    case 'force-release':
      if (tokens.length < 2) throw new CommandError(`work ${sub} requires a unit ID`);
      if (tokens.length > 2) throw new CommandError(`work ${sub} does not take parameters after the unit ID`);
      params.unitid = tokens[1];
      break;
    case 'results':
      if (tokens.length < 2) throw new CommandError('work results requires a unit ID');
      if (tokens.length > 3) throw new CommandError('work results only takes a unit ID and optional start position');
      params.unitid = tokens[1];
      if (tokens.length > 2) {
        try {
          params.startpos = parseInt10(tokens[2]!);
        } catch (err) {
          throw new CommandError(`error converting start position to integer: ${(err as Error).message}`);
        }
      } else {
        params.startpos = 0;
      }
      break;
    default:
      break;
  }
  return { sub, params };
}

function fromJson(config: Params): WorkRequest {
  const sub = strFromMap(config, 'subcommand').toLowerCase();
  // Keys are the client's: `__proto__` must be an ordinary key, as in a Go map.
  const params: Params = Object.create(null) as Params;
  switch (sub) {
    case 'submit':
      for (const [k, v] of Object.entries(config)) {
        if (typeof v !== 'string') throw new CommandError(`submit parameters must all be strings and ${k} is not`);
        params[k] = v;
      }
      strFromMap(params, 'node');
      strFromMap(params, 'worktype');
      break;
    case 'status':
    case 'cancel':
    case 'release':
    case 'force-release':
      params.unitid = strFromMap(config, 'unitid');
      if (typeof config.signature === 'string') params.signature = config.signature;
      break;
    case 'list':
      if (typeof config.unitid === 'string') params.unitid = config.unitid;
      break;
    case 'results':
      params.unitid = strFromMap(config, 'unitid');
      params.startpos = intFromMap(config, 'startpos');
      if (typeof config.signature === 'string') params.signature = config.signature;
      break;
    default:
      break;
  }
  return { sub, params };
}

/** Keys of a JSON submit that are not work parameters (pkg/workceptor/controlsvc.go nonParams). */
const NON_PARAMS = new Set(['command', 'subcommand', 'node', 'worktype', 'tlsclient', 'ttl', 'signwork', 'signature']);

async function submit(p: Params, session: ControlSession): Promise<Record<string, unknown>> {
  const node = session.node;
  const work = node.work;
  const workNode = strFromMap(p, 'node');
  const workType = strFromMap(p, 'worktype');
  const tlsClient = optStr(p, 'tlsclient');
  const ttl = optStr(p, 'ttl');
  // boolFromMap: only the exact strings "true"/"false" count; anything else is false.
  const signWork = p.signwork === 'true';
  const signature = optStr(p, 'signature');
  const workUnitId = optStr(p, 'workUnitID');
  const workParams = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(p)) if (!NON_PARAMS.has(k)) workParams[k] = String(v);

  await work.processSignature(workType, signature, session.kind === 'unix', signWork);
  const isLocal = workNode === node.nodeId || workNode.toLowerCase() === 'localhost';
  const { unit, outcome } = await work.submit(
    isLocal
      ? { workType, params: workParams, requestedId: workUnitId, ttl }
      : { workType, params: workParams, requestedId: workUnitId, remote: { node: workNode, tlsClient, ttl, signWork } },
    session.payloadConnection(),
  );
  node.logger.info(`[${unit.id}] work unit of type ${workType} submitted${isLocal ? '' : ` to ${workNode}`}`);
  // Receptor: ErrPending from Start (the remote node cannot be reached yet) → "Job Submitted".
  return { result: outcome === 'pending' ? 'Job Submitted' : 'Job Started', unitid: unit.id };
}

export const workCommand: CommandHandler = async ({ params, json }, session) => {
  const { sub, params: p } = json === null ? fromString(params) : fromJson(json);
  const work = session.node.work;
  const connIsUnix = session.kind === 'unix';
  switch (sub) {
    case 'submit':
      return submit(p, session);
    case 'list': {
      if (typeof p.unitid === 'string') {
        // Unit IDs are the client's choice too (workUnitID): a unit called `__proto__` is listed like any other.
        const reply = Object.create(null) as Record<string, unknown>;
        reply[p.unitid] = (await work.find(p.unitid)).reply();
        return reply;
      }
      // The whole list comes pre-encoded (Workceptor.listReply): one string of Go's bytes, written as is.
      await session.write((await work.listReply()) + '\n');
      return null;
    }
    case 'status':
      return (await work.find(strFromMap(p, 'unitid'))).reply();
    case 'cancel':
    case 'release':
    case 'force-release': {
      const id = strFromMap(p, 'unitid');
      const unit = await work.find(id);
      await work.processSignature(unit.status.WorkType, optStr(p, 'signature'), connIsUnix, Workceptor.signWorkOf(unit));
      if (sub === 'cancel') {
        const outcome = await work.cancel(unit);
        return outcome === 'pending' ? { 'cancel pending': id } : { cancelled: id };
      }
      const outcome = await work.release(unit, sub === 'force-release');
      if (outcome === 'pending') return { 'release pending': id };
      session.node.logger.info(`[${id}] work unit released`);
      return { released: id };
    }
    case 'results': {
      const id = strFromMap(p, 'unitid');
      const startPos = intFromMap(p, 'startpos');
      const unit = await work.find(id);
      await work.processSignature(unit.status.WorkType, optStr(p, 'signature'), connIsUnix, Workceptor.signWorkOf(unit));
      await session.write(`Streaming results for work unit ${id}\n`);
      // A test asked for this stream to be cut (src/node/control/fault.ts): no lending, the last chunk is sliced.
      const cut = session.node.faults?.cutResults?.(id);
      const complete = await streamResults(
        unit,
        startPos,
        cut !== undefined
          ? cuttingSink(session.stream, cut, (chunk) => session.write(chunk), session.signal)
          : {
              write: (chunk) => session.write(chunk),
              ...(session.canLend ? { lend: (chunk: Buffer, returned: () => void) => session.lend(chunk, returned) } : {}),
              signal: session.signal,
            },
      );
      // pkg/workceptor/workceptor.go GetResults, trailing space included.
      if (complete) session.node.logger.debug(`Stdout complete - closing channel for: ${id} `);
      return null;
    }
    default:
      throw new CommandError('bad command');
  }
};
