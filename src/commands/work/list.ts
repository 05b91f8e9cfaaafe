// meshctl work list: this node's units, or with --node another node's own list, read through
// `connect NODE control` (receptorctl work list --node does the same).
import type { Factory } from '../../cmdutil/factory.js';
import { outputFormat, type StructuredFlags } from '../../cmdutil/output.js';
import { UsageError } from '../../errors.js';
import { printable } from '../../printable.js';
import { renderWorkList, workListQueryData } from '../../render/work.js';

export interface WorkListOptions extends StructuredFlags {
  node?: string;
  unitId?: string;
  tlsClient?: string;
  quiet?: boolean;
}

export async function run(o: WorkListOptions, f: Factory): Promise<void> {
  const format = outputFormat(o);
  if (o.quiet && format !== 'human') throw new UsageError('--quiet cannot be combined with --json, --yaml or --query');
  if (o.tlsClient && !o.node) throw new UsageError('--tls-client only applies with --node NODE');
  const local = await f.client();
  const target = o.node ? local.viaNode(o.node, { tlsName: o.tlsClient || undefined }) : local;
  try {
    const where = o.node ? `asking ${o.node} for its work units` : 'listing work units';
    const list = await f.spinner.while(where, () => target.workList(o.unitId || undefined));
    if (o.quiet) {
      const ids = Object.keys(list);
      // Human output like the table: an id's control characters escaped (exact ids: --json).
      if (ids.length) await f.out(ids.map((id) => printable(id) + '\n').join(''));
      return;
    }
    await f.print(format, list, (ctx) => renderWorkList(list, ctx), { queryData: workListQueryData(list) });
    if (format === 'human' && f.io.stdoutIsTTY && Object.keys(list).length === 0) f.note('no work units');
  } finally {
    if (target !== local) await target.close();
  }
}
