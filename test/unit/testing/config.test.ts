// meshctl/testing's config building (src/testing/config.ts): what a fixture adds to a Receptor config, and how
// port 0 is pinned for restarts. Each config built here is also parsed by src/config, as the node will read it.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse.js';
import { buildEntries, pinPorts, toYaml } from '../../../src/testing/config.js';

const DIR = '/tmp/fixture-dir';

describe('testing config - buildEntries', () => {
  it('testing config - no input: a node with a random id, its datadir and a control socket in the directory', () => {
    const b = buildEntries({}, DIR);
    expect(b.nodeId).toMatch(/^node-[a-z0-9]+$/);
    expect(b.socketPath).toBe(`${DIR}/control.sock`);
    const c = parseConfig(toYaml(b.entries));
    expect(c.node).toMatchObject({ id: b.nodeId, datadir: `${DIR}/data` });
    expect(c.controlServices.map((s) => [s.service, s.filename])).toEqual([['control', `${DIR}/control.sock`]]);
  });

  it("testing config - YAML text is kept; a control service without a socket gets the directory's, and tcp adds tcplisten to it", () => {
    const yaml = ['- node:', '    id: alpha', '    datadir: /srv/data', '- control-service:', '    service: ctl', '- log-level: debug'].join('\n');
    const b = buildEntries({ config: yaml, tcp: true }, DIR);
    expect(b.nodeId).toBe('alpha');
    const c = parseConfig(toYaml(b.entries));
    expect(c.node.datadir).toBe('/srv/data');
    expect(c.logLevel).toBe('debug');
    expect(c.controlServices.map((s) => [s.service, s.filename, s.tcplisten])).toEqual([['ctl', `${DIR}/control.sock`, '127.0.0.1:0']]);
  });

  it('testing config - a socket the YAML names is the one the handle reports; options add listeners, peers and work types', () => {
    const b = buildEntries(
      {
        config: [{ 'control-service': { filename: '/run/r.sock' } }, 'local-only'],
        id: 'beta',
        listen: true,
        peers: ['127.0.0.1:4000'],
        workCommands: [{ worktype: 'cat', command: 'cat', allowruntimeparams: true }],
        logLevel: 'warning',
      },
      DIR,
    );
    expect(b.socketPath).toBe('/run/r.sock');
    const c = parseConfig(toYaml(b.entries));
    expect(c.node.id).toBe('beta');
    expect(c.localOnly).toBe(true);
    expect(c.logLevel).toBe('warning');
    expect(c.mesh.tcpListeners.map((l) => [l.bindaddr, l.port])).toEqual([['127.0.0.1', 0]]);
    expect(c.mesh.tcpPeers.map((p) => p.address)).toEqual(['127.0.0.1:4000']);
    expect(c.workCommands.map((w) => [w.worktype, w.allowruntimeparams])).toEqual([['cat', true]]);
  });

  it('testing config - refuses a YAML map and an id that contradicts the YAML, naming what to change', () => {
    expect(() => buildEntries({ config: 'node:\n  id: x\n' }, DIR)).toThrow('config: Receptor YAML is a list of entries');
    expect(() => buildEntries({ id: 'a', config: '- node:\n    id: b\n' }, DIR)).toThrow("startNode: id 'a' and the config's node id 'b' differ");
  });
});

describe('testing config - pinPorts', () => {
  it('testing config - port 0 listeners get the ports the node got, in config order; fixed ports stay', () => {
    const entries = buildEntries(
      {
        config: [
          { 'tcp-listener': { port: 0 } },
          { 'ws-listener': { port: 7000 } },
          { 'control-service': { service: 'a', tcplisten: '127.0.0.1:0' } },
          { 'control-service': { service: 'b', tcplisten: '0.0.0.0:9000' } },
          { 'tcp-listener': { port: 0 } },
        ],
      },
      DIR,
    ).entries;
    pinPorts(entries, [41000, 7000, 42000], [43000, 9000]);
    const c = parseConfig(toYaml(entries));
    expect(c.mesh.tcpListeners.map((l) => l.port)).toEqual([41000, 42000]);
    expect(c.mesh.wsListeners.map((l) => l.port)).toEqual([7000]);
    expect(c.controlServices.map((s) => s.tcplisten)).toEqual(['127.0.0.1:43000', '0.0.0.0:9000']);
  });
});
