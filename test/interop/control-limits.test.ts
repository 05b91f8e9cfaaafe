// Hostile JSON, side by side: the same request bytes sent to receptor 1.6.5 and to `meshctl node` (same node
// ID, same config) must get the same reply bytes. Covers keys and commands named like Object.prototype
// members (meshctl answered `ERROR: get is not a function` for `requested_fields: ["__proto__"]`), nesting
// around Go's limit of 10000 (200,000 levels closed meshctl's session with no reply), numbers out of
// float64 range, and invalid UTF-8 in strings (Go's one U+FFFD per bad byte).
// The size bounds of docs/node.md ("Limits") are meshctl's own (receptor has none) and are tested in
// test/integration/node/control-limits.test.ts.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeers, startMeshctlNode, startReceptor, type RunningReceptor } from '../helpers/receptor.js';

/** Sends `input` on a fresh connection, half-closes, and returns everything after the greeting. */
function exchangeBytes(socketPath: string, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socketPath, allowHalfOpen: true });
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no end of stream within 60 s; got ${Buffer.concat(parts).toString().slice(0, 300)}`));
    }, 60_000);
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(parts);
      resolve(all.subarray(all.indexOf(0x0a) + 1));
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('connect', () => s.end(input));
  });
}

const nested = (levels: number, bracket: '[' | '{"a":'): string => {
  const close = bracket === '[' ? ']' : '}';
  return '{"command":"status","requested_fields":["NodeID"],"x":' + bracket.repeat(levels - 1) + (bracket === '[' ? '' : '1') + close.repeat(levels - 1) + '}';
};

/** Request lines and what receptor 1.6.5 answers (checked live below). */
const CASES: { name: string; input: Buffer; expected: string }[] = [
  {
    name: 'requested_fields ["__proto__"]',
    input: Buffer.from('{"command":"status","requested_fields":["__proto__"]}\n'),
    expected: '{}\n',
  },
  {
    name: 'requested_fields named like Object.prototype members',
    input: Buffer.from('{"command":"status","requested_fields":["constructor","toString","hasOwnProperty","valueOf","NodeID"]}\n'),
    expected: '{"NodeID":"limits"}\n',
  },
  {
    name: 'a command only under a __proto__ key',
    input: Buffer.from('{"__proto__":{"command":"status"}}\n'),
    expected: 'ERROR: JSON did not contain a command\nERROR: Unknown command, \n',
  },
  {
    name: 'commands named like Object.prototype members',
    input: Buffer.from('{"command":"__proto__"}\n{"command":"constructor"}\ntoString\n__proto__ x\n'),
    expected: 'ERROR: Unknown command, __proto__\nERROR: Unknown command, constructor\nERROR: Unknown command, tostring\nERROR: Unknown command, __proto__\n',
  },
  {
    name: 'command parameters only under a __proto__ key',
    input: Buffer.from('{"command":"ping","__proto__":{"target":"localhost"}}\n{"command":"work","subcommand":"status","__proto__":{"unitid":"x"}}\n'),
    expected: 'ERROR: no ping target\nERROR: field unitid missing\n',
  },
  {
    name: 'nesting 200,000 deep',
    input: Buffer.from('{"command":"status","x":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}\n{"command":"status","requested_fields":["NodeID"]}\n'),
    expected: "ERROR: invalid character '[' exceeded max depth\nERROR: Unknown command, \n{\"NodeID\":\"limits\"}\n",
  },
  {
    name: 'nesting exactly 10000 deep (arrays) and 10001 deep (objects)',
    input: Buffer.from(nested(10000, '[') + '\n' + nested(10001, '{"a":') + '\n'),
    expected: '{"NodeID":"limits"}\n' + "ERROR: invalid character '{' exceeded max depth\nERROR: Unknown command, \n",
  },
  {
    name: 'a number out of float64 range',
    input: Buffer.from('{"command":"status","requested_fields":["NodeID"],"x":-1e400}\n'),
    expected: 'ERROR: json: cannot unmarshal number -1e400 into Go value of type float64\nERROR: Unknown command, \n',
  },
  {
    name: 'invalid UTF-8 and lone surrogates in a command name',
    input: Buffer.concat([Buffer.from('{"command":"a'), Buffer.from([0xe2, 0x82]), Buffer.from('b\\ud800c'), Buffer.from([0xff]), Buffer.from('"}\n')]),
    expected: 'ERROR: Unknown command, a\ufffd\ufffdb\ufffdc\ufffd\n',
  },
];

describe('hostile JSON: meshctl node and receptor answer alike', () => {
  let receptor: RunningReceptor;
  let meshctl: RunningReceptor;

  beforeAll(async () => {
    requirePeers();
    receptor = await startReceptor({ nodeId: 'limits', workCommands: [{ worktype: 'cat', command: 'cat' }] });
    meshctl = await startMeshctlNode({ nodeId: 'limits', workCommands: [{ worktype: 'cat', command: 'cat' }] });
  });

  afterAll(async () => {
    await Promise.all([receptor?.stop(), meshctl?.stop()]);
  });

  it('control limits interop - a unit named __proto__ is created and listed like any other', async () => {
    const submit = Buffer.from('{"command":"work","subcommand":"submit","node":"localhost","worktype":"cat","workUnitID":"__proto__","__proto__":"p"}\nhello');
    const [r1, m1] = await Promise.all([exchangeBytes(receptor.socketPath, submit), exchangeBytes(meshctl.socketPath, submit)]);
    expect(r1.toString()).toBe('Work unit created with ID __proto__. Send stdin data and EOF.\n{"result":"Job Started","unitid":"__proto__"}\n');
    expect(m1.toString()).toBe(r1.toString());
    const list = Buffer.from('{"command":"work","subcommand":"list"}\n');
    const expected = '{"__proto__":{"Detail":"exit status 0","ExtraData":null,"State":2,"StateName":"Succeeded","StdoutSize":5,"WorkType":"cat"}}\n';
    for (const socket of [receptor.socketPath, meshctl.socketPath]) {
      const deadline = Date.now() + 20_000;
      let got = '';
      while (Date.now() < deadline && (got = (await exchangeBytes(socket, list)).toString()) !== expected) await new Promise((r) => setTimeout(r, 100));
      expect(got).toBe(expected);
    }
    // A startpos string is parsed as a number ("x" fails with ParseInt's text); "hello" has nothing from byte 5.
    const results = Buffer.from(
      ['"5"', '"x"', '5'].map((p) => `{"command":"work","subcommand":"results","unitid":"__proto__","startpos":${p}}\n`).join(''),
    );
    const [r2, m2] = await Promise.all([exchangeBytes(receptor.socketPath, results), exchangeBytes(meshctl.socketPath, results)]);
    expect(r2.toString()).toBe(
      'Streaming results for work unit __proto__\nERROR: strconv.ParseInt: parsing "x": invalid syntax\nStreaming results for work unit __proto__\n',
    );
    expect(m2.toString()).toBe(r2.toString());
  });

  for (const c of CASES) {
    it(`control limits interop - ${c.name}`, async () => {
      const [fromReceptor, fromMeshctl] = await Promise.all([exchangeBytes(receptor.socketPath, c.input), exchangeBytes(meshctl.socketPath, c.input)]);
      expect(fromReceptor.toString('utf8')).toBe(c.expected);
      expect(fromMeshctl.equals(fromReceptor), `meshctl: ${JSON.stringify(fromMeshctl.toString('utf8').slice(0, 300))}`).toBe(true);
    });
  }
});
