// Node names on the wire are 64-bit hashes (data messages); a node turns them back into names with the
// table of every name it has met, as receptor does (netceptor.go AddNameHash / GetNameFromHash). Receptor
// adds its own ID at start, each direct peer when the connection is established, each node the first time a
// routing update from it is accepted, and every name it sends to. A data message naming a hash not in the
// table is dropped with `hash not found` in receptor's log.
import { nodeNameHash } from './highwayhash.js';

export class NameTable {
  private readonly byHash = new Map<bigint, string>();
  /** Hashes already computed: a node hashes the names of every data message it sends and of every routing update it
   * forwards, and HighwayHash with BigInt lanes costs tens of µs a name. */
  private readonly byName = new Map<string, bigint>();

  constructor(readonly localNode: string) {
    this.add(localNode);
  }

  /** Hashes `name` (`localhost` in any case meaning the local node, as receptor does) and remembers it. */
  add(name: string): bigint {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    const n = name.toLowerCase() === 'localhost' ? this.localNode : name;
    const h = nodeNameHash(n);
    this.byName.set(name, h);
    // The first name seen for a hash stays (receptor keeps the first on a collision).
    if (!this.byHash.has(h)) this.byHash.set(h, n);
    return h;
  }

  /** The name for a hash, or undefined (receptor: `hash not found`). */
  lookup(hash: bigint): string | undefined {
    return this.byHash.get(hash);
  }
}
