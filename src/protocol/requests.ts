// Request lines meshctl sends. Pure: no sockets.
//
// meshctl always uses Receptor's JSON command form. The text form splits parameters on single spaces and
// ends at `\n`, so a value containing a space or a newline would be cut or would inject a second command;
// JSON escapes both. Every handler in Receptor accepts JSON (InitFromJSON in pkg/controlsvc/*.go and
// pkg/workceptor/controlsvc.go). Key names are the ones those functions read.
import type { SubmitRequest } from '../client/options.js';
import { UsageError } from '../errors.js';

/** Serialises one request as a protocol line (compact JSON + `\n`). */
export function jsonLine(obj: Record<string, unknown>): string {
  return JSON.stringify(obj) + '\n';
}

export function statusRequest(fields?: readonly string[]): string {
  // requested_fields must be an array of strings: a non-array may crash Receptor (status.go type assertion).
  return jsonLine(fields ? { command: 'status', requested_fields: [...fields] } : { command: 'status' });
}

export function pingRequest(target: string): string {
  return jsonLine({ command: 'ping', target });
}

export function tracerouteRequest(target: string): string {
  return jsonLine({ command: 'traceroute', target });
}

export function reloadRequest(): string {
  return jsonLine({ command: 'reload' });
}

export function connectRequest(node: string, service: string, tls?: string): string {
  return jsonLine(tls ? { command: 'connect', node, service, tls } : { command: 'connect', node, service });
}

export function workListRequest(unitId?: string): string {
  return jsonLine(unitId ? { command: 'work', subcommand: 'list', unitid: unitId } : { command: 'work', subcommand: 'list' });
}

export function workStatusRequest(unitId: string): string {
  return jsonLine({ command: 'work', subcommand: 'status', unitid: unitId });
}

export type UnitAction = 'cancel' | 'release' | 'force-release';

export function workActionRequest(action: UnitAction, unitId: string, signature?: string): string {
  const req: Record<string, unknown> = { command: 'work', subcommand: action, unitid: unitId };
  if (signature) req.signature = signature;
  return jsonLine(req);
}

export function workResultsRequest(unitId: string, startPos: number, signature?: string): string {
  // startpos is required in the JSON form; sent as a JSON number (receptor 1.6.5 also parses a decimal
  // string, and refuses any other with strconv.ParseInt's error: intFromMap in workceptor/controlsvc.go).
  const req: Record<string, unknown> = { command: 'work', subcommand: 'results', unitid: unitId, startpos: startPos };
  if (signature) req.signature = signature;
  return jsonLine(req);
}

/** Keys of a submit request that are not work parameters (workceptor/controlsvc.go, submit). */
export const RESERVED_SUBMIT_KEYS = ['command', 'subcommand', 'node', 'worktype', 'tlsclient', 'ttl', 'signwork', 'signature'];

/**
 * The submit line. Every value must be a JSON string (Receptor: "submit parameters must all be strings").
 * `signwork` is only understood as the exact string "true". Key order follows receptorctl's submit_work.
 */
export function workSubmitRequest(req: SubmitRequest): string {
  const obj: Record<string, string> = {
    command: 'work',
    subcommand: 'submit',
    node: req.node ?? 'localhost',
    worktype: req.workType,
  };
  if (req.tlsClient) obj.tlsclient = req.tlsClient;
  if (req.ttl) obj.ttl = req.ttl;
  if (req.signWork) obj.signwork = 'true';
  if (req.signature) obj.signature = req.signature;
  for (const [k, v] of Object.entries(req.params ?? {})) {
    if (RESERVED_SUBMIT_KEYS.includes(k)) throw new UsageError(`work parameter '${k}' is reserved`, { data: { reservedParam: k } });
    obj[k] = v;
  }
  return jsonLine(obj);
}
