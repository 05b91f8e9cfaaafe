// Ctrl-C during `meshctl work submit -p -` against the real receptor (issue 10): meshctl used to half-close the
// connection, and receptor ran the unit on the part of the payload it had. meshctl now resets the connection
// over TCP, and receptor fails the unit ("Error reading input data: ... connection reset by peer"), which is what
// meshctl's message promises. Over a Unix socket there is no reset: receptor reads an ordinary end of the payload
// and runs the unit, as the message's hint says.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/control-client.js';
import { WorkState, type WorkUnitStatus } from '../../src/protocol/types.js';
import { meshctlBin, requirePeers, startReceptor, type RunningReceptor } from '../helpers/receptor.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const MiB = 1024 * 1024;

describe('receptor - an interrupted upload', () => {
  let node: RunningReceptor;
  let observer: ControlClient;

  beforeAll(async () => {
    requirePeers();
    node = await startReceptor({ nodeId: 'upload', workCommands: [{ worktype: 'cat', command: 'cat' }] });
    observer = new ControlClient({ address: node.socketPath });
  });
  afterAll(async () => {
    await observer?.close();
    await node?.stop();
  });

  /** Runs the built CLI fed by a pipe, sends SIGINT once receptor stored 1 MiB, returns the exit, stderr and the unit's state. */
  async function interrupt(address: string): Promise<{ code: number | null; stderr: string; id: string; st: WorkUnitStatus }> {
    const before = new Set(Object.keys(await observer.workList()));
    const child = spawn(process.execPath, [meshctlBin(), '-s', address, 'work', 'submit', 'cat', '-p', '-'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', NO_COLOR: '1' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    let feeding = true;
    child.stdin!.on('error', () => undefined);
    const pump = () => {
      while (feeding && child.stdin!.write(CHUNK));
      if (feeding) child.stdin!.once('drain', pump);
    };
    pump();
    try {
      let id: string | undefined;
      for (let i = 0; i < 3000; i++) {
        id ??= Object.keys(await observer.workList()).find((k) => !before.has(k));
        if (id !== undefined && (await stat(join(node.datadir, node.nodeId, id, 'stdin')).then((s) => s.size, () => 0)) >= MiB) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(id).toBeDefined();
      child.kill('SIGINT');
      const code = await exited;
      let st = await observer.workStatus(id!);
      for (let i = 0; i < 400 && st.State === WorkState.Pending; i++) {
        await new Promise((r) => setTimeout(r, 25));
        st = await observer.workStatus(id!);
      }
      await observer.workRelease(id!, { force: true });
      return { code, stderr, id: id!, st };
    } finally {
      feeding = false;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  it('receptor - Ctrl-C mid-upload over TCP: meshctl resets, receptor fails the unit (was: half-close, the unit ran)', async () => {
    const address = `tcp://127.0.0.1:${node.tcpPort}`;
    const r = await interrupt(address);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(new RegExp(`^meshctl: upload interrupted at byte \\d+ of the payload: work unit '${r.id}' will not run \\(hint: remove it with: meshctl -s ${address} work release ${r.id}\\)\\n$`));
    expect(r.st.StateName).toBe('Failed');
    expect(r.st.Detail).toMatch(/^Error reading input data: .*connection reset by peer$/);
  });

  it('receptor - Ctrl-C mid-upload over the Unix socket: receptor cannot tell, and the hint says so', async () => {
    const r = await interrupt(node.socketPath);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`(hint: over a Unix socket receptor cannot tell a cut payload from a whole one and may run it: check with meshctl -s ${node.socketPath} work status ${r.id})`);
    // receptor took the close for the payload's end: the unit started instead of failing.
    expect(r.st.StateName).not.toBe('Failed');
  });
});
