// Receptor's certificate sections (cert-init, cert-makereq, cert-signreq; pkg/certificates/cli.go) in a YAML file
// and on a command line: accepted as the configuration's one action (issue 12: they were refused as "not
// supported by the meshctl node"), with cmdline's checks and texts: required keys, unknown keys, and the
// Exclusive rule (no other section before or after, in the file or on the command line).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeArgs } from '../../../src/config/argv.js';
import { parseConfig } from '../../../src/config/parse.js';
import { RECEPTOR_ONLY_SECTIONS, sectionSpec } from '../../../src/config/schema.js';
import type { NodeConfig } from '../../../src/config/types.js';
import { MeshctlError } from '../../../src/errors.js';
import { receptorWording } from '../../../src/cli/receptor-compat.js';

const opts = { hostname: 'testhost' };

async function failure(run: () => unknown): Promise<MeshctlError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof MeshctlError) return err;
    throw err;
  }
  throw new Error('no error');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-certcfg-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('config cert actions', () => {
  it('config cert actions - cert-* are sections of the schema, no longer in the refused list (issue 12)', () => {
    for (const name of ['cert-init', 'cert-makereq', 'cert-signreq']) {
      expect(RECEPTOR_ONLY_SECTIONS).not.toContain(name);
      expect(sectionSpec(name)).toMatchObject({ support: 'action', exclusive: true });
    }
  });

  it('config cert actions - argv cert-init (receptor --cert-init commonname="test CA" ...) is the whole configuration', async () => {
    const cfg = await loadNodeArgs(['--cert-init', 'commonname=test CA', 'bits=2048', 'outcert=ca.crt', 'outkey=ca.key'], opts);
    expect(cfg.certAction).toEqual({
      kind: 'cert-init',
      commonname: 'test CA',
      bits: 2048,
      notbefore: '',
      notafter: '',
      outcert: 'ca.crt',
      outkey: 'ca.key',
    });
    // No node is started, so no node id is made up from the host name either.
    expect(cfg.node.id).toBe('');
  });

  it('config cert actions - YAML cert-init gives the same action as argv, keys case-insensitive', () => {
    const cfg = parseConfig('- cert-init:\n    CommonName: test CA\n    bits: 2048\n    outcert: ca.crt\n    OutKey: ca.key\n', opts);
    expect(cfg.certAction).toMatchObject({ kind: 'cert-init', commonname: 'test CA', bits: 2048, outkey: 'ca.key' });
  });

  it('config cert actions - cert-makereq: repeated and JSON-list names (argv) equal a YAML list; bits 0 when absent', async () => {
    const fromArgv = (await loadNodeArgs(
      ['--cert-makereq', 'commonname=n1', 'dnsname=a.example', 'dnsname=b.example', 'ipaddress=["127.0.0.1"]', 'nodeid=n1', 'outreq=n1.csr', 'inkey=n1.key'],
      opts,
    )) as NodeConfig;
    const fromYaml = parseConfig(
      '- cert-makereq:\n    commonname: n1\n    dnsname: [a.example, b.example]\n    ipaddress: 127.0.0.1\n    nodeid: n1\n    outreq: n1.csr\n    inkey: n1.key\n',
      opts,
    );
    const want = {
      kind: 'cert-makereq',
      commonname: 'n1',
      bits: 0,
      dnsname: ['a.example', 'b.example'],
      ipaddress: ['127.0.0.1'],
      nodeid: ['n1'],
      outreq: 'n1.csr',
      inkey: 'n1.key',
      outkey: '',
    };
    expect(fromArgv.certAction).toEqual(want);
    expect(fromYaml.certAction).toEqual(want);
  });

  it('config cert actions - cert-signreq: verify defaults to false, takes Go booleans (yes, true, 1)', async () => {
    const base = ['--cert-signreq', 'req=n1.csr', 'cacert=ca.crt', 'cakey=ca.key', 'outcert=n1.crt'];
    expect((await loadNodeArgs(base, opts)).certAction).toMatchObject({ kind: 'cert-signreq', verify: false, req: 'n1.csr' });
    for (const v of ['yes', 'true', '1']) expect((await loadNodeArgs([...base, `verify=${v}`], opts)).certAction).toMatchObject({ verify: true });
    expect(parseConfig('- cert-signreq:\n    req: a\n    cacert: b\n    cakey: c\n    outcert: d\n    verify: yes\n', opts).certAction).toMatchObject({ verify: true });
    const bad = await failure(() => loadNodeArgs([...base, 'verify=maybe'], opts));
    expect(receptorWording(bad)).toBe('error setting config value for field verify: could not parse maybe as boolean');
  });

  it("config cert actions - a missing required key is cmdline's error, as receptor words it", async () => {
    const one = await failure(() => loadNodeArgs(['--cert-init', 'commonname=x', 'outcert=a', 'outkey=b'], opts));
    expect(one.code).toBe('EBADCONFIG');
    expect(receptorWording(one)).toBe('error in --cert-init: required parameter missing: bits');
    const all = await failure(() => loadNodeArgs(['--cert-signreq', 'verify=yes'], opts));
    expect(receptorWording(all)).toBe('error in --cert-signreq: required parameters missing: req, cacert, cakey, outcert');
    const yaml = await failure(() => parseConfig('- cert-init:\n    commonname: x\n    outcert: a\n    outkey: b\n', { ...opts, file: 'c.yml' }));
    expect(yaml.message).toBe('c.yml:1: entry #1 (cert-init): required parameter missing: bits');
  });

  it('config cert actions - unknown keys and bad ints are refused with the known keys named', async () => {
    const unknown = await failure(() => loadNodeArgs(['--cert-init', 'commonname=x', 'bits=2048', 'outcert=a', 'outkey=b', 'osw=1'], opts));
    expect(unknown.message).toBe("argv: --cert-init: unknown key 'osw'");
    expect(unknown.hint).toContain('commonname');
    const bits = await failure(() => loadNodeArgs(['--cert-init', 'commonname=x', 'bits=abc', 'outcert=a', 'outkey=b'], opts));
    expect(receptorWording(bits)).toBe('error setting config value for field bits: strconv.ParseInt: parsing "abc": invalid syntax');
  });

  it('config cert actions - Exclusive: any other section before or after is refused with receptor\'s text', async () => {
    const init = ['--cert-init', 'commonname=x', 'bits=2048', 'outcert=a', 'outkey=b'];
    for (const words of [
      [...init, '--node', 'id=x'],
      ['--node', 'id=x', ...init],
      ['--log-level', 'debug', ...init],
      // A second action too: the first exclusive section names the error (ParseAndRun's loop stops there).
      [...init, '--cert-signreq', 'req=a', 'cacert=b', 'cakey=c', 'outcert=d'],
    ]) {
      const err = await failure(() => loadNodeArgs(words, opts));
      expect(err.code, words.join(' ')).toBe('EBADCONFIG');
      expect(receptorWording(err), words.join(' ')).toBe('cannot specify any other options with cert-init');
      expect(err.hint).toContain('on its own');
    }
    const yaml = await failure(() =>
      parseConfig('- node:\n    id: foo\n- cert-init:\n    commonname: x\n    bits: 2048\n    outcert: a\n    outkey: b\n', { ...opts, file: 'c.yml' }),
    );
    expect(yaml.message).toBe('c.yml:3: entry #2 (cert-init): cannot specify any other options with cert-init');
  });

  it('config cert actions - a --config file and the command line merge before the Exclusive check', async () => {
    const file = path.join(dir, 'init.yml');
    await writeFile(file, '- cert-init:\n    commonname: yaml CA\n    bits: 2048\n    outcert: yca.crt\n    outkey: yca.key\n');
    expect((await loadNodeArgs(['-c', file], opts)).certAction).toMatchObject({ kind: 'cert-init', commonname: 'yaml CA' });
    // receptor -c FILE --node id=x: the file's action and the word's section are one configuration.
    const err = await failure(() => loadNodeArgs(['-c', file, '--node', 'id=x'], opts));
    expect(receptorWording(err)).toBe('cannot specify any other options with cert-init');
  });

  it('config cert actions - a section checked after the action still reports its own error first (cmdline reads every word first)', async () => {
    const err = await failure(() => loadNodeArgs(['--cert-init', 'commonname=x', 'bits=2048', 'outcert=a', 'outkey=b', '--tcp-listner', 'port=0'], opts));
    expect(receptorWording(err)).toBe('command error: unknown config type tcp-listner');
  });
});
