// meshctl work submit WORKTYPE [CMDPARAMS...]: create a unit, stream its payload, print its id (or, with
// --follow, its output). Request fields and validation follow receptorctl (cli.py submit, socket_interface.py
// submit_work); the payload is streamed from disk or stdin with backpressure, never read whole.
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Factory, StructuredFlags } from '../../cli/factory.js';
import { outputFormat } from '../../cli/factory.js';
import type { PayloadSource, SubmitRequest } from '../../client/options.js';
import { MeshctlError, UsageError } from '../../errors.js';
import { renderSubmitResult } from '../../render/work.js';
import { errorMessage } from '../support.js';
import { reconnectMs, streamResults } from './follow.js';
import { buildParams, choosePayload, openPayloadFile, reservedKeys, type PayloadFlags } from './params.js';

export interface SubmitOptions extends StructuredFlags, PayloadFlags {
  workType: string;
  cmdParams: string[];
  node?: string;
  param?: string[];
  tlsClient?: string;
  ttl?: string;
  signwork?: boolean;
  follow?: boolean;
  rm?: boolean;
  /** Duration text, with --follow; see FollowOptions.reconnectTimeoutMs. */
  reconnectTimeout?: string;
}

/** Checks a ttl the way the node will (Go's time.ParseDuration), before anything is sent. */
export async function validateTtl(ttl: string, flag = '--ttl'): Promise<void> {
  const { parseGoDuration } = await import('../../protocol/duration.js');
  try {
    parseGoDuration(ttl);
  } catch (err) {
    throw new UsageError(`invalid ${flag} '${ttl}': ${errorMessage(err)}`, {
      hint: 'use a Go duration such as 90s, 30m or 1h20m30s',
      cause: err,
    });
  }
}

/** The request, from options and parameters. `-a tlsclient=/ttl=/signwork=/signature=` map to the request's own fields. */
export function submitRequest(o: SubmitOptions, params: Record<string, string>): SubmitRequest {
  const p = { ...params };
  const take = (k: string): string | undefined => {
    const v = p[k];
    delete p[k];
    return v;
  };
  const req: SubmitRequest = { workType: o.workType };
  if (o.node) req.node = o.node;
  const tlsClient = o.tlsClient || take('tlsclient');
  if (tlsClient) req.tlsClient = tlsClient;
  const ttl = o.ttl || take('ttl');
  if (ttl) req.ttl = ttl;
  const signwork = take('signwork');
  if (o.signwork || signwork === 'true') req.signWork = true;
  const signature = take('signature');
  if (signature) req.signature = signature;
  if (Object.keys(p).length > 0) req.params = p;
  return req;
}

export async function run(o: SubmitOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  if (o.follow && format !== 'human') {
    throw new UsageError('--follow writes the raw results: it cannot be combined with --json or --yaml');
  }
  const choice = choosePayload(o);
  const reconnectTimeoutMs = reconnectMs(o.reconnectTimeout);
  const params = await buildParams(o.param ?? [], o.cmdParams, reservedKeys(o));
  const req = submitRequest(o, params);
  if (req.ttl) await validateTtl(req.ttl, o.ttl ? '--ttl' : '--param ttl');
  if (o.rm && !o.follow) f.warn('--rm without --follow releases the unit as soon as it is created: its results will never be seen');

  let fh: FileHandle | undefined;
  let payload: PayloadSource;
  switch (choice.kind) {
    case 'file':
      fh = await openPayloadFile(choice.path);
      payload = fh.createReadStream({ autoClose: false });
      break;
    case 'stdin':
      if (f.io.stdinIsTTY) f.note('reading the payload from the terminal; end it with Ctrl-D');
      payload = f.io.stdin as Readable;
      break;
    case 'literal':
      payload = choice.text;
      break;
    default:
      payload = null;
  }

  let unitId: string | undefined;
  try {
    const c = await f.client();
    const submit = () => c.workSubmit(req, payload, { signal: f.signal, onCreated: (id) => (unitId = id) });
    // No spinner while the user may be typing the payload.
    const result = choice.kind === 'stdin' ? await submit() : await f.spinner.while(`submitting ${o.workType} work`, submit);
    unitId = result.unitid;
    if (o.follow) {
      await streamResults(f, c, result.unitid, { reconnectTimeoutMs, resumeHint: !o.rm });
    } else {
      await f.print(format, result, (ctx) => renderSubmitResult(result, ctx));
    }
  } catch (err) {
    if (unitId && err instanceof MeshctlError && !o.follow && err.code !== 'EABORTED') {
      throw new MeshctlError(err.code, `submit of unit '${unitId}' failed: ${err.message}`, { cause: err, hint: err.hint, data: err.data });
    }
    throw err;
  } finally {
    await fh?.close().catch(() => undefined);
    if (o.rm && unitId) await releaseAfter(f, unitId);
  }
}

/** --rm: release even after a failure or Ctrl-C (receptorctl does it in a `finally`), on a client of its own. */
async function releaseAfter(f: Factory, unitId: string): Promise<void> {
  try {
    const c = await f.cleanupClient();
    const r = await c.workRelease(unitId);
    const [outcome] = Object.keys(r);
    f.note(`${outcome ?? 'released'} ${unitId}`);
  } catch (err) {
    f.warn(`could not release unit '${unitId}': ${errorMessage(err)}`);
  }
}
