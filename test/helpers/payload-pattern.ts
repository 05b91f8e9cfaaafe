// Payload helpers for tests that check a node stores bytes exactly (intake-blocks, intake-stall).
import { expect } from 'vitest';

/** `size` bytes in which word i (little-endian uint32) is i * 2654435761 + seed: no two words alike nearby. */
export function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let i = 0;
  for (; (i + 1) * 4 <= size; i++) b.writeUInt32LE((Math.imul(i, 2654435761) + seed) >>> 0, i * 4);
  for (let k = i * 4; k < size; k++) b[k] = (seed + k) & 0xff;
  return b;
}

/** Fails with the first offset where `got` differs from `want` (a whole-buffer diff of MiBs is useless). */
export function expectSameBytes(got: Buffer, want: Buffer, what: string): void {
  if (got.equals(want)) return;
  let at = 0;
  while (at < Math.min(got.length, want.length) && got[at] === want[at]) at++;
  expect.fail(`${what}: ${got.length} bytes stored, ${want.length} sent; first difference at byte ${at}`);
}
