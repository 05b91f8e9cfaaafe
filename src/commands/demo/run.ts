// `meshctl demo`: the main job on the embedded default. Starts a controller → hop → executor mesh of
// embedded nodes from Receptor-style configs in a temporary directory, then runs the commands a user would
// type — status with the routes, a traceroute, work on the executor through the hop with a payload followed to
// the end and released, the executor's unit list — through meshctl's own command line (the factory's
// runCommandLine, which the CLI provides: the demo never imports the CLI above it), and removes everything
// afterwards. Needs nothing but Node.js.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Factory } from '../../cmdutil/factory.js';
import { SilentError } from '../../cmdutil/errors.js';

export interface DemoOptions {
  /** Keep the temporary directory (configs, unit data) and print where it is. */
  keep?: boolean;
}

const LINE_COUNT = `    worktype: line-count
    command: sh
    params: "-c 'n=0; while IFS= read -r line; do n=$((n+1)); printf \\"%3d  %s\\\\n\\" \\"$n\\" \\"$line\\"; sleep 0.15; done; echo \\"$n lines\\"'"`;

/** The three nodes' configurations: Receptor's own v1 YAML, as a user would write them. */
export function demoConfigs(dir: string, hopPort: number): Record<'controller' | 'hop' | 'executor', string> {
  const head = (id: string) => `---
- node:
    id: ${id}
    datadir: ${join(dir, id, 'data')}
- log-level: error
- control-service:
    service: control
    filename: ${join(dir, id, 'control.sock')}
`;
  return {
    // The controller dials the hop (links follow the firewall: outbound from the controller).
    controller: `${head('controller')}- tcp-peer:
    address: 127.0.0.1:${hopPort}
`,
    hop: `${head('hop')}- tcp-listener:
    bindaddr: 127.0.0.1
    port: ${hopPort}
`,
    // The executor dials the hop too, so it needs no open port.
    executor: `${head('executor')}- tcp-peer:
    address: 127.0.0.1:${hopPort}
- work-command:
${LINE_COUNT}
- work-command:
    worktype: echo
    command: echo
    allowruntimeparams: true
`,
  };
}

const PAYLOAD = [
  'Receptor runs work on execution nodes,',
  'streams the output back to the controller,',
  'and meshctl follows it to the last byte.',
  '',
].join('\n');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export async function run(opts: DemoOptions, f: Factory): Promise<void> {
  const { io, signal } = f;
  const [{ parseConfig }, { startNode }, { ControlClient }] = await Promise.all([
    import('../../config/parse.js'),
    import('../../node/node.js'),
    import('../../client/control-client.js'),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'meshctl-demo-'));
  const say = (text: string) => io.stdout.write(`${text}\n`);
  const configs = demoConfigs(dir, await freePort());
  const nodes: Awaited<ReturnType<typeof startNode>>[] = [];
  let exit = 0;
  try {
    for (const id of ['hop', 'executor', 'controller'] as const) {
      const file = join(dir, id, 'receptor.yaml');
      await mkdir(join(dir, id), { recursive: true });
      await writeFile(file, configs[id]);
      nodes.push(await startNode(parseConfig(configs[id], { file })));
    }
    const socket = join(dir, 'controller', 'control.sock');
    say(`A three-node mesh is running in ${dir}: controller → hop ← executor (configs in <node>/receptor.yaml).`);

    // Wait until every node routes to every other one and the controller has seen the executor's work types.
    // Each node computes its routes on its own, ~100 ms after an update (as Receptor does), so a controller
    // that can reach the executor may briefly get no reply because the executor cannot route back yet.
    const ids = ['controller', 'hop', 'executor'];
    const client = new ControlClient({ address: socket });
    try {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const routed = nodes.every((n) => ids.every((id) => id === n.nodeId || n.mesh.status().RoutingTable[id] !== undefined));
        const s = routed ? await client.status(['Advertisements']) : undefined;
        if (s?.Advertisements.some((a) => a.NodeID === 'executor' && a.WorkCommands?.length)) break;
        if (Date.now() > deadline) throw new Error('the demo mesh did not converge within 15 s');
        await sleep(100, undefined, { signal });
      }
    } finally {
      await client.close();
    }

    const payloadFile = join(dir, 'payload.txt');
    await writeFile(payloadFile, PAYLOAD);
    const steps: [string, string[]][] = [
      ["The controller's view: connections, known costs, routes, services and work types", ['status']],
      ['The path to the executor', ['traceroute', 'executor']],
      [
        'Run work on the executor, through the hop: payload from a file, output followed to the end, unit released',
        ['work', 'submit', 'line-count', '--node', 'executor', '--payload', payloadFile, '--follow', '--rm'],
      ],
      ['Runtime parameters on the executor', ['work', 'submit', 'echo', '--node', 'executor', '--no-payload', '-a', 'params=hello from the mesh', '--follow']],
      ["The executor's own unit list, reached through `connect`", ['work', 'list', '--node', 'executor']],
      ['Release everything on the controller (and, through it, on the executor)', ['work', 'release', '--all', '--yes']],
    ];
    for (const [title, argv] of steps) {
      if (signal.aborted) break;
      say(`\n# ${title}`);
      say(`$ meshctl ${argv.join(' ')}`);
      // Each step prints its own errors through the CLI's error path and gives back its exit status.
      const code = await f.runCommandLine(['--socket', socket, ...argv]);
      if (code !== 0) {
        say(`(exit status ${code})`);
        if (exit === 0) exit = code;
      }
      if (signal.aborted) break;
    }
    say(`\nDone. Run a node yourself: meshctl node -c ${opts.keep ? join(dir, 'controller', 'receptor.yaml') : '<your receptor.yaml>'}`);
  } finally {
    for (const n of nodes.reverse()) await n.close();
    if (opts.keep) say(`Kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
  // The steps' errors are on stderr already; the demo only passes their status on.
  if (exit !== 0 && !signal.aborted) throw new SilentError(exit);
}
