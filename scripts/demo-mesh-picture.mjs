#!/usr/bin/env node
// Draws the picture of `meshctl demo`'s mesh for docs/cli.md: starts the demo's three embedded nodes from the
// demo's own configurations (demoConfigs in src/commands/demo/run.ts, so the picture follows the demo as it is),
// waits until the controller knows every node, its routes and adverts, then runs the built CLI's
// `meshctl mesh graph --format dot|mermaid` against the controller and renders the DOT with Graphviz.
//
//   npm run build && node scripts/demo-mesh-picture.mjs [--out docs/img] [--status FILE]
//
// Writes OUT/demo-mesh.dot, OUT/demo-mesh.mmd and (with `dot` on PATH) OUT/demo-mesh.svg; --status also stores
// the controller's raw status reply (test/fixtures/mesh-graph/demo-mesh.json is one). Removes its nodes and
// temp dir whatever happens.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(repo, 'dist', p));
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const outDir = resolve(opt('--out') ?? join(repo, 'docs', 'img'));
const statusFile = opt('--status');

const [{ demoConfigs }, { parseConfig }, { startNode }, { ControlClient }] = await Promise.all([
  dist('commands/demo/run.js'),
  dist('config/parse.js'),
  dist('node/node.js'),
  dist('client/control-client.js'),
]);

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

const dir = await mkdtemp(join(tmpdir(), 'meshctl-demo-picture-'));
const nodes = [];
try {
  const configs = demoConfigs(dir, await freePort());
  // The demo's start order: the hop listens before the others dial it.
  for (const id of ['hop', 'executor', 'controller']) {
    const file = join(dir, id, 'receptor.yaml');
    await mkdir(join(dir, id), { recursive: true });
    await writeFile(file, configs[id]);
    nodes.push(await startNode(parseConfig(configs[id], { file })));
  }
  const socket = join(dir, 'controller', 'control.sock');
  const client = new ControlClient({ address: socket });
  let status;
  try {
    const ids = Object.keys(configs);
    const deadline = Date.now() + 30_000;
    for (;;) {
      status = await client.status();
      const routed = ids.every((id) => id === status.NodeID || status.RoutingTable[id] !== undefined);
      const advertised = ids.every((id) => status.Advertisements.some((a) => a.NodeID === id && a.Service === 'control'));
      const work = status.Advertisements.some((a) => a.NodeID === 'executor' && a.WorkCommands?.length);
      if (routed && advertised && work) break;
      if (Date.now() > deadline) throw new Error('the demo mesh did not converge within 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await client.close();
  }
  if (statusFile) await writeFile(statusFile, JSON.stringify(status, null, 2) + '\n');

  await mkdir(outDir, { recursive: true });
  // Asynchronous: the nodes live in this process and must keep answering while the CLI runs.
  const cli = async (format) => {
    try {
      const r = await promisify(execFile)(process.execPath, [join(repo, 'bin', 'meshctl.js'), '--socket', socket, 'mesh', 'graph', '--format', format], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      return r.stdout;
    } catch (err) {
      throw new Error(`meshctl mesh graph --format ${format} failed: ${String(err.stderr ?? err.message).trim()}`);
    }
  };
  const dot = await cli('dot');
  const mermaid = await cli('mermaid');
  await writeFile(join(outDir, 'demo-mesh.dot'), dot);
  await writeFile(join(outDir, 'demo-mesh.mmd'), mermaid);
  const svg = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  if (svg.error || svg.status !== 0) {
    process.stderr.write(`graphviz: ${svg.error?.message ?? svg.stderr.trim()} (install graphviz for the SVG)\n`);
  } else {
    await writeFile(join(outDir, 'demo-mesh.svg'), svg.stdout);
  }
  process.stdout.write(`wrote ${outDir}/demo-mesh.{dot,mmd${svg.status === 0 ? ',svg' : ''}}\n`);
} finally {
  for (const n of nodes.reverse()) await n.close();
  await rm(dir, { recursive: true, force: true });
}
