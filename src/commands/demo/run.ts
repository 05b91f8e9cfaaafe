// `meshctl demo`: the main job on the embedded default. Starts an embedded node from a Receptor-style
// config in a temporary directory, then runs the same commands a user would type — status, a work unit
// with a payload followed to the end and released, the unit list — through meshctl's own command line,
// and removes everything afterwards. Needs nothing but Node.js.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IOStreams } from '../../cli/io/iostreams.js';

export interface DemoOptions {
  /** Keep the temporary directory (config, unit data) and print where it is. */
  keep?: boolean;
}

/** The demo node's configuration: Receptor's own v1 YAML, as a user would write it. */
export function demoConfig(dir: string): string {
  return `---
- node:
    id: demo-controller
    datadir: ${join(dir, 'data')}
- log-level: error
- local-only
- control-service:
    service: control
    filename: ${join(dir, 'control.sock')}
- work-command:
    worktype: line-count
    command: sh
    params: "-c 'n=0; while IFS= read -r line; do n=$((n+1)); printf \\"%3d  %s\\\\n\\" \\"$n\\" \\"$line\\"; sleep 0.15; done; echo \\"$n lines\\"'"
- work-command:
    worktype: echo
    command: echo
    allowruntimeparams: true
`;
}

const PAYLOAD = [
  'Receptor runs work on execution nodes,',
  'streams the output back to the controller,',
  'and meshctl follows it to the last byte.',
  '',
].join('\n');

export async function runDemo(opts: DemoOptions, io: IOStreams, signal?: AbortSignal): Promise<number> {
  const [{ parseConfig }, { startNode }, { main }] = await Promise.all([
    import('../../config/parse.js'),
    import('../../node/node.js'),
    import('../../cli/main.js'),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'meshctl-demo-'));
  const configPath = join(dir, 'receptor.yaml');
  const say = (text: string) => io.stdout.write(`${text}\n`);
  const node = await (async () => {
    const text = demoConfig(dir);
    await writeFile(configPath, text);
    return startNode(parseConfig(text, { file: configPath }));
  })();
  const socket = join(dir, 'control.sock');
  let exit = 0;
  try {
    const step = async (title: string, argv: string[], stdinFile?: string): Promise<number> => {
      if (signal?.aborted) return 130;
      say(`\n# ${title}`);
      say(`$ meshctl ${argv.join(' ')}`);
      const code = await main(['--socket', socket, ...argv], io);
      if (code !== 0) say(`(exit status ${code})`);
      return code;
    };
    say(`Embedded node '${node.nodeId}' is running: config ${configPath}, control socket ${socket}`);
    const payloadFile = join(dir, 'payload.txt');
    await writeFile(payloadFile, PAYLOAD);
    const steps: [string, string[]][] = [
      ['What is this node? (the same data as `receptorctl status`)', ['status']],
      ['Submit a unit with a payload, follow its output to the end, release it', ['work', 'submit', 'line-count', '--payload', payloadFile, '--follow', '--rm']],
      ['Runtime parameters: `echo` with allowruntimeparams', ['work', 'submit', 'echo', '--no-payload', '-a', 'params=hello from the mesh', '--follow']],
      ['Units left on the node', ['work', 'list']],
      ['Release everything', ['work', 'release', '--all']],
    ];
    for (const [title, argv] of steps) {
      const code = await step(title, argv);
      if (code !== 0 && exit === 0) exit = code;
      if (code === 130) break;
    }
    say(`\nDone. Try it yourself: meshctl node -c ${opts.keep ? configPath : '<your receptor.yaml>'}`);
  } finally {
    await node.close();
    if (opts.keep) say(`Kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
  return exit;
}
