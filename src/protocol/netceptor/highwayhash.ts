// HighwayHash-64 (Google's keyed hash, the portable reference algorithm), written from the published
// algorithm. Receptor names nodes on the wire by this hash: pkg/netceptor/netceptor.go, AddNameHash, hashes
// the node ID with github.com/minio/highwayhash New64 and an all-zero 32-byte key, and a data message carries
// the 64-bit result big-endian (translateDataFromMessage). minio's library gives the reference's values
// (checked against it: test/unit/protocol/netceptor-vectors.json, made by netceptor-vectors.gen.sh).
//
// uint64 lanes are BigInts masked to 64 bits: node names are short and each is hashed once (NameTable
// caches), so clarity wins over speed here.

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;

const INIT0 = [0xdbe6d5d5fe4cce2fn, 0xa4093822299f31d0n, 0x13198a2e03707344n, 0x243f6a8885a308d3n];
const INIT1 = [0x3bd39e10cb0ef593n, 0xc0acf169b5f18a8cn, 0xbe5466cf34e90c6cn, 0x452821e638d01377n];

class State {
  v0: bigint[];
  v1: bigint[];
  mul0: bigint[];
  mul1: bigint[];

  constructor(key: bigint[]) {
    this.mul0 = [...INIT0];
    this.mul1 = [...INIT1];
    this.v0 = key.map((k, i) => INIT0[i]! ^ k);
    this.v1 = key.map((k, i) => INIT1[i]! ^ (((k >> 32n) | (k << 32n)) & M64));
  }

  update(lanes: bigint[]): void {
    const { v0, v1, mul0, mul1 } = this;
    for (let i = 0; i < 4; i++) {
      v1[i] = (v1[i]! + mul0[i]! + lanes[i]!) & M64;
      mul0[i] = mul0[i]! ^ (((v1[i]! & M32) * (v0[i]! >> 32n)) & M64);
      v0[i] = (v0[i]! + mul1[i]!) & M64;
      mul1[i] = mul1[i]! ^ (((v0[i]! & M32) * (v1[i]! >> 32n)) & M64);
    }
    [v0[0], v0[1]] = zipperMergeAndAdd(v1[1]!, v1[0]!, v0[1]!, v0[0]!);
    [v0[2], v0[3]] = zipperMergeAndAdd(v1[3]!, v1[2]!, v0[3]!, v0[2]!);
    [v1[0], v1[1]] = zipperMergeAndAdd(v0[1]!, v0[0]!, v1[1]!, v1[0]!);
    [v1[2], v1[3]] = zipperMergeAndAdd(v0[3]!, v0[2]!, v1[3]!, v1[2]!);
  }

  updatePacket(packet: Uint8Array, at: number): void {
    const lanes: bigint[] = [];
    for (let i = 0; i < 4; i++) lanes.push(readU64LE(packet, at + 8 * i));
    this.update(lanes);
  }

  updateRemainder(bytes: Uint8Array, at: number, size: number): void {
    const sizeMod4 = size & 3;
    const whole = size & ~3;
    const packet = new Uint8Array(32);
    const s = BigInt(size);
    for (let i = 0; i < 4; i++) this.v0[i] = (this.v0[i]! + ((s << 32n) + s)) & M64;
    for (let i = 0; i < 4; i++) this.v1[i] = rotate32By(this.v1[i]!, size);
    packet.set(bytes.subarray(at, at + whole), 0);
    const rem = at + whole;
    if (size & 16) {
      for (let i = 0; i < 4; i++) packet[28 + i] = bytes[rem + i + sizeMod4 - 4]!;
    } else if (sizeMod4 > 0) {
      packet[16] = bytes[rem]!;
      packet[17] = bytes[rem + (sizeMod4 >> 1)]!;
      packet[18] = bytes[rem + sizeMod4 - 1]!;
    }
    this.updatePacket(packet, 0);
  }

  finalize64(): bigint {
    for (let n = 0; n < 4; n++) {
      const v0 = this.v0;
      this.update([swapHalves(v0[2]!), swapHalves(v0[3]!), swapHalves(v0[0]!), swapHalves(v0[1]!)]);
    }
    return (this.v0[0]! + this.v1[0]! + this.mul0[0]! + this.mul1[0]!) & M64;
  }
}

function zipperMergeAndAdd(v1: bigint, v0: bigint, add1: bigint, add0: bigint): [bigint, bigint] {
  add0 +=
    (((v0 & 0xff000000n) | (v1 & 0xff00000000n)) >> 24n) |
    (((v0 & 0xff0000000000n) | (v1 & 0xff000000000000n)) >> 16n) |
    (v0 & 0xff0000n) |
    ((v0 & 0xff00n) << 32n) |
    ((v1 & 0xff00000000000000n) >> 8n) |
    ((v0 << 56n) & M64);
  add1 +=
    (((v1 & 0xff000000n) | (v0 & 0xff00000000n)) >> 24n) |
    (v1 & 0xff0000n) |
    ((v1 & 0xff0000000000n) >> 16n) |
    ((v1 & 0xff00n) << 24n) |
    ((v0 & 0xff000000000000n) >> 8n) |
    ((v1 & 0xffn) << 48n) |
    (v0 & 0xff00000000000000n);
  return [add0 & M64, add1 & M64];
}

function rotate32By(lane: bigint, count: number): bigint {
  const c = BigInt(count & 31);
  const rot = (h: bigint) => (c === 0n ? h : ((h << c) | (h >> (32n - c))) & M32);
  return rot(lane & M32) | (rot(lane >> 32n) << 32n);
}

function swapHalves(x: bigint): bigint {
  return ((x >> 32n) | (x << 32n)) & M64;
}

function readU64LE(b: Uint8Array, at: number): bigint {
  let x = 0n;
  for (let i = 7; i >= 0; i--) x = (x << 8n) | BigInt(b[at + i]!);
  return x;
}

/** HighwayHash-64 of `input` under a 32-byte `key` (the 64-bit result as a BigInt). */
export function highwayHash64(input: Uint8Array, key: Uint8Array = ZERO_KEY): bigint {
  if (key.length !== 32) throw new RangeError(`highwayhash key must be 32 bytes, got ${key.length}`);
  const st = new State([0, 8, 16, 24].map((i) => readU64LE(key, i)));
  const whole = input.length - (input.length % 32);
  for (let at = 0; at < whole; at += 32) st.updatePacket(input, at);
  if (input.length % 32 !== 0) st.updateRemainder(input, whole, input.length % 32);
  return st.finalize64();
}

const ZERO_KEY = new Uint8Array(32);

/**
 * The 64-bit value receptor puts on the wire for a node name (netceptor.go AddNameHash): HighwayHash-64
 * of the name's UTF-8 bytes with the all-zero key. Receptor first maps `localhost` (any case) to its own
 * node ID; that belongs to the node (NameTable), not to this pure function.
 */
export function nodeNameHash(name: string): bigint {
  return highwayHash64(Buffer.from(name, 'utf8'));
}
