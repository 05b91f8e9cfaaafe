import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildParams, choosePayload, openPayloadFile, parseParam, reservedKeys } from '../../../src/commands/work/params.js';
import { submitRequest, validateTtl, type SubmitOptions } from '../../../src/commands/work/submit.js';
import { MeshctlError, UsageError } from '../../../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-params-'));
  await writeFile(join(dir, 'pod.yaml'), 'kind: Pod\n');
  await mkdir(join(dir, 'sub'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<MeshctlError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(MeshctlError);
  return e as MeshctlError;
}

describe('work params - payload options', () => {
  it('work params - exactly one payload option', () => {
    expect(choosePayload({ payload: 'f.bin' })).toEqual({ kind: 'file', path: 'f.bin' });
    expect(choosePayload({ payload: '-' })).toEqual({ kind: 'stdin' });
    expect(choosePayload({ noPayload: true })).toEqual({ kind: 'none' });
    expect(() => choosePayload({})).toThrow(UsageError);
    expect(() => choosePayload({ payload: 'a', noPayload: true })).toThrow("--payload and --no-payload cannot be used together");
    expect(() => choosePayload({ payload: 'a', payloadLiteral: 'x', noPayload: true })).toThrow(
      '--payload and --payload-literal and --no-payload cannot be used together',
    );
  });

  it('work params - a literal payload gets a newline, like receptorctl', () => {
    expect(choosePayload({ payloadLiteral: 'hi' })).toEqual({ kind: 'literal', text: 'hi\n' });
    expect(choosePayload({ payloadLiteral: '' })).toEqual({ kind: 'literal', text: '\n' });
  });

  it('work params - a payload file is opened up front; missing files and directories are EBADFILE', async () => {
    const fh = await openPayloadFile(join(dir, 'pod.yaml'));
    await fh.close();
    const missing = await rejection(openPayloadFile(join(dir, 'nope.bin')));
    expect(missing.code).toBe('EBADFILE');
    expect(missing.message).toBe(`cannot read payload file '${join(dir, 'nope.bin')}': no such file`);
    expect((await rejection(openPayloadFile(join(dir, 'sub')))).message).toContain('is a directory');
  });
});

describe('work params - key=value', () => {
  it('work params - split at the first =', () => {
    expect(parseParam('params=-n 5 --x=y')).toEqual(['params', '-n 5 --x=y']);
    expect(parseParam('empty=')).toEqual(['empty', '']);
  });

  it('work params - no = or an empty key is a usage error quoting the text', () => {
    expect(() => parseParam('novalue')).toThrow("bad --param 'novalue': expected key=value");
    expect(() => parseParam('=v')).toThrow("bad --param '=v': empty key");
  });

  it('work params - @FILE is read client side; @@ is sent unchanged (receptorctl)', async () => {
    const p = await buildParams([`secret_kube_pod=@${join(dir, 'pod.yaml')}`, 'at=@@literal', 'plain=x'], [], reservedKeys({}));
    expect(p).toEqual({ secret_kube_pod: 'kind: Pod\n', at: '@@literal', plain: 'x' });
  });

  it('work params - a missing @FILE names the key and the file', async () => {
    const e = await rejection(buildParams([`k=@${join(dir, 'none.txt')}`], [], reservedKeys({})));
    expect(e.code).toBe('EBADFILE');
    expect(e.message).toBe(`cannot read --param k file '${join(dir, 'none.txt')}': no such file`);
  });

  it('work params - command parameters are appended to params', async () => {
    expect(await buildParams(['params=-a'], ['b', 'c d'], reservedKeys({}))).toEqual({ params: '-a b c d' });
    expect(await buildParams([], ['x'], reservedKeys({}))).toEqual({ params: 'x' });
  });

  it("work params - keys the request sets itself are refused; tlsclient/ttl/signwork only when their option is given", async () => {
    await expect(buildParams(['node=x'], [], reservedKeys({}))).rejects.toThrow("--param 'node' clashes");
    await expect(buildParams(['worktype=x'], [], reservedKeys({}))).rejects.toThrow(UsageError);
    expect(await buildParams(['ttl=5m'], [], reservedKeys({}))).toEqual({ ttl: '5m' });
    await expect(buildParams(['ttl=5m'], [], reservedKeys({ ttl: '1m' }))).rejects.toThrow("--param 'ttl' clashes");
  });

  it('work params - the same key twice is refused', async () => {
    await expect(buildParams(['a=1', 'a=2'], [], reservedKeys({}))).rejects.toThrow("--param 'a' given twice");
  });
});

describe('work submit - request', () => {
  const opts = (o: Partial<SubmitOptions>): SubmitOptions => ({ workType: 'echo', cmdParams: [], ...o });

  it('work submit - options become request fields', () => {
    expect(submitRequest(opts({ node: 'n2', tlsClient: 't', ttl: '1m', signwork: true }), { params: 'x' })).toEqual({
      workType: 'echo',
      node: 'n2',
      tlsClient: 't',
      ttl: '1m',
      signWork: true,
      params: { params: 'x' },
    });
    expect(submitRequest(opts({}), {})).toEqual({ workType: 'echo' });
  });

  it("work submit - receptorctl's -a tlsclient=/ttl=/signwork= reach the request fields", () => {
    expect(submitRequest(opts({}), { tlsclient: 't', ttl: '2m', signwork: 'true', signature: 'jwt', other: 'o' })).toEqual({
      workType: 'echo',
      tlsClient: 't',
      ttl: '2m',
      signWork: true,
      signature: 'jwt',
      params: { other: 'o' },
    });
  });

  it('work submit - --ttl is checked as a Go duration before sending', async () => {
    await validateTtl('1h20m30s');
    await validateTtl('500ms');
    const e = await rejection(validateTtl('10 minutes'));
    expect(e.code).toBe('EUSAGE');
    expect(e.message).toBe(`invalid --ttl '10 minutes': time: unknown unit " minutes" in duration "10 minutes"`);
  });
});
