import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Factory, wireTraceEnabled } from '../../../src/cmdutil/factory.js';
import { outputFormat } from '../../../src/cmdutil/output.js';
import type { GlobalOptions } from '../../../src/cmdutil/globals.js';
import { MeshctlError } from '../../../src/errors.js';
import { fakeIo } from './fake-io.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-factory-'));
  await writeFile(join(dir, 'ca.pem'), 'CA PEM');
  await writeFile(join(dir, 'c.pem'), 'CERT PEM');
  await writeFile(join(dir, 'k.pem'), 'KEY PEM');
  await writeFile(join(dir, 'r.yaml'), `- tls-client:\n    name: ctl\n    rootcas: ${join(dir, 'ca.pem')}\n    cert: ${join(dir, 'c.pem')}\n    key: ${join(dir, 'k.pem')}\n    insecureskipverify: true\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base: GlobalOptions = { insecureskipverify: false, debug: false, color: true };

function factory(g: Partial<GlobalOptions>, env: Record<string, string> = {}) {
  const f = fakeIo({ env });
  return { f, factory: new Factory(f.io, { ...base, ...g }, new AbortController().signal) };
}

async function failure(p: Promise<unknown>): Promise<MeshctlError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(MeshctlError);
  return e as MeshctlError;
}

describe('factory', () => {
  it('factory - --socket wins over MESHCTL_SOCKET, which wins over RECEPTORCTL_SOCKET', async () => {
    const env = { MESHCTL_SOCKET: '/m.sock', RECEPTORCTL_SOCKET: '/r.sock' };
    expect((await factory({ socket: '/s.sock' }, env).factory.clientOptions()).address).toBe('/s.sock');
    expect((await factory({}, env).factory.clientOptions()).address).toBe('/m.sock');
    expect((await factory({}, { RECEPTORCTL_SOCKET: '/r.sock' }).factory.clientOptions()).address).toBe('/r.sock');
  });

  it('factory - no address at all is ENOSOCKET; a malformed one is EBADADDRESS', async () => {
    expect((await failure(factory({}).factory.clientOptions())).code).toBe('ENOSOCKET');
    const bad = await failure(factory({ socket: 'ftp://x' }).factory.clientOptions());
    expect(bad.code).toBe('EBADADDRESS');
    expect(bad.message).toContain("'ftp://x'");
  });

  it('factory - --timeout sets connect, greeting and command timeouts', async () => {
    const o = await factory({ socket: '/s', timeout: '1500ms' }).factory.clientOptions();
    expect(o).toMatchObject({ connectTimeoutMs: 1500, greetingTimeoutMs: 1500, commandTimeoutMs: 1500 });
  });

  it('factory - TLS files are read for tls:// addresses', async () => {
    const o = await factory({
      socket: 'tls://127.0.0.1:1',
      rootcas: join(dir, 'ca.pem'),
      cert: join(dir, 'c.pem'),
      key: join(dir, 'k.pem'),
      insecureskipverify: true,
    }).factory.clientOptions();
    expect(o.tls).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM', insecureSkipVerify: true });
  });

  it('factory - a missing TLS file is EBADFILE naming the option and the path', async () => {
    const e = await failure(factory({ socket: 'tls://127.0.0.1:1', rootcas: join(dir, 'none.pem') }).factory.clientOptions());
    expect(e.code).toBe('EBADFILE');
    expect(e.message).toBe(`cannot read --rootcas file '${join(dir, 'none.pem')}': no such file`);
  });

  it('factory - --cert without --key is a usage error', async () => {
    const e = await failure(factory({ socket: 'tls://127.0.0.1:1', cert: join(dir, 'c.pem') }).factory.clientOptions());
    expect(e.code).toBe('EUSAGE');
  });

  it('factory - --config with --tls-client reads the entry', async () => {
    const o = await factory({ socket: 'tls://h:1', config: join(dir, 'r.yaml'), tlsClient: 'ctl' }).factory.clientOptions();
    expect(o.tls).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM', insecureSkipVerify: true });
  });

  it("factory - receptorctl's --config rules: needs --tls-client, excludes the file options", async () => {
    expect((await failure(factory({ socket: 'tls://h:1', config: 'r.yaml' }).factory.clientOptions())).message).toContain('needs --tls-client');
    expect((await failure(factory({ socket: 'tls://h:1', tlsClient: 'x' }).factory.clientOptions())).message).toContain('needs --config');
    const both = await failure(factory({ socket: 'tls://h:1', config: 'r.yaml', tlsClient: 'x', rootcas: 'ca' }).factory.clientOptions());
    expect(both.code).toBe('EUSAGE');
  });

  it('factory - TLS options with a non-TLS address are ignored with a warning', async () => {
    const { f, factory: fa } = factory({ socket: '/s.sock', rootcas: '/nonexistent' });
    const o = await fa.clientOptions();
    expect(o.tls).toBeUndefined();
    expect(f.stderr()).toContain('meshctl: warning: --rootcas');
  });

  it('factory - MESHCTL_DEBUG=wire traces lines on stderr', async () => {
    expect(wireTraceEnabled({ MESHCTL_DEBUG: 'x,wire' })).toBe(true);
    expect(wireTraceEnabled({})).toBe(false);
    const { f, factory: fa } = factory({ socket: '/s' }, { MESHCTL_DEBUG: 'wire' });
    const o = await fa.clientOptions();
    o.trace?.('>', 'status');
    o.trace?.('<', '{}');
    expect(f.stderr()).toBe('> status\n< {}\n');
  });

  it('factory - --json and --yaml together are a usage error', () => {
    expect(outputFormat({ json: true })).toBe('json');
    expect(outputFormat({ yaml: true })).toBe('yaml');
    expect(outputFormat({})).toBe('human');
    expect(() => outputFormat({ json: true, yaml: true })).toThrow(/cannot be used together/);
  });

  it('factory - no client is created after close', async () => {
    const { factory: fa } = factory({ socket: '/s' });
    await fa.close();
    expect((await failure(fa.client())).code).toBe('EABORTED');
  });
});
