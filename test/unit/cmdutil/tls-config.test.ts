import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTlsClient, tlsClientEntries } from '../../../src/cmdutil/tls-config.js';
import { MeshctlError } from '../../../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-tlscfg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tls-config', () => {
  it('tls-config - reads v1 entries with case-insensitive keys and bool spellings', () => {
    const entries = tlsClientEntries([
      { node: { id: 'a' } },
      { 'tls-client': { Name: 'c1', RootCAs: '/ca.pem', cert: '/c.pem', KEY: '/k.pem', insecureSkipVerify: 'yes' } },
      { 'tls-client': { name: 'c2', cert: '/c2.pem', key: '/k2.pem' } },
      'local-only',
    ]);
    expect(entries).toEqual([
      { name: 'c1', rootcas: '/ca.pem', cert: '/c.pem', key: '/k.pem', insecureskipverify: true },
      { name: 'c2', rootcas: undefined, cert: '/c2.pem', key: '/k2.pem', insecureskipverify: false },
    ]);
  });

  it('tls-config - reads v2 (map of plural sections)', () => {
    expect(tlsClientEntries({ 'tls-clients': [{ name: 'x', cert: 'c', key: 'k', insecureskipverify: true }] })).toEqual([
      { name: 'x', rootcas: undefined, cert: 'c', key: 'k', insecureskipverify: true },
    ]);
  });

  it('tls-config - readTlsClient finds the named entry in a file', async () => {
    const file = join(dir, 'r.yaml');
    await writeFile(file, '- tls-client:\n    name: ctl\n    rootcas: /ca.crt\n    cert: /c.crt\n    key: /c.key\n');
    expect(await readTlsClient(file, 'ctl')).toMatchObject({ rootcas: '/ca.crt', cert: '/c.crt', key: '/c.key' });
  });

  it('tls-config - an unknown name lists the names there', async () => {
    const file = join(dir, 'two.yaml');
    await writeFile(file, '- tls-client: {name: a, cert: c, key: k}\n- tls-client: {name: b, cert: c, key: k}\n');
    const err = (await readTlsClient(file, 'zz').catch((e: unknown) => e)) as MeshctlError;
    expect(err.code).toBe('EBADCONFIG');
    expect(err.message).toBe(`no tls-client named 'zz' in '${file}'`);
    expect(err.hint).toContain("'a', 'b'");
  });

  it('tls-config - a missing file and bad YAML are reported with the file name', async () => {
    const missing = (await readTlsClient(join(dir, 'nope.yaml'), 'a').catch((e: unknown) => e)) as MeshctlError;
    expect(missing.code).toBe('EBADFILE');
    expect(missing.message).toContain('nope.yaml');
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, '- tls-client: {name: [\n');
    const e = (await readTlsClient(bad, 'a').catch((x: unknown) => x)) as MeshctlError;
    expect(e.code).toBe('EBADCONFIG');
    expect(e.message).toContain('bad.yaml');
  });
});
