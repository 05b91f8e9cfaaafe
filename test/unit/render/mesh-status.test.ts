// Rendering of `mesh status` and `work list --all-nodes` (src/render/mesh-status.ts) and the piped --watch change
// detection (src/commands/mesh/status.ts watchChanges): data → text for a terminal and for a pipe.
import { describe, expect, it } from 'vitest';
import { watchChanges } from '../../../src/commands/mesh/status.js';
import {
  allNodesQueryData,
  allNodesWorkDoc,
  filterUnits,
  meshStatusDoc,
  meshStatusSummary,
  renderAllNodesWork,
  renderMeshStatus,
  type NodeStatusResult,
} from '../../../src/render/mesh-status.js';
import { renderContext } from '../../../src/render/style.js';
import type { WorkList } from '../../../src/protocol/types.js';

const tty = renderContext(true, false, { width: 0 });
const piped = renderContext(false, false);

const ok = (id: string, over: Partial<Extract<NodeStatusResult, { ok: true }>['summary']> = {}): NodeStatusResult => ({
  node: { id, controlTls: false },
  ok: true,
  summary: { nodeId: id, version: '1.6.5', cpus: 2, memoryMiB: 1024, workTypes: [], units: {}, connections: [{ node: 'hop', cost: 1 }], rttMs: 0.4567, ...over },
});
const down = (id: string, message: string, controlTls = false): NodeStatusResult => ({ node: { id, controlTls }, ok: false, error: { code: 'ESERVER', message } });

const rows = [ok('a'), ok('w', { workTypes: ['cat', 'echo'], units: { Succeeded: 2, Running: 1 }, rttMs: 12.3 }), down('x', "node 'x': no route to node", true)];

describe('mesh status render', () => {
  it('mesh status render - the JSON document: reachable rows with their data, unreachable ones with code and message', () => {
    const doc = meshStatusDoc('a', rows);
    expect(doc.localNode).toBe('a');
    expect(doc.nodes[0]).toEqual({
      node: 'a',
      reachable: true,
      controlTls: false,
      nodeId: 'a',
      version: '1.6.5',
      cpus: 2,
      memoryMiB: 1024,
      workTypes: [],
      units: {},
      connections: [{ node: 'hop', cost: 1 }],
      rttMs: 0.457,
    });
    expect(doc.nodes[2]).toEqual({ node: 'x', reachable: false, controlTls: true, error: { code: 'ESERVER', message: "node 'x': no route to node" } });
  });

  it('mesh status render - a terminal gets a table: local node starred, units in state order, the reason for an unreachable node', () => {
    const text = renderMeshStatus(meshStatusDoc('a', rows), tty);
    expect(text.split('\n')).toEqual([
      'Node  Version  CPUs  Memory    Work Types  Units                   Conns  RTT      Status',
      'a *   1.6.5    2     1024 MiB  -           -                       1      0.46 ms  ok',
      'w     1.6.5    2     1024 MiB  cat, echo   1 running, 2 succeeded  1      12 ms    ok',
      "x     -        -     -         -           -                       -      -        unreachable: node 'x': no route to node",
      '',
    ]);
    expect(meshStatusSummary(meshStatusDoc('a', rows))).toBe('2 of 3 nodes answered');
  });

  it('mesh status render - piped: one record per node, ten fields, no header', () => {
    const lines = renderMeshStatus(meshStatusDoc('a', rows), piped).split('\n');
    expect(lines).toEqual([
      'a\tok\t1.6.5\t2\t1024\t\t\t1\t0.457\t',
      'w\tok\t1.6.5\t2\t1024\tcat,echo\tRunning=1,Succeeded=2\t1\t12.3\t',
      "x\tunreachable\t\t\t\t\t\t\t\tnode 'x': no route to node",
      '',
    ]);
  });

  it("mesh status render - a node's text is made printable on a terminal and piped (control characters from the mesh)", () => {
    const evil = [ok('e\x1b[2Jvil', { version: 'v\x07' })];
    expect(renderMeshStatus(meshStatusDoc('a', evil), tty)).not.toMatch(/[\x1b\x07]/);
    expect(renderMeshStatus(meshStatusDoc('a', evil), piped)).not.toMatch(/[\x1b\x07]/);
  });

  it('mesh status render - a ping that failed while the node answered shows in the status column', () => {
    const text = renderMeshStatus(meshStatusDoc('a', [ok('a', { rttMs: null, pingError: 'timeout' })]), tty);
    expect(text).toMatch(/^a \* .* - +ping: timeout$/m);
  });
});

describe('mesh status --watch changes', () => {
  it('mesh status --watch changes - the first round is every row; then only changed rows; RTT alone is no change; a vanished node is gone', () => {
    const first = watchChanges(new Map(), meshStatusDoc('a', rows));
    expect(first.lines.map((l) => l[0])).toEqual(['a', 'w', 'x']);
    const rttOnly = watchChanges(first.seen, meshStatusDoc('a', [ok('a', { rttMs: 9 }), rows[1]!, rows[2]!]));
    expect(rttOnly.lines).toEqual([]);
    const changed = watchChanges(rttOnly.seen, meshStatusDoc('a', [ok('a'), ok('w', { workTypes: ['cat', 'echo'], units: { Succeeded: 3 }, rttMs: 12.3 })]));
    expect(changed.lines).toEqual([
      ['w', 'ok', '1.6.5', '2', '1024', 'cat,echo', 'Succeeded=3', '1', '12.3', ''],
      ['x', 'gone'],
    ]);
  });
});

describe('work list --all-nodes render', () => {
  const unit = (WorkType: string, State: number, StateName: string) => ({ State, StateName, Detail: 'd', StdoutSize: 3, WorkType, ExtraData: null });
  const a: WorkList = { u1: unit('cat', 2, 'Succeeded'), u2: unit('echo', 1, 'Running') };
  const b: WorkList = { u3: unit('cat', 3, 'Failed') };
  const results = [
    { node: { id: 'a', controlTls: false }, ok: true as const, value: a },
    { node: { id: 'b', controlTls: false }, ok: true as const, value: b },
    { node: { id: 'c', controlTls: false }, ok: false as const, error: { code: 'ETIMEDOUT', message: "node 'c' did not answer within 5s" } },
  ];

  it('work list --all-nodes render - --state and --work-type filter (both must match)', () => {
    expect(Object.keys(filterUnits(a, { states: [2, 3] }))).toEqual(['u1']);
    expect(Object.keys(filterUnits(a, { workTypes: ['echo'] }))).toEqual(['u2']);
    expect(Object.keys(filterUnits(a, { states: [2], workTypes: ['echo'] }))).toEqual([]);
    expect(Object.keys(filterUnits(a, {}))).toEqual(['u1', 'u2']);
  });

  it('work list render - a unit called __proto__ survives --state and --work-type (it stays a key of the filtered copy)', () => {
    // JSON.parse makes `__proto__` an own key, as the client's reply parsing does; a plain `{}` copy made it the
    // prototype instead, and the unit vanished from filtered lists only.
    const list = JSON.parse(`{"__proto__": ${JSON.stringify(a.u1)}, "u2": ${JSON.stringify(a.u2)}}`) as WorkList;
    const kept = filterUnits(list, { states: [a.u1!.State] });
    expect(Object.keys(kept)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(kept, '__proto__')?.value).toEqual(a.u1);
    expect(Object.keys(filterUnits(list, { workTypes: [a.u1!.WorkType, a.u2!.WorkType] }))).toEqual(['__proto__', 'u2']);
  });

  it('work list --all-nodes render - the document is keyed by node: its units, or the error', () => {
    const doc = allNodesWorkDoc(results, { workTypes: ['cat'] });
    expect(doc).toEqual({ a: { units: { u1: a.u1 } }, b: { units: { u3: b.u3 } }, c: { error: { code: 'ETIMEDOUT', message: "node 'c' did not answer within 5s" } } });
    expect(allNodesQueryData(doc).map((u) => [u.node, u.id])).toEqual([
      ['a', 'u1'],
      ['b', 'u3'],
    ]);
  });

  it('work list --all-nodes render - a NODE column on a terminal; piped node, id, type, state, size, detail', () => {
    const doc = allNodesWorkDoc(results, {});
    expect(renderAllNodesWork(doc, tty).split('\n')).toEqual([
      'Node  Unit ID  Work Type  State      Stdout  Detail',
      'a     u1       cat        Succeeded  3       d',
      'a     u2       echo       Running    3       d',
      'b     u3       cat        Failed     3       d',
      '',
    ]);
    expect(renderAllNodesWork(doc, piped)).toBe('a\tu1\tcat\tSucceeded\t3\td\na\tu2\techo\tRunning\t3\td\nb\tu3\tcat\tFailed\t3\td\n');
    expect(renderAllNodesWork({}, tty)).toBe('');
  });
});
