// Ctrl-C while following (the built binary, SIGINT sent to the process as a terminal would): following stops,
// the unit is left alone (still Running, visible to `work status`), the process exits 130 and stderr names the
// unit and the exact command that picks the output up again from where stdout stopped. With `--rm` the unit
// is released instead (receptorctl's `finally`), so there is nothing to pick up.
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/client/control-client.js';
import { WorkState } from '../../../src/protocol/types.js';
import { ensureBuilt } from '../../e2e/build.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { runCli, runPrinted, sha256File, unitStdout, waitFor, type CliRun } from './support.js';

// ~3 s of one line every 100 ms.
const TICKS = `-c 'for i in $(seq 1 30); do echo "tick $i"; sleep 0.1; done'`;

let node: TestNode;
let direct: ControlClient;
const units: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  node = await startTestNode({ workCommands: [{ worktype: 'ticks', command: 'sh', params: TICKS }] });
  direct = new ControlClient({ address: node.socketPath });
});

afterEach(async () => {
  for (const id of units.splice(0)) await direct.workRelease(id, { force: true }).catch(() => undefined);
});

afterAll(async () => {
  await direct?.close();
  await node?.close();
});

/** Starts `meshctl ...args` and resolves once its first output bytes arrived (stdout piped to this process). */
async function startFollowing(args: string[]): Promise<{ run: CliRun; out: () => Buffer }> {
  const run = runCli(['-s', node.socketPath, ...args], { stdout: 'pipe' });
  const chunks: Buffer[] = [];
  run.child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  await waitFor('the first line on stdout', () => (chunks.length > 0 ? true : undefined));
  return { run, out: () => Buffer.concat(chunks) };
}

async function newUnit(before: Set<string>): Promise<string> {
  const ids = await waitFor('the new unit', async () => {
    const fresh = Object.keys(await direct.workList()).filter((k) => !before.has(k));
    return fresh.length ? fresh : undefined;
  });
  expect(ids).toHaveLength(1);
  units.push(ids[0]!);
  return ids[0]!;
}

async function cliState(id: string): Promise<number> {
  const r = await runCli(['-s', node.socketPath, 'work', 'status', id, '--json']).done;
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout.toString()) as { State: number }).State;
}

describe('streaming - Ctrl-C while following', () => {
  it('interrupt - `work results`: exit 130, the unit keeps running, stderr names the unit and the resume command', async () => {
    const { unitid: id } = await direct.workSubmit({ workType: 'ticks' }, null);
    units.push(id);
    const { run, out } = await startFollowing(['work', 'results', id]);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    const got = out();
    // One line, the resume command as its hint; the offset is exactly what reached stdout.
    expect(r.stderr).toBe(
      `meshctl: stopped following unit '${id}' at byte ${got.length}; the unit is left alone ` +
        `(hint: pick up again with: meshctl -s ${node.socketPath} work results ${id} --start-pos ${got.length})\n`,
    );
    expect(await cliState(id)).toBe(WorkState.Running);
    // Issue 11 (resume hints dropped the -s ADDRESS the user typed): the printed command, run as printed with no
    // MESHCTL_SOCKET, reaches the node and completes the output.
    const hint = /\(hint: pick up again with: (meshctl .*)\)$/m.exec(r.stderr)![1]!;
    const rest = await runPrinted(hint).done;
    expect(rest.code, rest.stderr).toBe(0);
    const whole = createHash('sha256').update(got).update(rest.stdout).digest('hex');
    expect(whole).toBe(await sha256File(unitStdout(node, id)));
  });

  it('interrupt - `work submit --follow`: exit 130, the unit keeps running, stderr names the unit and the resume command', async () => {
    const before = new Set(Object.keys(await direct.workList()));
    const { run, out } = await startFollowing(['work', 'submit', 'ticks', '-n', '-f']);
    const id = await newUnit(before);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr, r.stderr).toContain(`meshctl -s ${node.socketPath} work results ${id} --start-pos ${out().length})`);
    expect(await cliState(id)).toBe(WorkState.Running);
  });

  it('interrupt - `work submit --follow --rm`: exit 130, the unit is released, no resume hint', async () => {
    const before = new Set(Object.keys(await direct.workList()));
    const { run } = await startFollowing(['work', 'submit', 'ticks', '-n', '-f', '--rm']);
    const id = await newUnit(before);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`released ${id}`);
    expect(r.stderr).not.toContain('--start-pos');
    const st = await runCli(['-s', node.socketPath, 'work', 'status', id]).done;
    expect(st.code).toBe(5);
    expect(st.stderr).toContain(`unknown work unit ${id}`);
  });
});
