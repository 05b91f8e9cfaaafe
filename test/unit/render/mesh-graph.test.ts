// The `mesh graph` views on real status replies (test/fixtures/mesh-graph: receptor 1.6.5 and meshctl's demo mesh)
// and on node IDs chosen to break DOT and Mermaid. DOT and Mermaid are read back with small parsers written here
// (never with the code under test), so the checks are on what a reader of the file gets: the same IDs, the same
// links, no statement injected.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { meshTopology, type MeshTopology } from '../../../src/protocol/mesh-topology.js';
import type { Status } from '../../../src/protocol/types.js';
import { printable } from '../../../src/printable.js';
import { renderDot, renderMermaid, renderMeshTree } from '../../../src/render/mesh-graph.js';
import { prepareStyles, renderContext } from '../../../src/render/style.js';

beforeAll(() => prepareStyles(true));

const FIXTURES = join(import.meta.dirname, '../../fixtures/mesh-graph');
const topo = (name: string): MeshTopology => meshTopology(JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Status);

// Node IDs that would end a quoted string, start a DOT escString or a Mermaid entity/markup, are Mermaid
// keywords, or are terminal controls. Receptor takes any of these as a node ID.
const HOSTILE = ['a"b', 'back\\slash', 'new\nline', 'end', 'x|y#z<b>&', '\x1b[31mred', '[]{}();--', 'lbl\\N\\"', 'graph', 'n0', '#quot;', 'ünï'];
function hostile(): MeshTopology {
  const known: Record<string, Record<string, number>> = { root: {} };
  for (const id of HOSTILE) {
    known.root![id] = 1;
    known[id] = { root: 1 };
  }
  known['a"b']!['end'] = 3;
  known['end']!['a"b'] = 3;
  return meshTopology({ NodeID: 'root', KnownConnectionCosts: known, RoutingTable: Object.fromEntries(HOSTILE.map((i) => [i, i])) });
}

// ---- a reader of DOT as graphviz reads it: double-quoted strings where only \" is an escape ---------------
type DotToken = { q: string } | { w: string };
function dotTokens(text: string): DotToken[] {
  const out: DotToken[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) i++;
    else if (text.startsWith('//', i)) i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (ch === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated DOT string');
        if (text[i] === '\\' && text[i + 1] === '"') {
          s += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else s += text[i++];
      }
      out.push({ q: s });
    } else if (text.startsWith('--', i)) {
      out.push({ w: '--' });
      i += 2;
    } else if (/[\w.#]/.test(ch)) {
      const m = /^[\w.#]+/.exec(text.slice(i))![0];
      out.push({ w: m });
      i += m.length;
    } else {
      out.push({ w: ch });
      i++;
    }
  }
  return out;
}

/** Statements of the graph body: node statements (name + attrs) and edges (a -- b + attrs). */
function readDot(text: string): { nodes: Map<string, Record<string, string>>; edges: { a: string; b: string; attrs: Record<string, string> }[] } {
  const t = dotTokens(text);
  const word = (k: number) => ('w' in t[k]! ? (t[k] as { w: string }).w : undefined);
  expect([word(0), word(1), word(2)]).toEqual(['graph', 'mesh', '{']);
  expect(word(t.length - 1)).toBe('}');
  const nodes = new Map<string, Record<string, string>>();
  const edges: { a: string; b: string; attrs: Record<string, string> }[] = [];
  const value = (k: number) => (t[k] && 'q' in t[k]! ? t[k]!.q : word(k)!);
  let k = 3;
  const attrs = (): Record<string, string> => {
    const a: Record<string, string> = {};
    expect(word(k)).toBe('[');
    k++;
    while (word(k) !== ']') {
      const key = word(k)!;
      expect(word(k + 1)).toBe('=');
      a[key] = value(k + 2);
      k += 3;
      if (word(k) === ',') k++;
    }
    k++;
    return a;
  };
  while (k < t.length - 1) {
    const head = t[k]!;
    if ('w' in head && ['graph', 'node', 'edge'].includes(head.w)) {
      k++;
      attrs();
    } else {
      expect('q' in head, `statement ${k} starts with a quoted name`).toBe(true);
      const a = (head as { q: string }).q;
      k++;
      if (word(k) === '--') {
        const b = (t[k + 1] as { q: string }).q;
        k += 2;
        edges.push({ a, b, attrs: attrs() });
      } else nodes.set(a, attrs());
    }
    expect(word(k)).toBe(';');
    k++;
  }
  return { nodes, edges };
}

/** The escapes meshctl's DOT names use: doubled backslashes, then printable()'s Go-style escapes. */
function unescapeName(s: string): string {
  const named: Record<string, string> = { a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', '\\': '\\' };
  return s.replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|.)/g, (_, e: string) => (e.length > 1 ? String.fromCharCode(parseInt(e.slice(1), 16)) : named[e] ?? `\\${e}`));
}

/** A DOT label as graphviz draws it: `\n` is a line break, `\\` a backslash. */
function drawnLabel(s: string): string[] {
  return s
    .replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    .split('\n');
}

// ---- a reader of the Mermaid lines meshctl writes ------------------------------------------------------------
function readMermaid(text: string): { labels: Map<string, string[]>; edges: { a: string; b: string; style: string; label: string }[] } {
  const lines = text.trimEnd().split('\n');
  expect(lines[0]).toBe('flowchart TD');
  const labels = new Map<string, string[]>();
  const edges: { a: string; b: string; style: string; label: string }[] = [];
  const decode = (s: string) => s.replace(/#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
  for (const line of lines.slice(1)) {
    let m: RegExpExecArray | null;
    if ((m = /^ {2}(n\d+)\["([^"]*)"\]$/.exec(line))) {
      // Outside entities, only characters with no meaning in a Mermaid label.
      expect(m[2]!.replace(/#\d+;/g, '').replace(/<br\/>/g, '')).toMatch(/^[A-Za-z0-9 .\-_@:,+=/·]*$/);
      labels.set(m[1]!, m[2]!.split('<br/>').map(decode));
    } else if ((m = /^ {2}(n\d+) (---|-\.-)\|"([^"]*)"\| (n\d+)$/.exec(line))) {
      edges.push({ a: m[1]!, b: m[4]!, style: m[2]!, label: decode(m[3]!) });
    } else expect(line).toMatch(/^ {2}(%%.*|classDef \w+ [\w:#,\-. ]+|class (n\d+,)*n\d+ \w+|style n\d+ [\w:-]+)$/);
  }
  for (const e of edges) expect([labels.has(e.a), labels.has(e.b)]).toEqual([true, true]);
  return { labels, edges };
}

describe('render mesh graph', () => {
  it('render mesh graph - tree on a terminal: from the local node, costs, route costs, roles and the extra link (receptor mesh)', () => {
    expect(renderMeshTree(topo('receptor-1.6.5-triangle.json'), renderContext(true, false))).toBe(
      [
        'ctl.example.com  (local node)  control',
        '└── hop-1.dc  (cost 1)  control',
        '    └── exec_1@east:a  (cost 2, route 3)  executor: cat, echo · control',
        '',
        'Other links (not on a route from the local node):',
        '  ctl.example.com ── exec_1@east:a  (cost 5)',
        '',
      ].join('\n'),
    );
    expect(renderMeshTree(topo('receptor-1.6.5-hop-without-control.json'), renderContext(true, false))).toContain('└── hop-1.dc  (cost 1)  hop\n');
  });

  it('render mesh graph - tree on a terminal: the demo mesh', () => {
    expect(renderMeshTree(topo('demo-mesh.json'), renderContext(true, false))).toBe(
      [
        'controller  (local node)  control',
        '└── hop  (cost 1)  control',
        '    └── executor  (cost 1, route 2)  executor: echo, line-count · control',
        '',
      ].join('\n'),
    );
  });

  it('render mesh graph - colour only when asked for: roles coloured, IDs bold; the text is the same without the escapes', () => {
    const t = topo('receptor-1.6.5-triangle.json');
    const coloured = renderMeshTree(t, renderContext(true, true));
    expect(coloured).toContain('\x1b[32mexecutor\x1b[39m');
    expect(coloured).toContain('\x1b[36mcontrol\x1b[39m');
    expect(coloured).toContain('\x1b[1mhop-1.dc\x1b[22m');
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(renderMeshTree(t, renderContext(true, false)));
    expect(renderMeshTree(t, renderContext(true, false))).not.toContain('\x1b');
  });

  it('render mesh graph - piped: one node record per line in tree order, then the links, tab-separated, no colour', () => {
    expect(renderMeshTree(topo('receptor-1.6.5-triangle.json'), renderContext(false, false))).toBe(
      [
        'node\tctl.example.com\t-\t-\t0\tcontrol\t-',
        'node\thop-1.dc\tctl.example.com\t1\t1\tcontrol\t-',
        'node\texec_1@east:a\thop-1.dc\t2\t3\texecutor,control\tcat,echo',
        'link\tctl.example.com\thop-1.dc\t1\ttree',
        'link\thop-1.dc\texec_1@east:a\t2\ttree',
        'link\tctl.example.com\texec_1@east:a\t5\textra',
        '',
      ].join('\n'),
    );
  });

  it('render mesh graph - unreachable nodes and asymmetric costs are shown as such', () => {
    const t = meshTopology({
      NodeID: 'a',
      KnownConnectionCosts: { a: { b: 1 }, b: { a: 2 }, y: { z: 1 }, z: { y: 1 } },
      RoutingTable: { b: 'b' },
    });
    const tty = renderMeshTree(t, renderContext(true, false));
    expect(tty).toContain('└── b  (cost 1/2)  hop\n');
    expect(tty).toContain('Known but unreachable from the local node:\n  y  hop\n  z  hop\n');
    expect(tty).toContain('  y ── z  (cost 1)\n');
    expect(renderMeshTree(t, renderContext(false, false))).toContain('node\ty\t-\t-\t-\thop\t-\n');
  });

  it('render mesh graph - hostile node IDs: escaped on a terminal and piped, never raw control characters', () => {
    const t = hostile();
    for (const out of [renderMeshTree(t, renderContext(true, false)), renderMeshTree(t, renderContext(false, false))]) {
      expect(out).not.toContain('\x1b');
      expect(out).toContain('\\x1b[31mred');
      expect(out).toContain('new\\nline');
    }
  });

  it('render mesh graph - dot: one statement per node and per link, costs as edge labels, extra links dashed (receptor mesh)', () => {
    const dot = renderDot(topo('receptor-1.6.5-triangle.json'));
    const g = readDot(dot);
    expect([...g.nodes.keys()]).toEqual(['ctl.example.com', 'hop-1.dc', 'exec_1@east:a']);
    expect(drawnLabel(g.nodes.get('exec_1@east:a')!.label!)).toEqual(['exec_1@east:a', 'executor: cat, echo · control']);
    expect(g.nodes.get('ctl.example.com')!.penwidth).toBe('2');
    expect(g.edges.map((e) => [e.a, e.b, e.attrs.label, e.attrs.style ?? 'solid'])).toEqual([
      ['ctl.example.com', 'hop-1.dc', '1', 'solid'],
      ['hop-1.dc', 'exec_1@east:a', '2', 'solid'],
      ['ctl.example.com', 'exec_1@east:a', '5', 'dashed'],
    ]);
  });

  it('render mesh graph - dot: hostile IDs stay distinct names that decode to the IDs, labels draw them escaped, nothing injected', () => {
    const t = hostile();
    const dot = renderDot(t);
    // eslint-disable-next-line no-control-regex
    expect(dot).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    const g = readDot(dot);
    expect(g.nodes.size).toBe(t.nodes.length);
    expect([...g.nodes.keys()].map(unescapeName)).toEqual(t.nodes.map((n) => n.id));
    expect(g.edges).toHaveLength(t.links.length);
    for (const e of g.edges) expect([g.nodes.has(e.a), g.nodes.has(e.b)]).toEqual([true, true]);
    const label = (id: string) => drawnLabel(g.nodes.get([...g.nodes.keys()].find((k) => unescapeName(k) === id)!)!.label!)[0];
    expect(label('a"b')).toBe('a"b');
    expect(label('back\\slash')).toBe('back\\slash');
    expect(label('lbl\\N\\"')).toBe('lbl\\N\\"');
    expect(label('new\nline')).toBe('new\\nline');
    expect(label('\x1b[31mred')).toBe('\\x1b[31mred');
  });

  it('render mesh graph - mermaid: nodes n0.. labelled with the IDs and roles, links with costs, extra links dotted (demo and receptor)', () => {
    const demo = readMermaid(renderMermaid(topo('demo-mesh.json')));
    expect([...demo.labels.values()]).toEqual([
      ['controller', 'control'],
      ['hop', 'control'],
      ['executor', 'executor: echo, line-count · control'],
    ]);
    expect(demo.edges).toEqual([
      { a: 'n0', b: 'n1', style: '---', label: '1' },
      { a: 'n1', b: 'n2', style: '---', label: '1' },
    ]);
    const rx = readMermaid(renderMermaid(topo('receptor-1.6.5-triangle.json')));
    expect(rx.edges.map((e) => [rx.labels.get(e.a)![0], rx.labels.get(e.b)![0], e.style, e.label])).toEqual([
      ['ctl.example.com', 'hop-1.dc', '---', '1'],
      ['hop-1.dc', 'exec_1@east:a', '---', '2'],
      ['ctl.example.com', 'exec_1@east:a', '-.-', '5'],
    ]);
  });

  it('render mesh graph - mermaid: hostile IDs become entity codes inside labels and decode back to the IDs', () => {
    const t = hostile();
    const text = renderMermaid(t);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    const m = readMermaid(text);
    // What a terminal shows: control characters as visible escapes, everything else as it is.
    expect([...m.labels.values()].map((l) => l[0])).toEqual(t.nodes.map((n) => printable(n.id)));
    expect([...m.labels.values()].map((l) => l[0])).toContain('\\x1b[31mred');
    expect([...m.labels.values()].map((l) => l[0])).toContain('new\\nline');
    expect(m.edges).toHaveLength(t.links.length);
    expect(m.edges.filter((e) => e.style === '-.-').map((e) => [m.labels.get(e.a)![0], m.labels.get(e.b)![0], e.label])).toEqual([['a"b', 'end', '3']]);
  });
});
