// `meshctl mesh graph` through main(), in process, against a real embedded mesh (meshctl/testing startMesh):
// controller → hop → executor with link costs 2 and 3, and a direct controller → executor link of cost 10 that the
// routes do not use. The hop's control-service has `service: ""`: it keeps its local socket and advertises
// nothing on the mesh (Receptor's controlsvc only advertises a named service), so it is a pure hop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { startMesh, waitUntil, type TestMesh } from '../../../src/testing/index.js';
import { fakeIo } from '../../unit/cmdutil/fake-io.js';

let mesh: TestMesh;
let sock: string;

beforeAll(async () => {
  mesh = await startMesh({
    nodes: [
      'controller',
      { id: 'hop', config: [{ 'control-service': { service: '' } }] },
      {
        id: 'executor',
        workCommands: [
          { worktype: 'echo', command: 'echo', params: 'hi' },
          { worktype: 'cat', command: 'cat' },
        ],
      },
    ],
    links: [
      { from: 'controller', to: 'hop', cost: 2 },
      { from: 'executor', to: 'hop', cost: 3 },
      { from: 'controller', to: 'executor', cost: 10 },
    ],
  });
  sock = mesh.node('controller').socketPath;
  // The picture needs the routes and the executor's advert (its work types) at the controller.
  const client = mesh.client('controller');
  await waitUntil(
    async () => {
      const s = await client.status();
      return (
        s.RoutingTable.executor === 'hop' &&
        s.KnownConnectionCosts.hop?.executor === 3 &&
        s.Advertisements.some((a) => a.NodeID === 'executor' && (a.WorkCommands?.length ?? 0) === 2)
      );
    },
    'the controller routes to the executor through the hop and has its work types',
    30_000,
  );
}, 60_000);

afterAll(async () => {
  await mesh?.stop();
});

async function run(argv: string[], o: { tty?: boolean; env?: Record<string, string> } = {}) {
  const f = fakeIo({ tty: o.tty, columns: 120, env: { MESHCTL_SOCKET: sock, ...o.env } });
  const code = await main(argv, f.io, { signals: false });
  return { code, out: f.stdout(), err: f.stderr() };
}

describe('mesh graph', () => {
  it('mesh graph - on a terminal: the tree from the controller, link and route costs, roles, the unused direct link', async () => {
    const r = await run(['mesh', 'graph'], { tty: true, env: { NO_COLOR: '1' } });
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toBe(
      [
        'controller  (local node)  control',
        '└── hop  (cost 2)  hop',
        '    └── executor  (cost 3, route 5)  executor: cat, echo · control',
        '',
        'Other links (not on a route from the local node):',
        '  controller ── executor  (cost 10)',
        '',
      ].join('\n'),
    );
  });

  it('mesh graph - colour on a terminal only: FORCE_COLOR colours the tree, never the piped records', async () => {
    const tty = await run(['mesh', 'graph'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(tty.out).toContain('\x1b[33mhop\x1b[39m');
    expect(tty.out).toContain('\x1b[32mexecutor\x1b[39m');
    const piped = await run(['mesh', 'graph'], { env: { FORCE_COLOR: '1' } });
    expect(piped.out).not.toContain('\x1b[');
  });

  it('mesh graph - piped: node and link records', async () => {
    const r = await run(['mesh', 'graph']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'node\tcontroller\t-\t-\t0\tcontrol\t-',
        'node\thop\tcontroller\t2\t2\thop\t-',
        'node\texecutor\thop\t3\t5\texecutor,control\tcat,echo',
        'link\tcontroller\thop\t2\ttree',
        'link\thop\texecutor\t3\ttree',
        'link\tcontroller\texecutor\t10\textra',
        '',
      ].join('\n'),
    );
  });

  it('mesh graph - --json and --format json: one document, nodes with roles and work types, links with costs', async () => {
    const a = await run(['mesh', 'graph', '--json']);
    const b = await run(['mesh', 'graph', '--format', 'json'], { tty: true });
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(b.out).toBe(a.out);
    const doc = JSON.parse(a.out) as { root: string; nodes: Record<string, unknown>[]; links: Record<string, unknown>[] };
    expect(doc.root).toBe('controller');
    expect(doc.nodes).toEqual([
      { id: 'controller', roles: ['control'], workTypes: [], services: ['control'], reachable: true, parent: null, cost: null, pathCost: 0, hops: 0, via: null },
      { id: 'hop', roles: ['hop'], workTypes: [], services: [], reachable: true, parent: 'controller', cost: 2, pathCost: 2, hops: 1, via: 'hop' },
      {
        id: 'executor',
        roles: ['executor', 'control'],
        workTypes: [
          { workType: 'cat', secure: false },
          { workType: 'echo', secure: false },
        ],
        services: ['control'],
        reachable: true,
        parent: 'hop',
        cost: 3,
        pathCost: 5,
        hops: 2,
        via: 'hop',
      },
    ]);
    expect(doc.links).toEqual([
      { from: 'controller', to: 'hop', cost: 2, tree: true },
      { from: 'hop', to: 'executor', cost: 3, tree: true },
      { from: 'controller', to: 'executor', cost: 10, tree: false },
    ]);
  });

  it('mesh graph - --query and --yaml work on the same document', async () => {
    const q = await run(['mesh', 'graph', '--query', "nodes[?contains(roles, 'executor')].id"]);
    expect(JSON.parse(q.out)).toEqual(['executor']);
    const y = await run(['mesh', 'graph', '--yaml']);
    expect(y.out).toMatch(/^root: controller$/m);
  });

  it('mesh graph - --format dot and mermaid: the three nodes and three links with their costs', async () => {
    const dot = await run(['mesh', 'graph', '--format', 'dot']);
    expect(dot.code).toBe(0);
    expect(dot.out).toMatch(/^graph mesh \{$/m);
    expect(dot.out).toContain('  "controller" -- "hop" [label="2"];\n');
    expect(dot.out).toContain('  "hop" -- "executor" [label="3"];\n');
    expect(dot.out).toContain('  "controller" -- "executor" [label="10", style=dashed, constraint=false];\n');
    const mm = await run(['mesh', 'graph', '--format', 'mermaid'], { tty: true });
    expect(mm.code).toBe(0);
    expect(mm.out).toContain('  n1["hop<br/>hop"]\n');
    expect(mm.out).toContain('  n0 ---|"2"| n1\n');
    expect(mm.out).toContain('  n0 -.-|"10"| n2\n');
  });

  it('mesh graph - a picture format with --json, or an unknown format, is a usage error (exit 2) naming the value', async () => {
    const both = await run(['mesh', 'graph', '--format', 'dot', '--json']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--format dot cannot be combined with --json');
    expect(both.out).toBe('');
    const bad = await run(['mesh', 'graph', '--format', 'png']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'png'");
  });
});
