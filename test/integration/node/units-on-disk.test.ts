// Many units on disk (issue 12, "Shutdown and start grow with the units on disk"): meshctl node used to read
// every status file, one await at a time, before its control socket opened (about 2 s for 10k units), and its
// shutdown grew with the units too (an AbortController aborted per idle unit; before that, every status file
// re-saved). Now the control service answers while the units load in the background, `work list` waits for
// the load so it is never partial (receptor 1.6.5's list during its load is: it names only the units scanned
// so far), a unit not loaded yet is loaded on demand, and shutdown writes nothing. These tests pin that
// behaviour on 10k real status files in receptor's layout; none asserts on time.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkCommandConfig } from '../../../src/config/types.js';
import { StreamLogger } from '../../../src/node/logger.js';
import { Workceptor } from '../../../src/node/work/workceptor.js';
import { cliBuilt, spawnTestNode, startTestNode } from '../../helpers/node.js';
import { exchange, RawConn } from './raw-client.js';

const UNITS = 10_000;
const NODE_ID = 'diskful';
const CAT: WorkCommandConfig = { worktype: 'cat', command: 'cat', params: '', allowruntimeparams: false, verifysignature: false, source: { section: 'work-command', index: 1, canonical: '' } };

let root: string;
/** `<root>/data/<NODE_ID>`: the units every test starts from (tests add their own and release some). */
let unitsDir: string;

/** A unit directory as receptor 1.6.5 leaves a finished command unit: 0700, status (ExtraData null), status.lock, stdout. */
function writeUnit(id: string, status: Record<string, unknown>, stdout = ''): void {
  const dir = path.join(unitsDir, id);
  mkdirSync(dir, { mode: 0o700 });
  // StatusFileData's fields in declaration order, marshalled compactly, plus a newline (written by hand here,
  // not with the node's encoder).
  const s = { State: status.State, Detail: status.Detail, StdoutSize: status.StdoutSize ?? stdout.length, WorkType: status.WorkType, ExtraData: status.ExtraData ?? null };
  writeFileSync(path.join(dir, 'status'), JSON.stringify(s) + '\n', { mode: 0o600 });
  writeFileSync(path.join(dir, 'status.lock'), '', { mode: 0o600 });
  if (stdout !== '') writeFileSync(path.join(dir, 'stdout'), stdout, { mode: 0o600 });
}

const unitId = (i: number): string => `${NODE_ID}u${String(i).padStart(6, '0')}`;

async function onDisk(): Promise<string[]> {
  return (await readdir(unitsDir)).sort();
}

async function ask(socket: string, line: string): Promise<Record<string, any>> {
  const [reply] = await exchange(socket, `${line}\n`);
  if (!reply?.startsWith('{')) throw new Error(`${line}: ${reply}`);
  return JSON.parse(reply) as Record<string, any>;
}

function capture(): { logger: StreamLogger; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return { logger: new StreamLogger(out, 'debug'), text: () => text };
}

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'meshctl-units-'));
  unitsDir = path.join(root, 'data', NODE_ID);
  mkdirSync(unitsDir, { recursive: true, mode: 0o700 });
  for (let i = 0; i < UNITS; i++) {
    const ok = i % 10 !== 0;
    writeUnit(unitId(i), { State: ok ? 2 : 3, Detail: ok ? 'exit status 0' : 'exit status 1', WorkType: 'cat' }, ok ? `unit ${i}\n` : '');
  }
}, 180_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('units on disk', () => {
  it('units on disk - a unit asked for before the load reaches it is loaded once; a release then is not undone by the load', async () => {
    const before = await onDisk();
    const { logger, text } = capture();
    const work = new Workceptor({ nodeId: NODE_ID, dataDir: path.join(root, 'data'), workCommands: [CAT], logger });
    await work.init();
    // The load waits a turn before its first slice: no unit is loaded yet when these are asked.
    const last = unitId(UNITS - 1);
    const gone = unitId(UNITS - 2);
    const listed = work.listIds();
    const [a, b, g] = await Promise.all([work.find(last), work.find(last), work.find(gone)]);
    expect(b).toBe(a);
    expect(a.reply()).toEqual({ State: 2, StateName: 'Succeeded', Detail: 'exit status 0', StdoutSize: `unit ${UNITS - 1}\n`.length, WorkType: 'cat', ExtraData: null });
    expect(await work.release(g, false)).toBe('done');
    // A work list asked for before any unit was loaded names every unit on disk (less the one released
    // meanwhile or not, whichever came first; never a partial list).
    const ids = await listed;
    expect(ids.length).toBeGreaterThanOrEqual(before.length - 1);
    expect(new Set(ids).size).toBe(ids.length);
    const after = (await work.listIds()).sort();
    expect(after).toEqual(before.filter((id) => id !== gone));
    // The load skipped the unit found first (same object) and did not bring the released one back, nor
    // look for its status file.
    expect(await work.find(last)).toBe(a);
    expect(text()).not.toContain(`Status file has disappeared for ${gone}`);
    await expect(work.find(gone)).rejects.toThrow(`unknown work unit ${gone}`);
    // An ID on disk that the load has not been asked about cannot be taken by a submit.
    await expect(work.allocate('cat', {}, unitId(3))).rejects.toThrow(`workunit ID ${unitId(3)} is already in use`);
    await work.close();
    expect(await onDisk()).toEqual(before.filter((id) => id !== gone));
  }, 120_000);

  it('units on disk - status answers while 10k units load; work list and the status of a restarting unit wait for the load', async () => {
    // A kube unit left Running restarts by reconnecting (kube-unit.ts restart → connectToKube), which for
    // authmethod incluster reads the service-account token. The token is a FIFO here, so the load cannot end
    // until the test writes it: whatever answers before then did not wait for the load.
    const fifo = path.join(root, 'token');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const kubeId = `${NODE_ID}kube0001`;
    writeUnit(kubeId, {
      State: 1,
      Detail: 'Running',
      WorkType: 'kin',
      ExtraData: { Image: 'centos:8', Command: 'echo', Params: 'hi', KubeNamespace: 'default', KubeConfig: '', KubePod: '', PodName: 'kin-abc' },
    });
    const before = await onDisk();
    let gateOpen = false;
    const openGate = async (): Promise<void> => {
      // The reader may not have reached the FIFO yet (ENXIO until it opens it): retry until it has.
      for (let tries = 0; !gateOpen; tries++) {
        try {
          const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
          writeSync(fd, 'token');
          closeSync(fd);
          gateOpen = true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || tries > 600) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const node = await startTestNode({
      dir: root,
      nodeId: NODE_ID,
      workCommands: [{ worktype: 'cat', command: 'cat' }],
      extraYaml: '- work-kubernetes:\n    worktype: kin\n    namespace: default\n    image: centos:8\n    command: echo\n    params: hi\n',
      startOptions: { kubeEnv: { env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443' }, tokenFile: fifo } },
    });
    try {
      // The list and the kube unit's status are asked before the gate opens.
      const list = await RawConn.connect(node.socketPath);
      list.send('work list\n');
      const kube = await RawConn.connect(node.socketPath);
      kube.send(`work status ${kubeId}\n`);
      // These answer while the load cannot finish.
      const st = await ask(node.socketPath, 'status');
      expect(st.NodeID).toBe(NODE_ID);
      expect(await ask(node.socketPath, `work status ${unitId(UNITS - 1)}`)).toMatchObject({ StateName: 'Succeeded', Detail: 'exit status 0' });
      expect(await ask(node.socketPath, `work status ${unitId(0)}`)).toMatchObject({ StateName: 'Failed', Detail: 'exit status 1' });
      expect(gateOpen).toBe(false);
      await openGate();
      // Both waited for the kube unit's restart: it is Failed, as receptor fails a kube unit it cannot reconnect.
      const restarted = JSON.parse(await kube.readLine(60_000)) as Record<string, unknown>;
      expect(restarted).toMatchObject({ StateName: 'Failed', WorkType: 'kin' });
      expect(restarted.Detail).toMatch(/^Failed to restart: /);
      const units = JSON.parse(await list.readLine(60_000)) as Record<string, Record<string, unknown>>;
      expect(Object.keys(units).sort()).toEqual(before);
      expect(units[kubeId]).toEqual(restarted);
      expect(units[unitId(7)]).toMatchObject({ StateName: 'Succeeded', StdoutSize: 'unit 7\n'.length, ExtraData: null });
      list.close();
      kube.close();
    } finally {
      if (!gateOpen) await openGate().catch(() => undefined);
      await node.close();
      await rm(path.join(unitsDir, kubeId), { recursive: true, force: true });
      await rm(fifo, { force: true });
    }
  }, 180_000);

  it.runIf(cliBuilt())('units on disk - SIGTERM with 10k units on disk writes no status file', async () => {
    // Besides the finished units: one left Pending and one left Running whose program is gone; both are
    // failed (and written) at start, as receptor does, and not again at shutdown.
    writeUnit(`${NODE_ID}pend0001`, { State: 0, Detail: 'Unit Created', WorkType: 'cat', ExtraData: { Pid: 0, Params: '' } });
    writeUnit(`${NODE_ID}runs0001`, { State: 1, Detail: 'Running: PID 999999', WorkType: 'cat', ExtraData: { Pid: 999999, Params: '' } });
    const ids = await onDisk();
    const node = await spawnTestNode({ via: 'cli', dir: root, nodeId: NODE_ID, workCommands: [{ worktype: 'cat', command: 'cat' }] });
    let code: number | null;
    const stamps = new Map<string, bigint>();
    try {
      const units = await ask(node.socketPath, 'work list');
      expect(Object.keys(units).sort()).toEqual(ids);
      expect(units[`${NODE_ID}pend0001`]).toMatchObject({ StateName: 'Failed', Detail: 'Pending at restart' });
      expect(units[`${NODE_ID}runs0001`]).toMatchObject({ StateName: 'Failed' });
      for (const id of ids) stamps.set(id, (await stat(path.join(unitsDir, id, 'status'), { bigint: true })).mtimeNs);
    } finally {
      code = await node.close();
    }
    expect(code).toBe(0);
    const changed: string[] = [];
    for (const id of ids) {
      const dir = path.join(unitsDir, id);
      if ((await stat(path.join(dir, 'status'), { bigint: true })).mtimeNs !== stamps.get(id)) changed.push(id);
      if ((await readdir(dir)).some((f) => f !== 'status' && f !== 'status.lock' && f !== 'stdout')) changed.push(`${id} (new file)`);
    }
    expect(changed).toEqual([]);
  }, 180_000);
});
