// Service advertisements as Receptor keeps them (pkg/netceptor/netceptor.go handleServiceAdvertisement,
// AddLocalServiceAdvertisement, Status): per node and service the newest one wins; a Cancel removes it
// (kept as a tombstone here: Receptor forgets it, so a Cancel can circle a loop of links); nothing
// expires (Receptor keeps the adverts of nodes that left). Our own adverts live in the same table.
import { formatGoTime, parseGoTime, type ServiceAdvertisement, type WorkCommand } from '../../protocol/netceptor/index.js';

export type WireWorkCommand = WorkCommand;

export interface StoredAdvert {
  NodeID: string;
  Service: string;
  timeNs: bigint;
  ConnType: number;
  Tags: Record<string, string> | null;
  WorkCommands: WireWorkCommand[] | null;
  /** A cancelled advert kept as a tombstone, so the Cancel is not flooded around a loop forever. */
  cancelled?: boolean;
}

/** The wall clock at the first nowNs() minus the monotonic clock then: nowNs() = this + the monotonic clock. */
let originNs: bigint | undefined;

/**
 * Wall-clock now in nanoseconds: the wall clock (ms) read once, moved on by the monotonic clock (ns), so adverts
 * of this process never go back in time. process.hrtime, not performance.now(): the node's own advert is made
 * before its control socket opens, and the first touch of the `performance` global loads perf_hooks (~1 ms of
 * `meshctl node`'s start-up, issue 12, bench/node-startup.js).
 */
export function nowNs(): bigint {
  const mono = process.hrtime.bigint();
  originNs ??= BigInt(Date.now()) * 1_000_000n - mono;
  return originNs + mono;
}

export class AdvertStore {
  private readonly byNode = new Map<string, Map<string, StoredAdvert>>();

  /** Applies a received advert; true when it was news (to be flooded on). */
  apply(m: ServiceAdvertisement): boolean {
    // Receptor compares time.Time values (handleServiceAdvertisement: si.Time.After(curSvc.Time)), to the nanosecond.
    const t = parseGoTime(m.Time);
    let services = this.byNode.get(m.NodeID);
    const cur = services?.get(m.Service);
    if (cur && !(t > cur.timeNs)) return false;
    if (!services) {
      services = new Map();
      this.byNode.set(m.NodeID, services);
    }
    services.set(m.Service, {
      NodeID: m.NodeID,
      Service: m.Service,
      timeNs: t,
      ConnType: m.ConnType,
      Tags: m.Tags,
      WorkCommands: m.WorkCommands,
      ...(m.Cancel ? { cancelled: true } : {}),
    });
    return true;
  }

  get(node: string, service: string): StoredAdvert | undefined {
    const a = this.byNode.get(node)?.get(service);
    return a && !a.cancelled ? a : undefined;
  }

  /** Live adverts (tombstones excluded). */
  all(): StoredAdvert[] {
    return this.entries().filter((a) => !a.cancelled);
  }

  /** Everything, tombstones included (to bring a new neighbour up to date). */
  entries(): StoredAdvert[] {
    const out: StoredAdvert[] = [];
    for (const services of this.byNode.values()) for (const a of services.values()) out.push(a);
    return out;
  }
}

/** The advert as flooded (serviceAdvertisementFull): Time as Go marshals a UTC time.Time. */
export function toMessage(a: StoredAdvert, cancel = a.cancelled === true): ServiceAdvertisement {
  return {
    NodeID: a.NodeID,
    Service: a.Service,
    Time: formatGoTime(a.timeNs),
    ConnType: a.ConnType,
    Tags: a.Tags,
    WorkCommands: a.WorkCommands,
    Cancel: cancel,
  };
}
