// The node's control service over a real Unix socket and TCP, spoken to with raw bytes. Expected lines
// were checked against receptor 1.6.5 (same requests sent to `receptor -c` with the same config).
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { exchange, RawConn } from './raw-client.js';

let n: TestNode;

beforeAll(async () => {
  n = await startTestNode({
    nodeId: 'foo',
    tcp: true,
    workCommands: [
      { worktype: 'cat', command: 'cat' },
      { worktype: 'echo', command: 'echo', params: "hello 'a b'" },
    ],
  });
});

afterAll(async () => {
  await n.close();
});

describe('control service session', () => {
  it('control - greets with the node id', async () => {
    const c = await RawConn.open(n.socketPath);
    expect(await c.readLine()).toBe('Receptor Control, node foo');
    c.close();
  });

  it('control - answers status with sorted keys and its own advertisement', async () => {
    const [line] = await exchange(n.socketPath, 'status\n');
    expect(line).toMatch(/^\{"Advertisements":\[\{"NodeID":"foo","Service":"control","Time":"[^"]+","ConnType":1,"Tags":\{"type":"Control Service"\},"WorkCommands":\[\{"WorkType":"cat","Secure":false\},\{"WorkType":"echo","Secure":false\}\]\}/);
    const s = JSON.parse(line!) as Record<string, unknown>;
    expect(Object.keys(s)).toEqual([
      'Advertisements',
      'Connections',
      'KnownConnectionCosts',
      'NodeID',
      'RoutingTable',
      'SystemCPUCount',
      'SystemMemoryMiB',
      'Version',
    ]);
    expect(s.Connections).toEqual([]);
    expect(s.RoutingTable).toEqual({});
    expect(s.KnownConnectionCosts).toEqual({});
    expect(s.Version).toBe('1.6.5');
    const ads = s.Advertisements as { Service: string; Time: string }[];
    expect(ads.map((a) => a.Service)).toEqual(['control']);
    expect(ads[0]!.Time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/);
  });

  it('control - status requested_fields returns the subset, [] returns {}', async () => {
    const lines = await exchange(
      n.socketPath,
      '{"command":"status","requested_fields":["Version","NodeID","Nope"]}\n{"command":"status","requested_fields":[]}\n',
    );
    expect(lines).toEqual(['{"NodeID":"foo","Version":"1.6.5"}', '{}']);
  });

  it('control - status with a non-array requested_fields is an ERROR, not a crash', async () => {
    const lines = await exchange(
      n.socketPath,
      '{"command":"status","requested_fields":"Version"}\n{"command":"status","requested_fields":[1]}\n{"command":"status","requested_fields":["NodeID"]}\n',
    );
    expect(lines).toEqual([
      'ERROR: requested_fields must be an array of strings',
      'ERROR: each element of requested_fields must be a string',
      '{"NodeID":"foo"}',
    ]);
  });

  it('control - text command rules: case, parameters, \\r dropped, empty lines skipped', async () => {
    const lines = await exchange(
      n.socketPath,
      'STATUS\r\n\n\r\n{"command":"STATUS"}\n status\nstatus x\nnosuch thing\n',
    );
    expect(lines[0]).toMatch(/^\{"Advertisements"/);
    expect(lines.slice(1)).toEqual([
      'ERROR: Unknown command, STATUS',
      'ERROR: Unknown command, ',
      'ERROR: status command does not take parameters',
      'ERROR: Unknown command, nosuch',
    ]);
  });

  it('control - bad JSON gives two ERROR lines', async () => {
    const lines = await exchange(n.socketPath, '{bad\n{"command":5}\n{"x":1}\n{"command":"status"\n');
    expect(lines).toEqual([
      "ERROR: invalid character 'b' looking for beginning of object key string",
      'ERROR: Unknown command, ',
      'ERROR: command must be a string',
      'ERROR: Unknown command, ',
      'ERROR: JSON did not contain a command',
      'ERROR: Unknown command, ',
      'ERROR: unexpected end of JSON input',
      'ERROR: Unknown command, ',
    ]);
  });

  it('control - a last line without newline before EOF still runs', async () => {
    const lines = await exchange(n.socketPath, '{"command":"status","requested_fields":["NodeID"]}');
    expect(lines).toEqual(['{"NodeID":"foo"}']);
  });

  it('control - a command split across many writes is read whole', async () => {
    const c = await RawConn.connect(n.socketPath);
    for (const ch of '{"command":"ping","target":"localhost"}\n') {
      c.send(ch);
      await new Promise((r) => setImmediate(r));
    }
    const reply = (await c.readJson()) as { Success: boolean };
    expect(reply.Success).toBe(true);
    c.close();
  });

  it('control - ping localhost and self succeed, unknown nodes fail as JSON', async () => {
    const lines = await exchange(
      n.socketPath,
      'ping localhost\nping foo\nping bar\n{"command":"ping"}\n{"command":"ping","target":3}\nping\n',
    );
    const ok = JSON.parse(lines[0]!) as { From: string; Success: boolean; Time: number; TimeStr: string };
    expect(Object.keys(ok)).toEqual(['From', 'Success', 'Time', 'TimeStr']);
    expect(ok.From).toBe('foo');
    expect(ok.Success).toBe(true);
    expect(Number.isInteger(ok.Time)).toBe(true);
    expect(ok.TimeStr).toMatch(/^[\d.]+(ns|µs|ms|s)$/);
    expect(JSON.parse(lines[1]!)).toMatchObject({ From: 'foo', Success: true });
    expect(lines.slice(2)).toEqual([
      '{"Error":"no route to node","Success":false}',
      'ERROR: no ping target',
      'ERROR: ping target must be string',
      'ERROR: no ping target',
    ]);
  });

  it('control - traceroute to self has hop 0; to an unknown node hop 1 carries the error', async () => {
    const lines = await exchange(n.socketPath, 'traceroute localhost\n{"command":"traceroute","target":"bar"}\ntraceroute\n');
    const self = JSON.parse(lines[0]!) as Record<string, { From: string }>;
    expect(Object.keys(self)).toEqual(['0']);
    expect(self['0']!.From).toBe('foo');
    expect(lines[1]).toMatch(
      /^\{"0":\{"From":"foo","Time":\d+,"TimeStr":"[^"]+"\},"1":\{"Error":"no route to node","From":"foo","Time":\d+,"TimeStr":"[^"]+"\}\}$/,
    );
    expect(lines[2]).toBe('ERROR: no traceroute target');
  });

  it('control - connect localhost control opens a second session', async () => {
    const lines = await exchange(n.socketPath, 'connect localhost control\n{"command":"status","requested_fields":["NodeID"]}\n');
    expect(lines).toEqual(['Connecting', 'Receptor Control, node foo', '{"NodeID":"foo"}']);
  });

  it('control - connect errors', async () => {
    const lines = await exchange(
      n.socketPath,
      'connect localhost nosvc\nconnect a\nconnect a b c d\nconnect localhost control x\nconnect bar control\n{"command":"connect","node":"foo"}\n{"command":"connect","node":"foo","service":"control","tls":1}\n',
    );
    expect(lines).toEqual([
      'ERROR: service unknown',
      'ERROR: no connect target',
      'ERROR: too many parameters',
      'ERROR: unknown TLS config x',
      'ERROR: no route to node',
      'ERROR: no connect target service',
      'ERROR: connect tls name must be string',
    ]);
  });

  it('control - the TCP listener speaks the same protocol', async () => {
    expect(n.tcpAddress).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const lines = await exchange(n.tcpAddress!, '{"command":"status","requested_fields":["NodeID"]}\nping localhost\n');
    expect(lines[0]).toBe('{"NodeID":"foo"}');
    expect(JSON.parse(lines[1]!)).toMatchObject({ Success: true, From: 'foo' });
  });

  it('control - many sessions at once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => exchange(n.socketPath, '{"command":"status","requested_fields":["NodeID"]}\n')),
    );
    for (const r of replies) expect(r).toEqual(['{"NodeID":"foo"}']);
  });
});

describe('control service reload', () => {
  it('control - reload of an unchanged file succeeds', async () => {
    expect(await exchange(n.socketPath, 'reload\n')).toEqual(['{"Success":true}']);
  });

  it('control - reload reports ERRORCODE 3 for changed sections and 4 for a broken file, then recovers', async () => {
    const original = await readFile(n.configPath, 'utf8');
    try {
      await writeFile(n.configPath, original + '- work-command:\n    worktype: extra\n    command: cat\n');
      expect(await exchange(n.socketPath, 'reload\n')).toEqual([
        `{"Error":"a non-reloadable config action 'work-command' was modified or added. Must restart receptor for these changes to take effect ERRORCODE 3","Success":false}`,
      ]);
      await writeFile(n.configPath, original.replace(/- work-command:\n {4}worktype: "echo"[\s\S]*$/, ''));
      expect(await exchange(n.socketPath, '{"command":"reload"}\n')).toEqual([
        `{"Error":"a non-reloadable config action 'work-command' was removed. Must restart receptor for changes to take effect ERRORCODE 3","Success":false}`,
      ]);
      await writeFile(n.configPath, original + '- bogus-section\n');
      const [line] = await exchange(n.socketPath, 'reload\n');
      const r = JSON.parse(line!) as { Error: string; Success: boolean };
      expect(r.Success).toBe(false);
      expect(r.Error).toMatch(/entry #\d+ \(bogus-section\): unknown section 'bogus-section' ERRORCODE 4$/);
    } finally {
      await writeFile(n.configPath, original);
    }
    expect(await exchange(n.socketPath, 'reload\n')).toEqual(['{"Success":true}']);
  });
});
