// The import graph of src/, read from the real files: no circle of any kind (runtime, type-only or dynamic), and
// dependencies point down (docs/architecture.md). Issue 11 found `commands/demo/run.ts` → `cli/main` → `program`
// → `define/external` → `demo/run`: src/cli sat both above and below src/commands.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findCycles, importGraph, importsOf } from '../../helpers/import-graph.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

describe('imports - src/', () => {
  const graph = importGraph(SRC);

  it('imports - the graph covers the tree (every area is read)', () => {
    const areas = new Set([...graph.keys()].map((f) => f.split('/')[0]));
    for (const a of ['cli', 'cmdutil', 'commands', 'client', 'protocol', 'transport', 'render', 'node', 'certs', 'config', 'testing']) {
      expect(areas, a).toContain(a);
    }
    // Lazy command loading is seen: the tree imports its verbs with import().
    expect(graph.get('cli/define/mesh.ts')?.filter((e) => e.kind === 'dynamic').map((e) => e.to)).toContain('commands/status.ts');
  });

  it('imports - no import circle under src/, runtime, type-only or dynamic (issue 11: demo/run → cli/main → … → demo/run)', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  // Which areas each area may not import, of any kind (docs/architecture.md: dependencies point down; the node
  // sits beside the client and never imports the CLI).
  const FORBIDDEN: Record<string, string[]> = {
    cmdutil: ['cli', 'commands', 'testing'],
    commands: ['cli', 'testing'],
    cli: ['testing'],
    render: ['cli', 'cmdutil', 'commands', 'client', 'node', 'testing'],
    client: ['cli', 'cmdutil', 'commands', 'render', 'node', 'testing'],
    transport: ['cli', 'cmdutil', 'commands', 'render', 'node', 'testing'],
    protocol: ['cli', 'cmdutil', 'commands', 'render', 'node', 'testing'],
    node: ['cli', 'cmdutil', 'commands', 'render', 'testing'],
    certs: ['cli', 'cmdutil', 'commands', 'render', 'node', 'testing'],
    config: ['cli', 'cmdutil', 'commands', 'render', 'node', 'testing'],
    // meshctl/testing (issue 12) runs embedded nodes and talks to them with the client: it sits above src/node
    // and src/client, and nothing of the library or the CLI imports it (a test fixture never ships in a command).
    testing: ['cli', 'cmdutil', 'commands', 'render'],
  };

  it('imports - dependencies point down: the floor (cmdutil) never imports the commands or the CLI above it', () => {
    const wrong: string[] = [];
    for (const [file, edges] of graph) {
      const from = file.split('/')[0]!;
      for (const e of edges) {
        const to = e.to.split('/')[0]!;
        if (FORBIDDEN[from]?.includes(to)) wrong.push(`${file} →(${e.kind}) ${e.to}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('imports - the circle finder', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function tree(files: Record<string, string>): string {
    dir = mkdtempSync(join(tmpdir(), 'meshctl-imports-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  }

  it('imports - reads every kind of import the TypeScript parser knows', () => {
    const text = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "import { type C } from './c.js';",
      "import { type D, e } from './d.js';",
      "export { f } from './f.js';",
      "export type { G } from './g.js';",
      "export * from './h.js';",
      "import i = require('./i.js');",
      "const j = () => import('./j.js');",
      "let k: import('./k.js').K;",
      "import './l.js';",
      "import { x } from 'commander';",
    ].join('\n');
    expect(importsOf('t.ts', text)).toEqual([
      { specifier: './a.js', kind: 'static' },
      { specifier: './b.js', kind: 'type' },
      { specifier: './c.js', kind: 'type' },
      { specifier: './d.js', kind: 'static' },
      { specifier: './f.js', kind: 'export' },
      { specifier: './g.js', kind: 'type' },
      { specifier: './h.js', kind: 'export' },
      { specifier: './i.js', kind: 'require' },
      { specifier: './j.js', kind: 'dynamic' },
      { specifier: './k.js', kind: 'type' },
      { specifier: './l.js', kind: 'static' },
      { specifier: 'commander', kind: 'static' },
    ]);
  });

  it('imports - finds a circle closed by a type-only import, and one closed by a dynamic import()', () => {
    const root = tree({
      'a/one.ts': "import { two } from '../b/two.js';\nexport const one = two;\n",
      'b/two.ts': "import type { Three } from './three.js';\nexport const two = 2 as unknown as Three;\n",
      'b/three.ts': "import type { one } from '../a/one.js';\nexport type Three = typeof one;\n",
      'c/lazy.ts': "export const load = () => import('./main.js');\n",
      'c/main.ts': "import { load } from './lazy.js';\nexport const main = load;\n",
      'd/alone.ts': "import { one } from '../a/one.js';\nexport const alone = one;\n",
      'e/index.ts': "export const e = 1;\n",
      'e/user.ts': "import { e } from './index.js';\nimport { e as again } from '../e/index.js';\nexport const u = e + again;\n",
    });
    const cycles = findCycles(importGraph(root));
    expect(cycles).toHaveLength(2);
    expect(cycles).toContain('a/one.ts →(static) b/two.ts →(type) b/three.ts →(type) a/one.ts');
    expect(cycles).toContain('c/lazy.ts →(dynamic) c/main.ts →(static) c/lazy.ts');
  });

  it('imports - a file importing itself is a circle; an unresolvable relative import is an error', () => {
    expect(findCycles(importGraph(tree({ 'self.ts': "export type T = import('./self.js').U;\nexport type U = 1;\n" })))).toEqual([
      'self.ts →(type) self.ts',
    ]);
    rmSync(dir!, { recursive: true, force: true });
    expect(() => importGraph(tree({ 'x.ts': "import { y } from './missing.js';\n" }))).toThrow("x.ts: cannot resolve import './missing.js'");
  });
});
