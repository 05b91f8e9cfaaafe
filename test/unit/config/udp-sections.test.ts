// Receptor's udp-listener / udp-peer sections (pkg/backends/udp.go UDPListenerCfg, UDPDialerCfg): their keys
// and defaults (as tcp-listener / tcp-peer without tls), and receptor's refusals of bad values.
import { describe, expect, it } from 'vitest';
import { loadNodeArgs } from '../../../src/config/argv.js';
import { parseConfig } from '../../../src/config/parse.js';
import { MeshctlError } from '../../../src/errors.js';

const parse = (text: string) => parseConfig(text, { file: 'receptor.yaml', hostname: 'testhost' });

function errorOf(f: () => unknown): MeshctlError {
  try {
    f();
  } catch (err) {
    if (err instanceof MeshctlError) return err;
    throw err;
  }
  throw new Error('no error');
}

async function argvError(words: string[]): Promise<MeshctlError> {
  try {
    await loadNodeArgs(['--node', 'id=a', ...words], { hostname: 'testhost' });
  } catch (err) {
    if (err instanceof MeshctlError) return err;
    throw err;
  }
  throw new Error(`no error for ${words.join(' ')}`);
}

describe('config udp sections', () => {
  it('config udp - udp-listener and udp-peer take receptor\'s keys and defaults (bindaddr 0.0.0.0, cost 1.0, redial true)', () => {
    const cfg = parse(`
- node:
    id: foo
- udp-listener:
    port: 2223
- udp-listener:
    BindAddr: 127.0.0.1
    port: "2224"
    cost: 2.5
    nodecost:
      bar: 1.5
    allowedpeers: [bar, baz]
- udp-peer: 10.0.0.1:2223
- udp-peer:
    address: "[::1]:2224"
    redial: false
    cost: 0.5
    allowedpeers: [bar]
`);
    expect(cfg.mesh.udpListeners?.map(({ source: _s, ...l }) => l)).toEqual([
      { bindaddr: '0.0.0.0', port: 2223, cost: 1 },
      { bindaddr: '127.0.0.1', port: 2224, cost: 2.5, nodecost: { bar: 1.5 }, allowedpeers: ['bar', 'baz'] },
    ]);
    expect(cfg.mesh.udpPeers?.map(({ source: _s, ...p }) => p)).toEqual([
      { address: '10.0.0.1:2223', redial: true, cost: 1 },
      { address: '[::1]:2224', redial: false, cost: 0.5, allowedpeers: ['bar'] },
    ]);
    expect(cfg.mesh.udpListeners?.[1]?.source).toMatchObject({ section: 'udp-listener', index: 3 });
    expect(cfg.mesh.tcpListeners).toEqual([]);
  });

  it('config udp - a cost or nodecost of 0 or less gets receptor\'s Prepare text, naming the entry (and the key in its data)', () => {
    const listener = errorOf(() => parse('- node:\n    id: foo\n- udp-listener:\n    port: 1\n    cost: 0\n'));
    expect(listener.message).toBe('receptor.yaml:3: entry #2 (udp-listener): connection cost must be positive');
    expect(listener.hint).toBe('set cost to a number above 0');
    expect(listener.data).toMatchObject({ section: 'udp-listener', key: 'cost', entry: 2 });
    const peer = errorOf(() => parse('- node:\n    id: foo\n- udp-peer:\n    address: a:1\n    cost: -1\n'));
    expect(peer.message).toBe('receptor.yaml:3: entry #2 (udp-peer): connection cost must be positive');
    const nodecost = errorOf(() => parse('- node:\n    id: foo\n- udp-listener:\n    port: 1\n    nodecost:\n      bar: 0\n'));
    expect(nodecost.message).toBe('receptor.yaml:3: entry #2 (udp-listener): connection cost must be positive for bar');
    expect(nodecost.data).toMatchObject({ key: 'nodecost' });
  });

  it('config udp - receptor\'s command-line words: the cost errors of tests/functional/cli TestNegativeCost, a missing port, a bad port, a tls key (UDP has none)', async () => {
    expect((await argvError(['--udp-listener', 'port=0', 'cost=-1'])).message).toBe('argv: --udp-listener: connection cost must be positive');
    expect((await argvError(['--udp-peer', 'address=x:1', 'cost=-1'])).message).toBe('argv: --udp-peer: connection cost must be positive');
    expect((await argvError(['--udp-listener', 'port=0', 'nodecost={"a":0}'])).message).toBe('argv: --udp-listener: connection cost must be positive for a');
    expect((await argvError(['--udp-listener', 'cost=1'])).message).toBe('argv: --udp-listener: required parameter missing: port');
    expect((await argvError(['--udp-peer', 'cost=1'])).message).toBe('argv: --udp-peer: required parameter missing: address');
    expect((await argvError(['--udp-listener', 'port=abc'])).message).toBe(
      'argv: --udp-listener: bad value for \'port\': strconv.ParseInt: parsing "abc": invalid syntax',
    );
    const tls = await argvError(['--udp-listener', 'port=0', 'tls=x']);
    expect(tls.message).toBe("argv: --udp-listener: unknown key 'tls'");
    expect(tls.hint).toBe('known keys: bindaddr, port, cost, nodecost, allowedpeers');
    expect((await argvError(['--udp-peer', 'address=x:1', 'tls=x'])).message).toBe("argv: --udp-peer: unknown key 'tls'");
  });

  it('config udp - valid command-line words start a node config with the UDP backends', async () => {
    const cfg = await loadNodeArgs(['--node', 'id=a', '--udp-listener', 'port=0', 'cost=2', '--udp-peer', '127.0.0.1:9'], { hostname: 'testhost' });
    expect(cfg.mesh.udpListeners?.map((l) => [l.bindaddr, l.port, l.cost])).toEqual([['0.0.0.0', 0, 2]]);
    expect(cfg.mesh.udpPeers?.map((p) => [p.address, p.redial, p.cost])).toEqual([['127.0.0.1:9', true, 1]]);
  });

  it('config udp - the UDP forwarders (udp-server, udp-client) stay refused', async () => {
    const e = await argvError(['--udp-server', 'port=1']);
    expect(e.message).toBe("argv: --udp-server: section 'udp-server' is not supported by the meshctl node");
    expect(e.hint).toBe('remove it, or run real receptor');
  });
});
