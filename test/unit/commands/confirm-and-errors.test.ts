// Command logic through main(), in process, against a real embedded node (issue 11's smaller gaps):
// - `work release --all` asks on a terminal and, without one, refuses unless --yes (it deleted everything
//   without asking);
// - `meshctl version` prints meshctl's own version even when the node cannot be reached, then the error (it
//   printed nothing but the error);
// - the node's refusals keep Receptor's exact text and get a hint, and connect's name the node and the service
//   (`connect NODE nosuch` said only `service unknown`, `work list --node nowhere` only `no route to node`).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeIo } from '../cmdutil/fake-io.js';
import { main } from '../../../src/cli/main.js';
import { ControlClient } from '../../../src/client/control-client.js';
import { meshctlVersion } from '../../../src/cmdutil/version.js';
import { ServerError } from '../../../src/errors.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';

let node: TestNode;

beforeAll(async () => {
  node = await startTestNode({
    nodeId: 'gapnode',
    workCommands: [
      { worktype: 'cat', command: 'cat' },
      { worktype: 'echo', command: 'echo', params: 'hello' },
    ],
  });
});

afterAll(async () => {
  await node?.close();
});

/**
 * main() over in-memory streams. `terminal`: stdin and stdout are terminals (a person can be asked), with CI set
 * so no spinner draws; `stdin` is what the person types.
 */
async function run(argv: string[], o: { terminal?: boolean; stdin?: string; socket?: string } = {}) {
  const tty = Boolean(o.terminal);
  const f = fakeIo({ tty, stdinTty: tty, stdin: o.stdin, env: { NO_COLOR: '1', MESHCTL_SOCKET: o.socket ?? node.socketPath } });
  const code = await main(argv, f.io, { signals: false });
  return { code, out: f.stdout(), err: f.stderr() };
}

async function units(): Promise<string[]> {
  const c = new ControlClient({ address: node.socketPath });
  try {
    return Object.keys(await c.workList());
  } finally {
    await c.close();
  }
}

async function makeUnits(n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect((await run(['work', 'submit', 'cat', '-l', `u${i}`])).code).toBe(0);
}

describe('work release --all - confirmation', () => {
  beforeEach(async () => {
    const r = await run(['work', 'release', '--all', '--yes']);
    expect(r.code, r.err).toBe(0);
  });

  it('work release --all - piped without --yes refuses before sending anything: exit 2, nothing released (was: released everything)', async () => {
    await makeUnits(2);
    const r = await run(['work', 'release', '--all']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'meshctl: refusing to release every work unit without confirmation: no terminal to ask on (hint: pass --yes to release them all, or name the unit ids)\n',
    );
    expect(await units()).toHaveLength(2);
    // Nothing is sent: the same refusal with no node there at all.
    const gone = await run(['work', 'release', '--all'], { socket: '/nonexistent/meshctl.sock' });
    expect(gone.code).toBe(2);
  });

  it('work release --all - piped with --yes releases every unit', async () => {
    await makeUnits(2);
    const r = await run(['work', 'release', '--all', '--yes']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n').filter((l) => l.endsWith('\treleased'))).toHaveLength(2);
    expect(await units()).toEqual([]);
  });

  it('work release --all - on a terminal asks with the count and the node, and releases after yes', async () => {
    await makeUnits(3);
    const r = await run(['work', 'release', '--all'], { terminal: true, stdin: 'yes\n' });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe("release all 3 work units of node 'gapnode', deleting their output (yes/no)? ");
    expect(r.out.match(/released/g)).toHaveLength(3);
    expect(await units()).toEqual([]);
  });

  it('work release --all - on a terminal, no (or the end of input) releases nothing and exits 1', async () => {
    await makeUnits(1);
    for (const answer of ['no\n', 'nope\n', '']) {
      const r = await run(['work', 'release', '--all'], { terminal: true, stdin: answer });
      expect(r.code).toBe(1);
      expect(r.err).toBe("release 1 work unit of node 'gapnode', deleting their output (yes/no)? nothing released\n");
      expect(r.out).toBe('');
      expect(await units()).toHaveLength(1);
    }
  });

  it('work release --all - on a terminal with no units asks nothing', async () => {
    const r = await run(['work', 'release', '--all'], { terminal: true, stdin: '' });
    expect(r.code).toBe(0);
    expect(r.err).toBe('no work units to release\n');
  });

  it('work release - named ids and --force are not asked about', async () => {
    await makeUnits(1);
    const [id] = await units();
    const r = await run(['work', 'release', id!], { terminal: true, stdin: '' });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
  });
});

describe('version - with the node down', () => {
  const mine = meshctlVersion();
  const down = { socket: '/nonexistent/meshctl.sock' };
  const error = "meshctl: socket '/nonexistent/meshctl.sock' does not exist (hint: is the node running? check the control-service filename)\n";

  it("version - piped: meshctl's version on stdout, then the error, exit 3 (was: only the error)", async () => {
    const r = await run(['version'], down);
    expect(r.code).toBe(3);
    expect(r.out).toBe(`meshctl\t${mine}\n`);
    expect(r.err).toBe(error);
  });

  it("version - on a terminal: meshctl's line, then the error", async () => {
    const r = await run(['version'], { ...down, terminal: true });
    expect(r.code).toBe(3);
    expect(r.out).toBe(`meshctl  ${mine}\n`);
    expect(r.err).toBe(error);
  });

  it('version - --json: one document with the node fields null, then the error', async () => {
    const r = await run(['version', '--json'], down);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out)).toEqual({ meshctl: mine, NodeID: null, Version: null });
    expect(r.err).toBe(error);
  });

  it('version - no address at all: the version, then the usage error (exit 2)', async () => {
    const r = await run(['version'], { socket: '' });
    expect(r.code).toBe(2);
    expect(r.out).toBe(`meshctl\t${mine}\n`);
    expect(r.err).toMatch(/^meshctl: no control service address given/);
  });

  it('version - with the node up, both versions as before', async () => {
    const r = await run(['version']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^meshctl\\t${mine.replace(/\./g, '\\.')}\\nnode\\t.+\\tgapnode\\n$`));
  });
});

describe('node refusals - named and explained', () => {
  it("node refusals - runtime params: the node's text stays Receptor's exact words, the CLI hint names allowruntimeparams", async () => {
    const r = await run(['work', 'submit', 'echo', '-n', '--', 'extra']);
    expect(r.code).toBe(5);
    expect(r.err).toBe(
      "meshctl: extra params provided but not allowed (hint: the node's work-command entry for this work type does not set allowruntimeparams: true; drop the extra parameters (CMDPARAMS, -a params=...) or set it in the node's configuration)\n",
    );
    const again = await run(['work', 'submit', 'echo', '-n', '-a', 'params=extra']);
    expect(again.err).toContain('allowruntimeparams: true');
    // The library's view: the node's exact text, no hint composed there.
    const c = new ControlClient({ address: node.socketPath });
    try {
      const e = (await c.workSubmit({ workType: 'echo', params: { params: 'x' } }, null).catch((x: unknown) => x)) as ServerError;
      expect(e).toBeInstanceOf(ServerError);
      expect(e.serverMessage).toBe('extra params provided but not allowed');
      expect(e.message).toBe('extra params provided but not allowed');
      expect(e.hint).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it("node refusals - connect to an unknown service names the node and the service (was: 'service unknown')", async () => {
    const r = await run(['connect', 'gapnode', 'nosuch'], { stdin: '' });
    expect(r.code).toBe(5);
    expect(r.err).toBe(
      "meshctl: connect to service 'nosuch' on node 'gapnode': service unknown (hint: check the service name: `meshctl status` lists each node's services)\n",
    );
  });

  it("node refusals - work list --node to an unknown node names the node and the service (was: 'no route to node')", async () => {
    const r = await run(['work', 'list', '--node', 'nowhere']);
    expect(r.code).toBe(5);
    expect(r.err).toBe(
      "meshctl: connect to service 'control' on node 'nowhere': no route to node (hint: check the node name: `meshctl status` lists the nodes this one can reach)\n",
    );
    const c = new ControlClient({ address: node.socketPath });
    try {
      const e = (await c.viaNode('nowhere').workList().catch((x: unknown) => x)) as ServerError;
      expect(e.serverMessage).toBe('no route to node');
      expect(e.message).toBe("connect to service 'control' on node 'nowhere': no route to node");
    } finally {
      await c.close();
    }
  });
});
