// Work unit IDs as Receptor v1.6.5 makes them (pkg/workceptor/workceptor.go generateUnitID,
// pkg/randstr): the node ID with everything but [a-zA-Z0-9 ] removed, followed by 8 characters drawn
// with crypto/rand from [0-9a-zA-Z]. (Older Receptors used the 8 random characters alone.)
import { randomInt } from 'node:crypto';

const CHARSET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += CHARSET[randomInt(CHARSET.length)];
  return out;
}

export function newUnitId(nodeId: string): string {
  return nodeId.replace(/[^a-zA-Z0-9 ]+/g, '') + randomString(8);
}

/** A unit ID that is safe as one directory name (no separators, not `.`/`..`). */
export function isSafeUnitId(id: string): boolean {
  return id !== '' && id !== '.' && id !== '..' && !id.includes('/') && !id.includes('\0');
}
