// The import graph of a TypeScript source tree, read from the files themselves with the TypeScript parser: every
// `import` (type-only too), `export ... from`, `import x = require()`, dynamic `import()` and `import('x').T` type.
// Only relative specifiers are followed (packages and node: builtins are not part of the tree); `./x.js` resolves to
// `x.ts` (NodeNext spelling) or `x/index.ts`. Used by test/unit/architecture/imports.test.ts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Resolved target, relative to the root. */
  to: string;
  /** The specifier as written. */
  specifier: string;
  kind: 'static' | 'type' | 'dynamic' | 'export' | 'require';
}

/** File (relative to root, '/'-separated) → the files it imports. */
export type ImportGraph = Map<string, ImportEdge[]>;

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
}

/** Every import of `file`'s text, by kind, in source order. */
export function importsOf(fileName: string, text: string): { specifier: string; kind: ImportEdge['kind'] }[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: { specifier: string; kind: ImportEdge['kind'] }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, kind: typeOnly ? 'type' : 'static' });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, kind: node.isTypeOnly ? 'type' : 'export' });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({ specifier: node.moduleReference.expression.text, kind: 'require' });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) found.push({ specifier: arg.text, kind: 'dynamic' });
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) found.push({ specifier: arg.literal.text, kind: 'type' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

/**
 * The graph of every .ts file under `root`. A relative specifier that resolves to no file is an error (the graph
 * would silently miss an edge).
 */
export function importGraph(root: string): ImportGraph {
  const files: string[] = [];
  walk(root, files);
  const graph: ImportGraph = new Map();
  const rel = (p: string) => relative(root, p).split('\\').join('/');
  for (const file of files.sort()) {
    const edges: ImportEdge[] = [];
    for (const { specifier, kind } of importsOf(file, readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveSpecifier(file, specifier);
      if (!target) throw new Error(`${rel(file)}: cannot resolve import '${specifier}'`);
      edges.push({ to: rel(target), specifier, kind });
    }
    graph.set(rel(file), edges);
  }
  return graph;
}

/**
 * Every import circle, one per strongly connected component (Tarjan), each given as one concrete path
 * `a → b → ... → a` with the kind of each edge, so the message says which import to cut.
 */
export function findCycles(graph: ImportGraph): string[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const targets = (v: string) => (graph.get(v) ?? []).map((e) => e.to);

  // Iterative, so a deep tree cannot overflow the call stack.
  for (const start of graph.keys()) {
    if (idx.has(start)) continue;
    const work: { v: string; next: number }[] = [{ v: start, next: 0 }];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const frame = work[work.length - 1]!;
      const outs = targets(frame.v);
      if (frame.next < outs.length) {
        const w = outs[frame.next++]!;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v)!, idx.get(w)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(frame.v)!));
      if (low.get(frame.v) === idx.get(frame.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.v);
        const selfLoop = comp.length === 1 && targets(comp[0]!).includes(comp[0]!);
        if (comp.length > 1 || selfLoop) components.push(comp.sort());
      }
    }
  }
  return components.map((comp) => describeCycle(graph, new Set(comp), comp[0]!));
}

/** A shortest path from `start` back to itself inside one component (breadth-first), with edge kinds. */
function describeCycle(graph: ImportGraph, comp: Set<string>, start: string): string {
  const prev = new Map<string, { from: string; edge: ImportEdge }>();
  const queue = [start];
  const seen = new Set<string>();
  while (queue.length) {
    const v = queue.shift()!;
    for (const e of graph.get(v) ?? []) {
      if (!comp.has(e.to)) continue;
      if (e.to === start) {
        const hops: string[] = [`${v} →(${e.kind}) ${start}`];
        for (let x = v; x !== start; ) {
          const p = prev.get(x)!;
          hops.unshift(`${p.from} →(${p.edge.kind})`);
          x = p.from;
        }
        return hops.join(' ');
      }
      if (seen.has(e.to)) continue;
      seen.add(e.to);
      prev.set(e.to, { from: v, edge: e });
      queue.push(e.to);
    }
  }
  return [...comp].join(', ');
}
