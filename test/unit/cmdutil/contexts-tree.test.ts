// The contexts file's quick reader (src/cmdutil/contexts/tree.ts) must never disagree with the yaml package: on
// every document it accepts, the tree (keys, values and their types, line numbers) is the one yaml gives. It exists
// so that commands do not load yaml (~22 ms) to read the file meshctl itself writes.
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { quickTree, YamlSyntaxError, yamlTree } from '../../../src/cmdutil/contexts/tree.js';

const WRITTEN = `# meshctl contexts (meshctl config --help); flags and environment variables override them

contexts:
  prod:
    socket: tls://mesh.example.com:27199
    rootcas: /etc/meshctl/ca.pem
    cert: /etc/meshctl/client.crt
    key: /etc/meshctl/client.key
    insecureskipverify: true
    timeout: 5s
  lab:
    socket: /var/run/receptor/receptor.sock # the lab node
  empty: {}
current-context: prod
`;

describe('contexts tree', () => {
  it('contexts tree - the file set-context writes is read without the yaml package, exactly as yaml reads it', async () => {
    const q = quickTree(WRITTEN);
    expect(q).toBeDefined();
    expect(q).toEqual(await yamlTree(WRITTEN));
    const ctx = q!.kind === 'map' ? q!.entries.get('contexts') : undefined;
    expect(ctx?.line).toBe(3);
    const prod = ctx?.value.kind === 'map' ? ctx.value.entries.get('prod') : undefined;
    expect(prod?.value.kind === 'map' && prod.value.entries.get('insecureskipverify')?.value).toEqual({ kind: 'scalar', line: 9, value: true });
  });

  it('contexts tree - an empty file or one of comments only is an empty map for both readers', async () => {
    for (const text of ['', '\n\n', '# nothing here\n  # still nothing\n']) {
      expect(quickTree(text)).toEqual({ kind: 'map', line: 1, entries: new Map() });
      expect(await yamlTree(text)).toEqual(quickTree(text));
    }
  });

  it('contexts tree - the quick reader leaves everything outside its subset to yaml', () => {
    const refused = [
      'a: "quoted"\n', // quotes
      "a: 'quoted'\n",
      'a: [x, y]\n', // flow style
      'a: {b: c}\n',
      'a:\n- x\n', // sequences
      'a:\n  - x\n',
      'a:\n', // a key left empty is null
      'a:\nb: c\n',
      'a: null\n',
      'a: ~\n',
      'a: 5\n', // numbers
      'a: 1.5\n',
      'a: 1e3\n',
      'a: 0x1f\n',
      'a: .inf\n',
      'a: .NaN\n',
      'a: x y\n', // spaces in a value
      'a: x#y\n',
      'a: x\na: y\n', // duplicate key
      'a: b:\n',
      'true: x\n', // a key that is not a string
      'null: x\n',
      '"a": x\n',
      'a:\tx\n', // tabs, CR, non-ASCII
      'a: x\r\n',
      'a: café\n',
      '---\na: x\n', // document markers, directives
      '%YAML 1.2\n---\na: x\n',
      'a: &anchor x\n',
      'a: *alias\n',
      'a: |\n  text\n',
      '  a: x\n', // indented root
      'a:\n    b: x\n  c: y\n', // a dedent to a column no map is at
      'a: x\n  b: y\n',
    ];
    for (const text of refused) expect(quickTree(text), JSON.stringify(text)).toBeUndefined();
  });

  it('contexts tree - yaml syntax errors carry the line', async () => {
    const e = await yamlTree('contexts:\n  a:\n    socket: /x\n  a:\n    socket: /y\n').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(YamlSyntaxError);
    expect(e).toMatchObject({ line: 4, message: 'map keys must be unique' });
    const q = await yamlTree('contexts:\n  a: [\n').catch((x: unknown) => x);
    expect(q).toBeInstanceOf(YamlSyntaxError);
    expect((q as YamlSyntaxError).line).toBeGreaterThanOrEqual(2);
  });

  it('contexts tree - on 5000 generated documents, whatever the quick reader accepts, yaml reads the same', async () => {
    // Seeded PRNG (mulberry32) so a failure replays.
    let seed = 0x5eed1e;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const KEYS = ['socket', 'rootcas', 'contexts', 'current-context', 'prod', 'a.b', 'x_y', 'n@host', 'k/v', 'True', 'yes', 'no', 'on', 'Null', 'e5', 'inf', 'a', 'a'];
    const VALUES = [
      'tls://h:1', '/a/b.pem', '~/x', '~', 'unix:/x', '5s', '1m30s', '5', '05', '1e5', '0x1F', '0o17', '1.2.3', '.5', '.inf', '.Inf', '.nan',
      'true', 'True', 'TRUE', 'tRue', 'false', 'yes', 'No', 'on', 'null', 'NULL', 'nUll', 'a:b', 'a:', 'x,y', 'x=y', 'a%20b', 'a@b',
      '_', '.', './x', '..', '+1', 'a-b', '{}', 'x-', '-', 'v1.6.5', '127.0.0.1', '::1', '2001:db8::1', '1:2:3',
    ];
    let accepted = 0;
    const total = 5000;
    for (let n = 0; n < total; n++) {
      const lines: string[] = [];
      const count = 1 + Math.floor(rand() * 8);
      let indent = 0;
      for (let i = 0; i < count; i++) {
        const r = rand();
        if (r < 0.1) {
          lines.push(pick(['', '# c', '   # c', '  ']));
          continue;
        }
        if (r < 0.3) indent = pick([0, 0, 2, 4, indent, indent + 2, indent + 1]);
        const key = pick(KEYS);
        const end = pick(['', '', ' # note', ' ', '  #x']);
        if (rand() < 0.35) {
          lines.push(`${' '.repeat(indent)}${key}:${end}`);
          indent += pick([2, 2, 4, 1]);
        } else {
          lines.push(`${' '.repeat(indent)}${key}: ${pick(VALUES)}${end}`);
        }
      }
      const text = lines.join('\n') + pick(['\n', '']);
      const q = quickTree(text);
      if (q === undefined) continue;
      accepted++;
      expect(parseDocument(text).errors, text).toEqual([]);
      expect(await yamlTree(text), text).toEqual(q);
    }
    // The generator must exercise the quick reader, or this test proves nothing.
    expect(accepted).toBeGreaterThan(total / 10);
  });
});
