// meshctl __complete: what the completion scripts (./completion.ts) run at each Tab. It prints the candidates the
// CLI read off the command tree (src/cli/complete.ts), plus those only the node knows — unit IDs, node names, work
// types, services — one a line as `value<TAB>description`, then a directive line: `:0` (only these) or `:1` (let
// the shell complete file names). That is the shape of cobra's `__complete` reply (gh, kubectl), so the scripts
// stay small. A node that is down, slow or refusing gives no candidates and no message: an error printed in the
// middle of the line being typed would only be in the way.
import type { ControlClient } from '../client/control-client.js';
import type { Factory } from '../cmdutil/factory.js';
import { AbortError } from '../errors.js';
import { printable } from '../printable.js';
import type { Advertisement, Status } from '../protocol/types.js';

export interface CompletionItem {
  value: string;
  description?: string;
}

export interface CompletionFetch {
  kind: 'units' | 'nodes' | 'worktypes' | 'services';
  /** worktypes, services: of this node (default: the node we talk to). */
  node?: string;
  /** units: already on the line. */
  exclude?: readonly string[];
}

export interface CompleteOptions {
  items: CompletionItem[];
  files: boolean;
  fetch?: CompletionFetch;
  /** Candidates must start with it (the part of the word already typed). */
  prefix: string;
  /** Written before each candidate (`--node=`). */
  insert: string;
}

/**
 * How long a Tab may wait for the node, connecting included. The shell's prompt is frozen meanwhile; past it the
 * user gets no candidates rather than a hang (cobra leaves this to each command; kubectl's API calls have their
 * own timeouts, which a dead node would make 30 s here).
 */
export const COMPLETION_DEADLINE_MS = 2000;

export async function run(o: CompleteOptions, f: Factory): Promise<void> {
  const items = o.fetch ? [...o.items, ...(await fromNode(o.fetch, f))] : o.items;
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const { value, description } of items) {
    if (!value.startsWith(o.prefix) || !typeable(value) || seen.has(value)) continue;
    seen.add(value);
    lines.push(o.insert + value + (description ? `\t${printable(description)}` : ''));
  }
  lines.push(`:${o.files ? 1 : 0}`);
  await f.out(lines.join('\n') + '\n');
}

/**
 * A candidate the shell can insert as it is: no blank or control character (a unit ID chosen by a JSON submit may
 * hold anything; the scripts read one candidate a line and a terminal would act on ESC).
 */
function typeable(value: string): boolean {
  return value !== '' && !/\s/.test(value) && printable(value) === value;
}

async function fromNode(fetch: CompletionFetch, f: Factory): Promise<CompletionItem[]> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new AbortError('completion deadline passed')), COMPLETION_DEADLINE_MS);
  const onAbort = () => deadline.abort(f.signal.reason);
  f.signal.addEventListener('abort', onAbort, { once: true });
  let client: ControlClient | undefined;
  try {
    // The connection the completed command would use (its flags, env, --config), under one short deadline.
    const options = await f.clientOptions();
    options.signal = deadline.signal;
    const bound = (ms: number | undefined) => (ms && ms < COMPLETION_DEADLINE_MS ? ms : COMPLETION_DEADLINE_MS);
    options.connectTimeoutMs = bound(options.connectTimeoutMs);
    options.greetingTimeoutMs = bound(options.greetingTimeoutMs);
    options.commandTimeoutMs = bound(options.commandTimeoutMs);
    const { ControlClient } = await import('../client/control-client.js');
    client = new ControlClient(options);
    return await ask(client, fetch);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
    f.signal.removeEventListener('abort', onAbort);
    await client?.close();
  }
}

async function ask(client: ControlClient, fetch: CompletionFetch): Promise<CompletionItem[]> {
  if (fetch.kind === 'units') {
    const exclude = new Set(fetch.exclude ?? []);
    return Object.entries(await client.workList())
      .filter(([id]) => !exclude.has(id))
      .map(([id, s]) => ({ value: id, description: `${s.WorkType} ${s.StateName}` }));
  }
  const status = await client.status();
  if (fetch.kind === 'nodes') return meshNodes(status);
  // 'localhost' is how commands name the node they talk to (ping localhost, --node localhost).
  const node = fetch.node === undefined || fetch.node === 'localhost' ? status.NodeID : fetch.node;
  const ads = (status.Advertisements ?? []).filter((a) => a.NodeID === node);
  if (fetch.kind === 'worktypes') {
    return ads.flatMap((a) => (a.WorkCommands ?? []).map((w) => ({ value: w.WorkType, description: w.Secure ? 'verifies signatures' : '' })));
  }
  return ads.map((a) => ({ value: a.Service, description: connType(a) }));
}

/** Every node the mesh knows of: itself, its connections, every node of the known-connections map and routes. */
function meshNodes(s: Status): CompletionItem[] {
  const names = new Set<string>([s.NodeID]);
  for (const c of s.Connections ?? []) names.add(c.NodeID);
  for (const [node, peers] of Object.entries(s.KnownConnectionCosts ?? {})) {
    names.add(node);
    for (const peer of Object.keys(peers ?? {})) names.add(peer);
  }
  for (const node of Object.keys(s.RoutingTable ?? {})) names.add(node);
  return [...names].sort().map((value) => ({ value, description: value === s.NodeID ? 'the node meshctl talks to' : '' }));
}

function connType(a: Advertisement): string {
  return a.ConnType === 2 ? 'stream, TLS' : a.ConnType === 1 ? 'stream' : 'datagram';
}
