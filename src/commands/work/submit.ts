// meshctl work submit WORKTYPE [CMDPARAMS...]: create a unit, stream its payload, print its id (or, with
// --follow, its output). Request fields and validation follow receptorctl (cli.py submit, socket_interface.py
// submit_work); the payload is streamed from disk or stdin with backpressure, never read whole.
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import type { PayloadSource, SubmitRequest } from '../../client/options.js';
import { AbortError, MeshctlError, UploadInterruptedError, UsageError } from '../../errors.js';
import { renderSubmitResult } from '../../render/work.js';
import { errorMessage } from '../support.js';
import { reconnectMs, streamResults } from './follow.js';
import { buildParams, choosePayload, openPayloadFile, reservedKeys, type PayloadFlags } from './params.js';
import { hintFor } from '../../cmdutil/hints.js';

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
    throw new UsageError('--follow writes the raw results: it cannot be combined with --json, --yaml or --query');
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
  /** The node confirmed the submit: later errors come from following. */
  let confirmed = false;
  try {
    const c = await f.client();
    const submit = () => c.workSubmit(req, payload, { signal: f.signal, onCreated: (id) => (unitId = id) });
    // No spinner while the user may be typing the payload.
    const result = choice.kind === 'stdin' ? await submit() : await f.spinner.while(`submitting ${o.workType} work`, submit);
    unitId = result.unitid;
    confirmed = true;
    if (o.follow) {
      await streamResults(f, c, result.unitid, { reconnectTimeoutMs, resumeHint: !o.rm, nodeReached: true });
    } else {
      await f.print(format, result, (ctx) => renderSubmitResult(result, ctx));
    }
  } catch (err) {
    throw explainFailure(err, unitId, { ...o, confirmed, command: (...args) => f.commandHint(...args) });
  } finally {
    await fh?.close().catch(() => undefined);
    if (o.rm && unitId) await releaseAfter(f, unitId);
  }
}

/**
 * The one line for a submit that failed once its unit existed: it names the unit and, for an upload cut short,
 * the byte reached and what becomes of the unit. The client ends every early stop of the upload with a reset
 * (TCP RST), which fails the node's read and the unit with it (Receptor: "Error reading input data"). A Unix socket
 * has no reset: closing it reads as an ordinary end of the payload. meshctl node tells the two apart (a write to
 * a client that closed both directions fails), receptor does not and would run the unit on what it got: the hint
 * says so.
 */
export function explainFailure(
  err: unknown,
  unitId: string | undefined,
  o: Pick<SubmitOptions, 'rm'> & {
    confirmed: boolean;
    /** Writes a meshctl command for a hint (Factory.commandHint: with the connection flags the user typed). */
    command?: (...args: string[]) => string;
  },
): unknown {
  const command = o.command ?? ((...args: string[]) => ['meshctl', ...args].join(' '));
  if (err instanceof UploadInterruptedError) {
    const id = err.unitId;
    const at = `at byte ${err.bytesSent}`;
    const status = command('work', 'status', id);
    const unixHint = `over a Unix socket receptor cannot tell a cut payload from a whole one and may run it: check with ${status}`;
    let message: string;
    let hint: string;
    switch (err.stop) {
      case 'aborted':
        message = `upload interrupted ${at} of the payload: work unit '${id}' will not run`;
        hint = o.rm ? '' : err.reset ? `remove it with: ${command('work', 'release', id)}` : unixHint;
        break;
      case 'payload':
        message = `reading the payload failed ${at} (${causeText(err)}): work unit '${id}' will not run`;
        hint = err.reset ? hintFor(err) : unixHint;
        break;
      case 'node':
        message =
          err.serverMessage !== undefined
            ? `node answered 'ERROR: ${err.serverMessage}' ${at} of the payload: work unit '${id}' will not run`
            : `${causeText(err)} (${at}; work unit '${id}')`;
        hint = `see its state: ${status}`;
        break;
      default:
        message = `upload of work unit '${id}' stopped ${at} of the payload: ${causeText(err)}`;
        hint = `see its state: ${status}`;
    }
    return new MeshctlError(err.code, message, { cause: err.cause, hint, data: { unitId: id, bytesSent: err.bytesSent } });
  }
  if (!unitId || !(err instanceof MeshctlError)) return err;
  // Errors while following name the unit themselves.
  if (o.confirmed) return err;
  if (err instanceof AbortError) {
    // Interrupted after the whole payload went out, waiting for the node's confirmation: the unit has everything.
    return new MeshctlError(err.code, `interrupted before the node confirmed work unit '${unitId}' (its whole payload was sent)`, {
      cause: err,
      hint: o.rm ? '' : `see its state: ${command('work', 'status', unitId)}`,
      data: { unitId },
    });
  }
  return new MeshctlError(err.code, `submit of unit '${unitId}' failed: ${err.message}`, { cause: err, hint: hintFor(err), data: err.data });
}

function causeText(err: UploadInterruptedError): string {
  const c = err.cause;
  return c instanceof Error ? c.message : String(c);
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
