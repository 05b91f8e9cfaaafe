// Completion, second level: `meshctl __complete -- WORDS...` through main(), in process, against a live mesh of
// two embedded nodes (controller ↔ executor): unit IDs, node names, work types and services come from the node
// the completed command would talk to (flags on the line first, then the environment), within the deadline, and a
// node that is down or silent gives no candidates and no message. Output: `value<TAB>description` lines, then `:0`
// or `:1` (files).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { startTestMesh, type TestMesh } from '../../helpers/mesh.js';
import { startSilentListener } from '../../helpers/silent-listeners.js';
import { RawConn } from '../../integration/node/raw-client.js';
import { fakeIo } from '../cmdutil/fake-io.js';

let mesh: TestMesh;
let sock: string;
let dir: string;
const units: string[] = [];

async function run(argv: string[], env: Record<string, string> = {}) {
  const f = fakeIo({ env: { MESHCTL_SOCKET: sock, ...env } });
  const code = await main(argv, f.io, { signals: false });
  return { code, out: f.stdout(), err: f.stderr() };
}

/** `meshctl __complete -- ...words`: the candidate values (descriptions dropped) and the directive line. */
async function complete(words: string[], env: Record<string, string> = {}) {
  const r = await run(['__complete', '--', ...words], env);
  expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
  const lines = r.out.split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline
  const directive = lines.pop();
  expect(directive).toMatch(/^:[01]$/);
  return { values: lines.map((l) => l.split('\t')[0]!), lines, directive };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-complete-'));
  mesh = await startTestMesh({
    nodes: [
      { id: 'controller', workCommands: [{ worktype: 'cat', command: 'cat' }, { worktype: 'catalog', command: 'cat' }] },
      { id: 'executor', workCommands: [{ worktype: 'echo', command: 'echo' }] },
    ],
    links: [['controller', 'executor']],
  });
  sock = mesh.node('controller').socketPath;
  for (let i = 0; i < 2; i++) {
    const r = await run(['work', 'submit', 'cat', '-l', `unit ${i}`]);
    expect(r.code).toBe(0);
    units.push(r.out.trim());
  }
}, 60_000);

afterAll(async () => {
  await mesh?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('complete - from the node', () => {
  it('complete - work status completes the unit IDs of the node, with work type and state', async () => {
    const c = await complete(['work', 'status', '']);
    expect(c.values.sort()).toEqual([...units].sort());
    expect(c.directive).toBe(':0');
    expect(c.lines[0]).toMatch(/^\S+\tcat (Pending|Running|Succeeded)$/);
    // Only those starting with what is typed.
    const first = units[0]!;
    expect((await complete(['work', 'results', first.slice(0, first.length - 1)])).values).toContain(first);
    expect((await complete(['work', 'status', 'zz-no-such-prefix'])).values).toEqual([]);
  });

  it('complete - work release leaves out the units already on the line', async () => {
    expect((await complete(['work', 'release', units[0]!, ''])).values).toEqual([units[1]]);
  });

  it('complete - node names are the mesh as the node knows it; work types and services are those of the node named', async () => {
    expect((await complete(['ping', ''])).values).toEqual(['controller', 'executor']);
    expect((await complete(['traceroute', 'ex'])).values).toEqual(['executor']);
    expect((await complete(['work', 'submit', '--node', ''])).values).toEqual(['controller', 'executor']);
    expect((await complete(['work', 'list', '--node=e'])).values).toEqual(['--node=executor']);
    expect((await complete(['work', 'submit', ''])).values).toEqual(['cat', 'catalog']);
    expect((await complete(['work', 'submit', 'cata'])).values).toEqual(['catalog']);
    // --node typed before the work type: that node's work types, as the controller's status advertises them.
    expect((await complete(['work', 'submit', '--node', 'executor', ''])).values).toEqual(['echo']);
    expect((await complete(['work', 'submit', '--node', 'localhost', ''])).values).toEqual(['cat', 'catalog']);
    const services = await complete(['connect', 'executor', '']);
    expect(services.values).toContain('control');
    expect(services.lines.find((l) => l.startsWith('control\t'))).toBe('control\tstream');
  });

  it('complete - -s typed on the line is the node asked, before MESHCTL_SOCKET (and -s after the verb too)', async () => {
    const nowhere = join(dir, 'nowhere.sock');
    expect((await complete(['-s', sock, 'work', 'status', ''], { MESHCTL_SOCKET: nowhere })).values.sort()).toEqual([...units].sort());
    expect((await complete(['work', 'status', '-s', sock, ''], { MESHCTL_SOCKET: nowhere })).values.sort()).toEqual([...units].sort());
    expect((await complete(['-s', nowhere, 'work', 'status', ''])).values).toEqual([]);
    // The executor's own socket: its (empty) unit list.
    expect((await complete(['-s', mesh.node('executor').socketPath, 'work', 'status', ''])).values).toEqual([]);
  });

  it('complete - no node, no address, or a node that never answers: no candidates, no message, exit 0', async () => {
    expect((await complete(['work', 'status', ''], { MESHCTL_SOCKET: join(dir, 'gone.sock') })).values).toEqual([]);
    const noAddress = await run(['__complete', '--', 'work', 'status', ''], { MESHCTL_SOCKET: '' });
    expect(noAddress).toEqual({ code: 0, out: ':0\n', err: '' });
    // A listener that accepts and never greets, with --timeout 60s typed on the line: the completion deadline
    // (2 s) still ends it, long before this test's own timeout (without it the greeting would be awaited 60 s).
    const silent = await startSilentListener();
    try {
      expect((await complete(['-s', `tcp://${silent.address}`, '--timeout', '60s', 'work', 'status', ''])).values).toEqual([]);
      expect(silent.accepted.length).toBe(1);
      await silent.accepted[0]!.closed; // and the connection was closed, not left behind
    } finally {
      await silent.close();
    }
  }, 20_000);

  it('complete - a unit ID with a blank or a control character is not offered (it could not be typed as one word)', async () => {
    const odd = ['with space', 'esc\u001b[2J', 'tab\there'];
    for (const id of odd) {
      const c = await RawConn.connect(sock);
      c.send(JSON.stringify({ command: 'work', subcommand: 'submit', node: 'localhost', worktype: 'cat', workUnitID: id }) + '\n');
      expect(await c.readLine()).toContain('Work unit created');
      c.end();
      expect(JSON.parse(await c.readLine(20_000))).toMatchObject({ unitid: id });
      c.close();
    }
    try {
      const values = (await complete(['work', 'status', ''])).values;
      expect(values.sort()).toEqual([...units].sort());
    } finally {
      await run(['work', 'release', ...odd]);
    }
  });
});

describe('complete - without a node', () => {
  it('complete - commands, flags and files are answered without connecting', async () => {
    const nowhere = { MESHCTL_SOCKET: join(dir, 'nowhere.sock') };
    expect((await complete(['w'], nowhere)).values).toEqual(['work']);
    expect((await complete(['work', 'l'], nowhere)).values).toEqual(['list']);
    expect((await complete(['status', '--y'], nowhere)).lines).toEqual(['--yaml\tprint the reply as YAML']);
    expect(await complete(['--config', ''], nowhere)).toMatchObject({ values: [], directive: ':1' });
    expect((await complete(['completion', ''], nowhere)).values).toEqual(['bash', 'zsh', 'fish']);
  });
});
