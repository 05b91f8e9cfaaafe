// `meshctl mesh graph` views of a MeshTopology (src/client/mesh-topology.ts): a tree drawn from the local node on
// a terminal, one record per line when piped (like `status`), and Graphviz DOT or Mermaid text for pictures.
// Node IDs and work types come from the mesh: on a terminal they are made printable() before styling; piped,
// tsv() does it; DOT and Mermaid write them through their own escapes, so no ID can end a string, open a label,
// inject a statement or reach the terminal raw (Receptor allows almost any text as a node ID).
import type { MeshLink, MeshNode, MeshTopology } from '../protocol/mesh-topology.js';
import { printable } from '../printable.js';
import type { RenderContext, Style } from './style.js';
import { tsv } from './table.js';

/** `1`, `2.5`: a cost as Go's JSON writes a float64 that holds it. */
export function costText(n: number): string {
  return String(n);
}

function linkCost(l: Pick<MeshLink, 'cost' | 'reverseCost'>): string {
  return l.reverseCost === undefined ? costText(l.cost) : `${costText(l.cost)}/${costText(l.reverseCost)}`;
}

function workTypeList(n: MeshNode): string {
  return n.workTypes.map((w) => (w.secure ? `${w.workType} (secure)` : w.workType)).join(', ');
}

/** The roles as words, with the work types after `executor`: `executor: cat, echo · control`. */
function rolesText(n: MeshNode, s: Style, show: (t: string) => string): string {
  return n.roles
    .map((r) => {
      if (r === 'executor') return `${s.green('executor')}: ${show(workTypeList(n))}`;
      if (r === 'control') return s.cyan('control');
      return s.yellow('hop');
    })
    .join(' · ');
}

export function renderMeshTree(t: MeshTopology, ctx: RenderContext): string {
  return ctx.tty ? renderTreeTty(t, ctx) : renderPiped(t);
}

function renderTreeTty(t: MeshTopology, ctx: RenderContext): string {
  const s = ctx.style;
  const text = (v: string) => printable(v);
  const byId = new Map(t.nodes.map((n) => [n.id, n]));
  const children = new Map<string, MeshNode[]>();
  for (const n of t.nodes) if (n.parent !== null) children.set(n.parent, [...(children.get(n.parent) ?? []), n]);
  const treeLink = new Map(t.links.filter((l) => l.tree).map((l) => [l.to, l]));
  const lines: string[] = [];
  const root = byId.get(t.root)!;
  lines.push(`${s.bold(text(root.id))}  ${s.dim('(local node)')}  ${rolesText(root, s, text)}`);
  const walk = (id: string, prefix: string) => {
    const kids = children.get(id) ?? [];
    kids.forEach((n, i) => {
      const last = i === kids.length - 1;
      const l = treeLink.get(n.id);
      const cost = l ? linkCost(l) : costText(n.cost ?? 0);
      const total = n.hops !== null && n.hops > 1 && n.pathCost !== null ? `, route ${costText(n.pathCost)}` : '';
      lines.push(`${prefix}${last ? '└── ' : '├── '}${s.bold(text(n.id))}  ${s.dim(`(cost ${cost}${total})`)}  ${rolesText(n, s, text)}`);
      walk(n.id, prefix + (last ? '    ' : '│   '));
    });
  };
  walk(t.root, '');

  const extra = t.links.filter((l) => !l.tree);
  if (extra.length) {
    lines.push('', s.bold('Other links (not on a route from the local node):'));
    for (const l of extra) lines.push(`  ${text(l.from)} ── ${text(l.to)}  ${s.dim(`(cost ${linkCost(l)})`)}`);
  }
  const unreachable = t.nodes.filter((n) => !n.reachable);
  if (unreachable.length) {
    lines.push('', s.bold('Known but unreachable from the local node:'));
    for (const n of unreachable) lines.push(`  ${s.red(text(n.id))}  ${rolesText(n, s, text)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Piped: `node ID PARENT COST ROUTE-COST ROLES WORK-TYPES` in tree order, then `link FROM TO COST tree|extra`;
 * `-` for nothing. Secure work types carry a `:secure` suffix.
 */
function renderPiped(t: MeshTopology): string {
  const dash = (v: string | number | null) => (v === null || v === '' ? '-' : v);
  const rows: unknown[][] = t.nodes.map((n) => [
    'node',
    n.id,
    dash(n.parent),
    dash(n.cost),
    dash(n.pathCost),
    n.roles.join(','),
    dash(n.workTypes.map((w) => (w.secure ? `${w.workType}:secure` : w.workType)).join(',')),
  ]);
  for (const l of t.links) rows.push(['link', l.from, l.to, linkCost(l), l.tree ? 'tree' : 'extra']);
  return tsv(rows);
}

// ---- Graphviz DOT -------------------------------------------------------------------------------------------

/**
 * A DOT double-quoted string. Inside one only `"` must be escaped (`\"`); a backslash starts an escString escape
 * in labels (`\n`, `\N`, `\G`...), so it is doubled; control characters become visible escapes (printable()) so the
 * file stays one statement per line and safe to cat. Injective: distinct IDs stay distinct names.
 */
export function dotString(s: string): string {
  return `"${printable(s.replace(/\\/g, '\\\\')).replace(/"/g, '\\"')}"`;
}

/**
 * Text for a DOT label: what a terminal would show (printable()), then its backslashes doubled so graphviz draws
 * them (in a label `\n`, `\N`, `\l` are escStrings) and `"` escaped. The caller joins lines with `\n`.
 */
export function dotLabelText(s: string): string {
  return printable(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

const DOT_FILL: Record<string, string> = { executor: '#d8f3dc', control: '#dbe9f6', hop: '#eeeeee' };

export function renderDot(t: MeshTopology): string {
  const out: string[] = [];
  out.push(`// meshctl mesh graph --format dot: the mesh as ${printable(t.root)} sees it.`);
  out.push('// Solid edges: the routes from the local node; dashed: other known links. Edge labels: link costs.');
  out.push('graph mesh {');
  out.push('  graph [rankdir=TB, fontname="Helvetica"];');
  out.push('  node [shape=box, style="rounded,filled", fontname="Helvetica"];');
  out.push('  edge [fontname="Helvetica"];');
  for (const n of t.nodes) {
    const label = [n.id, roleLine(n)].map(dotLabelText).join('\\n');
    const attrs = [`label="${label}"`, `fillcolor="${DOT_FILL[n.roles[0]!]}"`];
    if (n.id === t.root) attrs.push('penwidth=2');
    if (!n.reachable) attrs.push('style="rounded,dashed"');
    out.push(`  ${dotString(n.id)} [${attrs.join(', ')}];`);
  }
  for (const l of t.links) {
    const attrs = [`label="${linkCost(l)}"`];
    if (!l.tree) attrs.push('style=dashed', 'constraint=false');
    out.push(`  ${dotString(l.from)} -- ${dotString(l.to)} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}

/** `executor: cat, echo · control` without colour: the second line of a node's box. */
function roleLine(n: MeshNode): string {
  return n.roles.map((r) => (r === 'executor' ? `executor: ${workTypeList(n)}` : r)).join(' · ');
}

// ---- Mermaid ------------------------------------------------------------------------------------------------

/**
 * Text for a Mermaid `"..."` label. Mermaid reads `#name;` / `#123;` entity codes in labels; every character
 * outside a plain set is written as one, so `"`, `#`, `<`, `|`, backticks, brackets and control characters cannot
 * close the label or be read as markup. Node IDs in the chart are `n0`, `n1`, ... (Mermaid's own IDs are a
 * restricted syntax with keywords such as `end`), the real ID being the label.
 */
export function mermaidText(s: string): string {
  let out = '';
  // printable() first: a control character shows as its visible escape (`\x1b`), as on a terminal and in DOT.
  for (const ch of printable(s)) out += /[A-Za-z0-9 .\-_@:,+=/·]/.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  return out;
}

export function renderMermaid(t: MeshTopology): string {
  const key = new Map(t.nodes.map((n, i) => [n.id, `n${i}`]));
  const out: string[] = [];
  out.push('flowchart TD');
  out.push(`  %% meshctl mesh graph --format mermaid: the mesh as ${mermaidText(t.root)} sees it.`);
  out.push('  %% Solid edges: the routes from the local node; dotted: other known links. Edge labels: link costs.');
  for (const n of t.nodes) out.push(`  ${key.get(n.id)}["${mermaidText(n.id)}<br/>${mermaidText(roleLine(n))}"]`);
  for (const l of t.links) {
    const arrow = l.tree ? '---' : '-.-';
    out.push(`  ${key.get(l.from)} ${arrow}|"${mermaidText(linkCost(l))}"| ${key.get(l.to)}`);
  }
  out.push('  classDef executor fill:#d8f3dc,stroke:#2d6a4f');
  out.push('  classDef control fill:#dbe9f6,stroke:#1d3557');
  out.push('  classDef hop fill:#eeeeee,stroke:#555555');
  for (const cls of ['executor', 'control', 'hop'] as const) {
    const ids = t.nodes.filter((n) => n.roles[0] === cls).map((n) => key.get(n.id));
    if (ids.length) out.push(`  class ${ids.join(',')} ${cls}`);
  }
  const lost = t.nodes.filter((n) => !n.reachable).map((n) => key.get(n.id));
  if (lost.length) out.push('  classDef unreachable stroke-dasharray:4 3', `  class ${lost.join(',')} unreachable`);
  out.push(`  style ${key.get(t.root)} stroke-width:3px`);
  return out.join('\n') + '\n';
}
