// meshctl ping NODE: one session, --count pings --delay seconds apart (receptorctl's ping loop). A failed ping is
// a `{"Success":false,"Error":...}` reply, not an ERROR: line (pkg/controlsvc/ping.go), so it is counted, shown,
// and turned into a non-zero exit at the end.
import type { Factory } from '../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../cmdutil/output.js';
import { MeshctlError } from '../errors.js';
import type { PingResult } from '../protocol/types.js';
import { renderPingReply } from '../render/mesh.js';
import { sleep } from './support.js';

export interface PingOptions extends StructuredFlags {
  node: string;
  count: number;
  /** Seconds between pings. */
  delay: number;
}

export async function run(o: PingOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  const c = await f.client();
  const results: PingResult[] = [];
  let failed = 0;
  let lastError = '';
  for (let i = 0; i < o.count; i++) {
    if (i > 0) await sleep(o.delay * 1000, f.signal);
    const r = await f.spinner.while(`pinging ${o.node}`, () => c.ping(o.node));
    results.push(r);
    if (r.Success) {
      if (format === 'human') await f.out(renderPingReply(r, f.render()));
    } else {
      failed++;
      lastError = r.Error;
      // With several pings, say which ones failed as they happen; the summary comes at the end.
      if (format === 'human' && o.count > 1) f.note(`ping ${o.node}: ${r.Error}`);
    }
  }
  if (format !== 'human') await f.print(format, results, () => '');
  if (failed > 0) {
    throw new MeshctlError(
      'EPINGFAILED',
      o.count === 1 ? `ping to '${o.node}' failed: ${lastError}` : `${failed} of ${o.count} pings to '${o.node}' failed`,
    );
  }
}
