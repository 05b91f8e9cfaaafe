// scripts/lazy-modules.mjs (issue 12, node start-up): the esbuild plugin that turns imports of some modules into
// facades loading the module on first use. A facade must behave as the module does wherever the sources use it
// (calls, `new`, `instanceof`, constants, the default export, util.promisify with the module's own custom form)
// and load it no sooner than that. A bundle made with it runs in a fresh Node, which reports back as JSON.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without type declarations
import { lazyModules } from '../../../scripts/lazy-modules.mjs';

const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-lazy-modules-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ENTRY = `
import crypto, { constants, createHash, generateKeyPair, KeyObject, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';

const loaded = () => process.moduleLoadList.includes('NativeModule crypto');
// At the top level, as src/certs/keys.ts does: must not load crypto yet.
const generateKeyPairAsync = promisify(generateKeyPair);
// A function whose text is sent elsewhere (as the unit runner's is): its require must stay literal.
function sentAsText() {
  return require('node:crypto').randomBytes;
}

async function main() {
  const out = { atStart: loaded() };
  out.call = createHash('sha256').update('x').digest('hex');
  out.afterCall = loaded();
  out.viaDefault = crypto.createHash('sha256').update('x').digest('hex');
  out.constant = constants.RSA_PKCS1_PSS_PADDING;
  // node:tls loads node:crypto itself: only now.
  const cert = new X509Certificate(require('node:tls').rootCertificates[0]);
  out.newInstance = cert instanceof X509Certificate && typeof cert.subject === 'string';
  // crypto.generateKeyPair has its own promisified form, resolving to both keys.
  const pair = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  out.keyPair = [pair.publicKey instanceof KeyObject, pair.privateKey.type];
  out.sentAsText = sentAsText.toString().includes('require("node:crypto")');
  console.log(JSON.stringify(out));
}
main();
`;

describe('lazy modules', () => {
  it('lazy modules - a facade loads the module at first use and behaves as the module does', async () => {
    const entry = path.join(dir, 'entry.js');
    const outfile = path.join(dir, 'out.cjs');
    await writeFile(entry, ENTRY);
    await build({ entryPoints: [entry], outfile, bundle: true, format: 'cjs', platform: 'node', logLevel: 'error', plugins: [lazyModules(['node:crypto'], ROOT)] });
    const r = spawnSync(process.execPath, [outfile], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const real = await import('node:crypto');
    expect(JSON.parse(r.stdout)).toEqual({
      atStart: false,
      call: real.createHash('sha256').update('x').digest('hex'),
      afterCall: true,
      viaDefault: real.createHash('sha256').update('x').digest('hex'),
      constant: real.constants.RSA_PKCS1_PSS_PADDING,
      newInstance: true,
      keyPair: [true, 'private'],
      sentAsText: true,
    });
  });
});
