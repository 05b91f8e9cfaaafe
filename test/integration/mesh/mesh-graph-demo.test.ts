// The demo mesh's picture in docs/cli.md is the demo mesh as it is now: the demo's own three nodes (demoConfigs,
// src/commands/demo/run.ts) are started in process, and `meshctl mesh graph --format dot|mermaid` against the
// controller must give exactly docs/img/demo-mesh.dot and .mmd (which scripts/demo-mesh-picture.mjs wrote); the
// Mermaid block of docs/cli.md and the SVG's text follow them. A change to the demo or to the renderers fails here
// until the pictures are redrawn (`npm run build && node scripts/demo-mesh-picture.mjs`).
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { ControlClient } from '../../../src/client/control-client.js';
import { demoConfigs } from '../../../src/commands/demo/run.js';
import { parseConfig } from '../../../src/config/parse.js';
import { startNode } from '../../../src/node/node.js';
import { waitUntil } from '../../../src/testing/index.js';
import { fakeIo } from '../../unit/cmdutil/fake-io.js';

const ROOT = join(import.meta.dirname, '../../..');
const doc = (p: string) => readFileSync(join(ROOT, p), 'utf8');

let dir: string;
let socket: string;
const nodes: Awaited<ReturnType<typeof startNode>>[] = [];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-graph-demo-'));
  const configs = demoConfigs(dir, await freePort());
  for (const id of ['hop', 'executor', 'controller'] as const) {
    const file = join(dir, id, 'receptor.yaml');
    await mkdir(join(dir, id), { recursive: true });
    await writeFile(file, configs[id]);
    nodes.push(await startNode(parseConfig(configs[id], { file })));
  }
  socket = join(dir, 'controller', 'control.sock');
  const client = new ControlClient({ address: socket });
  try {
    const ids = Object.keys(configs);
    await waitUntil(
      async () => {
        const s = await client.status();
        return (
          ids.every((id) => id === s.NodeID || s.RoutingTable[id] !== undefined) &&
          ids.every((id) => s.Advertisements.some((a) => a.NodeID === id && a.Service === 'control')) &&
          s.Advertisements.some((a) => a.NodeID === 'executor' && (a.WorkCommands?.length ?? 0) > 0)
        );
      },
      "the demo's controller knows every node, route and advert",
      30_000,
    );
  } finally {
    await client.close();
  }
}, 60_000);

afterAll(async () => {
  for (const n of nodes.reverse()) await n.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function graph(format: string): Promise<string> {
  const f = fakeIo({ env: { NO_COLOR: '1' } });
  const code = await main(['--socket', socket, 'mesh', 'graph', '--format', format], f.io, { signals: false });
  expect([code, f.stderr()]).toEqual([0, '']);
  return f.stdout();
}

describe('mesh graph demo picture', () => {
  it('mesh graph demo picture - docs/img/demo-mesh.dot and .mmd are what mesh graph gives for the demo mesh now', async () => {
    expect(await graph('dot')).toBe(doc('docs/img/demo-mesh.dot'));
    expect(await graph('mermaid')).toBe(doc('docs/img/demo-mesh.mmd'));
  });

  it("mesh graph demo picture - docs/cli.md's mermaid block and the SVG's text come from those files", () => {
    expect(doc('docs/cli.md')).toContain('```mermaid\n' + doc('docs/img/demo-mesh.mmd') + '```\n');
    const svg = doc('docs/img/demo-mesh.svg');
    // Graphviz writes each node's and edge's name as a <title>, and each label line as a <text>.
    const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]!.replace(/&#45;/g, '-'));
    expect(titles.sort()).toEqual(['controller', 'controller--hop', 'executor', 'hop', 'hop--executor', 'mesh']);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&#45;/g, '-'));
    const dotLabels = [...doc('docs/img/demo-mesh.dot').matchAll(/label="([^"]*)"/g)].flatMap((m) => m[1]!.split('\\n'));
    expect(texts.sort()).toEqual(dotLabels.sort());
  });
});
