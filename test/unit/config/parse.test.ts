// Receptor v1 YAML → typed config: entry forms, case-insensitive keys, Go-style value coercion, defaults
// from Receptor's struct tags, and one precise error per problem.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse.js';
import { coerceValue, parseGoInt } from '../../../src/config/coerce.js';
import { MeshctlError } from '../../../src/errors.js';

const parse = (text: string) => parseConfig(text, { file: 'receptor.yaml', hostname: 'testhost' });

function errorOf(text: string): MeshctlError {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof MeshctlError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('config parsing', () => {
  it('config - reads the sections the node supports, with defaults', () => {
    const cfg = parse(`
- node:
    id: foo
- log-level: debug
- local-only
- control-service:
    filename: /tmp/foo.sock
- control-service:
    service: ctl2
    tcplisten: "127.0.0.1:0"
    tcptls: srv
- tls-server:
    name: srv
    cert: /c.pem
    key: /k.pem
- work-command:
    workType: cat
    Command: cat
    ALLOWRUNTIMEPARAMS: yes
`);
    expect(cfg.node).toEqual({ id: 'foo', datadir: '/tmp/receptor' });
    expect(cfg.logLevel).toBe('debug');
    expect(cfg.localOnly).toBe(true);
    expect(cfg.controlServices.map(({ source: _s, ...c }) => c)).toEqual([
      { service: 'control', filename: '/tmp/foo.sock', permissions: 0o600, tls: '', tcplisten: '', tcptls: '' },
      { service: 'ctl2', filename: '', permissions: 0o600, tls: '', tcplisten: '127.0.0.1:0', tcptls: 'srv' },
    ]);
    const { source: _t, ...tls } = cfg.tlsServers[0]!;
    expect(tls).toEqual({
      name: 'srv',
      cert: '/c.pem',
      key: '/k.pem',
      requireclientcert: false,
      clientcas: '',
      pinnedclientcert: [],
      skipreceptornamescheck: false,
      mintls13: true,
    });
    const { source: _w, ...wc } = cfg.workCommands[0]!;
    expect(wc).toEqual({ worktype: 'cat', command: 'cat', params: '', allowruntimeparams: true, verifysignature: false });
    expect(cfg.entries.map((e) => [e.index, e.section, e.line])).toEqual([
      [1, 'node', 2],
      [2, 'log-level', 4],
      [3, 'local-only', 5],
      [4, 'control-service', 6],
      [5, 'control-service', 8],
      [6, 'tls-server', 12],
      [7, 'work-command', 16],
    ]);
  });

  it('config - bare values go to the section bare field', () => {
    const cfg = parse('- node: bar\n- log-level: Warning\n- work-signing: /k\n- work-verification: /p\n');
    expect(cfg.node.id).toBe('bar');
    expect(cfg.logLevel).toBe('warning');
    expect(cfg.workSigning).toEqual({ privatekey: '/k', tokenexpiration: '' });
    expect(cfg.workVerification).toEqual({ publickey: '/p' });
  });

  it('config - permissions: YAML 0600 and the string "0660" are octal, "0x1ff" hex', () => {
    const perms = (v: string): number =>
      parse(`- control-service:\n    filename: /x\n    permissions: ${v}\n`).controlServices[0]!.permissions;
    expect(perms('0600')).toBe(0o600);
    expect(perms('"0660"')).toBe(0o660);
    expect(perms('"0x1ff"')).toBe(0o777);
    expect(perms('420')).toBe(420);
  });

  it('config - the node id defaults to the host name', () => {
    expect(parse('- local-only\n').node.id).toBe('testhost');
    expect(() => parseConfig('- local-only\n', { hostname: 'localhost.localdomain' })).toThrow(
      'no node ID specified and local host name is localhost',
    );
  });

  it('config - mesh sections are typed', () => {
    const cfg = parse(`
- node: a
- tcp-listener:
    port: "2222"
    nodecost: '{"b": 2.5}'
- tcp-peer: host:2222
- ws-peer:
    address: wss://x/
    allowedpeers: '["b","c"]'
- tcp-server:
    port: 3333
    remotenode: b
    remoteservice: control
`);
    expect(cfg.mesh.tcpListeners[0]).toMatchObject({ port: 2222, bindaddr: '0.0.0.0', cost: 1, nodecost: { b: 2.5 } });
    expect(cfg.mesh.tcpPeers[0]).toMatchObject({ address: 'host:2222', redial: true, cost: 1 });
    expect(cfg.mesh.wsPeers[0]).toMatchObject({ address: 'wss://x/', allowedpeers: ['b', 'c'] });
    expect(cfg.mesh.tcpServers[0]).toMatchObject({ port: 3333, remotenode: 'b', remoteservice: 'control', bindaddr: '0.0.0.0' });
  });

  it('config - an empty file is an empty config', () => {
    const cfg = parse('');
    expect(cfg.entries).toEqual([]);
    expect(cfg.controlServices).toEqual([]);
  });

  it('config - list values: a YAML list, a JSON string, or one string appended', () => {
    const pins = (v: string): string[] =>
      parse(`- tls-server:\n    name: s\n    cert: c\n    key: k\n    pinnedclientcert: ${v}\n`).tlsServers[0]!.pinnedclientcert;
    expect(pins('[aa, bb]')).toEqual(['aa', 'bb']);
    expect(pins(`'["aa","bb"]'`)).toEqual(['aa', 'bb']);
    expect(pins('aa')).toEqual(['aa']);
  });
});

describe('config errors', () => {
  const cases: [string, string, string, Record<string, unknown>][] = [
    [
      'unknown key, with a suggestion',
      '- work-command:\n    worktype: a\n    comand: cat\n',
      "receptor.yaml:3: entry #1 (work-command): unknown key 'comand'",
      { entry: 1, section: 'work-command', key: 'comand', line: 3 },
    ],
    ['unknown section', '- local-only\n- nodes:\n    id: x\n', "receptor.yaml:2: entry #2 (nodes): unknown section 'nodes'", { entry: 2, section: 'nodes' }],
    ['upper-case section', '- Node:\n    id: x\n', "receptor.yaml:1: entry #1 (Node): unknown section 'Node'", { section: 'Node' }],
    [
      'bad value',
      '- control-service:\n    filename: /x\n    permissions: rw-r\n',
      'receptor.yaml:3: entry #1 (control-service): bad value for \'permissions\': strconv.ParseInt: parsing "rw-r": invalid syntax',
      { key: 'permissions' },
    ],
    [
      'bool from a number',
      '- work-command:\n    worktype: a\n    command: b\n    verifysignature: 2\n',
      "receptor.yaml:4: entry #1 (work-command): bad value for 'verifysignature': type error (expected bool)",
      { key: 'verifysignature' },
    ],
    ['missing required', '- tls-server:\n    name: s\n', 'receptor.yaml:1: entry #1 (tls-server): required parameters missing: cert, key', { section: 'tls-server' }],
    ['bare value not allowed', '- control-service: foo\n', "receptor.yaml:1: entry #1 (control-service): section 'control-service' does not take a bare value ('foo')", {}],
    ['null value', '- work-command:\n    worktype:\n    command: x\n', "receptor.yaml:2: entry #1 (work-command): bad value for 'worktype': value cannot be nil", { key: 'worktype' }],
    ['duplicate work type', '- work-command:\n    worktype: a\n    command: b\n- work-command:\n    worktype: a\n    command: c\n', 'receptor.yaml:4: entry #2 (work-command): work type a already registered', { entry: 2 }],
    ['bad token expiration', '- work-signing:\n    privatekey: /k\n    tokenexpiration: 5 minutes\n', "receptor.yaml:1: entry #1 (work-signing): failed to parse TokenExpiration -- valid examples include '1.5h', '30m', '30m10s'", { key: 'tokenexpiration' }],
    ['key of another section', '- node:\n    id: a\n    filename: x\n', "receptor.yaml:3: entry #1 (node): unknown key 'filename'", { key: 'filename' }],
    ['scalar entry of another type', '- 5\n', 'receptor.yaml:1: entry #1: an entry must be a section name or a one-key map', { entry: 1 }],
  ];
  for (const [name, text, message, data] of cases) {
    it(`config - ${name}`, () => {
      const err = errorOf(text);
      expect(err.code).toBe('EBADCONFIG');
      expect(err.message).toBe(message);
      expect(err.data).toMatchObject({ file: 'receptor.yaml', ...data });
      expect(err.exitCode).toBe(2);
    });
  }

  it('config - suggestions in hints', () => {
    expect(errorOf('- work-command:\n    worktype: a\n    comand: cat\n').hint).toMatch(/did you mean 'command'\?/);
    expect(errorOf('- Node:\n    id: x\n').hint).toBe("section names are lower case: write 'node'");
    expect(errorOf('- control-servce:\n    filename: x\n').hint).toBe("did you mean 'control-service'?");
  });
});

describe('config value coercion', () => {
  it('coerce - ints like strconv.ParseInt(s, 0, 64)', () => {
    expect(parseGoInt('0600')).toBe(384);
    expect(parseGoInt('0o17')).toBe(15);
    expect(parseGoInt('0b101')).toBe(5);
    expect(parseGoInt('-0x10')).toBe(-16);
    expect(parseGoInt('1_000')).toBe(1000);
    expect(parseGoInt('0')).toBe(0);
    expect(() => parseGoInt('08')).toThrow('strconv.ParseInt: parsing "08": invalid syntax');
    expect(() => parseGoInt('')).toThrow('invalid syntax');
    expect(() => parseGoInt('9223372036854775808')).toThrow('value out of range');
  });

  it('coerce - strings from numbers and booleans as Go formats them', () => {
    expect(coerceValue('string', 12)).toBe('12');
    expect(coerceValue('string', 1.5)).toBe('1.500000');
    expect(coerceValue('string', true)).toBe('true');
    expect(() => coerceValue('string', ['a'])).toThrow('type error (expected string)');
  });

  it('coerce - booleans accept cmdline spellings', () => {
    for (const t of ['1', 't', 'T', 'Y', 'true', 'TRUE', 'True', 'yes', 'Yes', 'YES']) expect(coerceValue('bool', t)).toBe(true);
    for (const f of ['0', 'f', 'F', 'N', 'false', 'FALSE', 'False', 'no', 'No', 'NO']) expect(coerceValue('bool', f)).toBe(false);
    expect(() => coerceValue('bool', 'y')).toThrow('could not parse y as boolean');
  });

  it('coerce - floats and maps', () => {
    expect(coerceValue('float', '2.5')).toBe(2.5);
    expect(coerceValue('float', 3)).toBe(3);
    expect(() => coerceValue('float', 'x')).toThrow('strconv.ParseFloat: parsing "x": invalid syntax');
    expect(coerceValue('floatMap', { a: 1 })).toEqual({ a: 1 });
    expect(() => coerceValue('floatMap', { a: 'x' })).toThrow('invalid value x: must be type float64');
  });
});
