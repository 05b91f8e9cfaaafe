import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { highwayHash64, nodeNameHash } from '../../../src/protocol/netceptor/highwayhash.js';

// Expected values come from Go (github.com/minio/highwayhash v1.0.3, the library receptor 1.6.5 uses),
// written by netceptor-vectors.gen.sh, never from the code under test.
const fixture = JSON.parse(readFileSync(new URL('./netceptor-vectors.json', import.meta.url), 'utf8')) as {
  vectors: { key: string; input: string; hash: string }[];
};

describe('netceptor name hashing', () => {
  it('netceptor hash - HighwayHash-64 equals minio/highwayhash for every length 0..100, zero and counting keys', () => {
    expect(fixture.vectors.length).toBeGreaterThan(200);
    for (const v of fixture.vectors) {
      const got = highwayHash64(Buffer.from(v.input, 'hex'), Buffer.from(v.key, 'hex'));
      expect(got.toString(16).padStart(16, '0'), `key ${v.key.slice(0, 8)}… input ${v.input.length / 2} bytes`).toBe(v.hash);
    }
  });

  it('netceptor hash - the reference test vector: empty input under key 00..1f is 907a56de22c26e53', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(highwayHash64(new Uint8Array(0), key)).toBe(0x907a56de22c26e53n);
  });

  it('netceptor hash - node names hash as receptor does (UTF-8 bytes, zero key)', () => {
    const byInput = new Map(fixture.vectors.filter((v) => /^0+$/.test(v.key)).map((v) => [v.input, v.hash]));
    for (const name of ['controller', 'meshctl-probe', 'ünïcødé', 'node-with-a-rather-long-name-over-32-bytes']) {
      expect(nodeNameHash(name).toString(16).padStart(16, '0')).toBe(byInput.get(Buffer.from(name).toString('hex')));
    }
  });

  it('netceptor hash - a key that is not 32 bytes is refused with its length', () => {
    expect(() => highwayHash64(new Uint8Array(1), new Uint8Array(16))).toThrow('highwayhash key must be 32 bytes, got 16');
  });
});
