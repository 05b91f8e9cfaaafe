// receptorctl (CLI and the Python ReceptorControl API, used the way AWX uses it) against a control service.
// The same suite runs against the real receptor (baseline: it must reproduce the recorded outputs in
// test/fixtures/receptor/receptorctl-cli.json) and against `meshctl node` started with the same settings
// (the embedded node must give receptorctl the same outcomes).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeers, runPython, runReceptorctl, type ProcessResult } from '../../helpers/receptor.js';
import { waitForState } from './raw.js';
import { unitIdPattern } from './transcripts.js';

export interface ControlTarget {
  nodeId: string;
  socketPath: string;
  tcpPort?: number;
  /** A directory of the target's own (for `<tmp>` in recorded argv). */
  dir: string;
  /** The Version string the target reports; receptorctl warns when it differs from its own. */
  version: string;
  stop(): Promise<void>;
}

interface CliCase {
  label: string;
  argv: string[];
  exitCode: number;
  stdout?: string;
  stderr?: string;
  stdin?: string;
}

const CLI_FIXTURE = fileURLToPath(new URL('../../fixtures/receptor/receptorctl-cli.json', import.meta.url));

/** Cases whose output depends on units left over by the recorder's earlier protocol sessions. */
const STATE_DEPENDENT = new Set(['work list (units present)', 'work list -q', 'work release --all', 'work list (after release --all)']);

export function loadCliCases(): CliCase[] {
  const doc = JSON.parse(readFileSync(CLI_FIXTURE, 'utf8')) as { cases: CliCase[] };
  return doc.cases;
}

const VERSION_WARNING = 'Warning: receptorctl and receptor are different versions, they may not be compatible\n';

/** Masks run-dependent parts of receptorctl output. */
export function maskCli(text: string, nodeId: string): string {
  return text
    .replace(unitIdPattern(nodeId), '<unit>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, '<time>')
    .replace(/"Time": "[^"]*"/g, '"Time": "<rfc3339>"')
    .replace(/in [0-9.]+(?:[µmn]?s|m[0-9.]+s)/g, 'in <dur>')
    .replace(/System Memory MiB: \d+/g, 'System Memory MiB: <n>')
    .replace(/System CPU Count: \d+/g, 'System CPU Count: <n>')
    .replace(/"SystemMemoryMiB": \d+/g, '"SystemMemoryMiB": <n>')
    .replace(/"SystemCPUCount": \d+/g, '"SystemCPUCount": <n>');
}

function outcome(r: ProcessResult, nodeId: string, dir: string, stripWarning: boolean) {
  let stderr = r.stderr.replaceAll(dir, '<tmp>');
  if (stripWarning) stderr = stderr.replace(VERSION_WARNING, '');
  return {
    exitCode: r.exitCode,
    stdout: maskCli(r.stdout.toString('utf8').replaceAll(dir, '<tmp>'), nodeId),
    stderr: maskCli(stderr, nodeId),
  };
}

export function defineReceptorctlSuite(title: string, start: () => Promise<ControlTarget>): void {
  describe(title, () => {
    let target: ControlTarget;
    beforeAll(async () => {
      requirePeers();
      target = await start();
    });
    afterAll(async () => {
      await target?.stop();
    });

    const cases = loadCliCases().filter((c) => !STATE_DEPENDENT.has(c.label));
    const recordedIds = new Map<string, string>();

    for (const c of cases) {
      it(`${title} - receptorctl ${c.label} gives the recorded output`, async () => {
        const liveSocketArg = (a: string) =>
          a
            .replace('<tmp>/ctl.sock', target.socketPath)
            .replace('<tmp>', target.dir)
            .replace('<port>', String(target.tcpPort ?? 1))
            .replace(unitIdPattern('foo-1'), (id) => recordedIds.get(id) ?? id);
        const argv = c.argv.map(liveSocketArg);
        // The recorder waited for the unit to finish before asking for its results; do the same.
        const unit = argv.find((a) => unitIdPattern(target.nodeId).test(a));
        if (unit && c.label !== 'work submit cat --payload-literal hi') await waitForState(target.socketPath, unit, [2, 3, 'gone']);
        const r = await runReceptorctl(argv, { stdin: c.stdin ?? '', timeoutMs: 60_000 });
        const expected = {
          exitCode: c.exitCode,
          stdout: maskCli(c.stdout ?? '', 'foo-1').replaceAll('foo-1', target.nodeId),
          stderr: maskCli(c.stderr ?? '', 'foo-1').replaceAll('foo-1', target.nodeId),
        };
        const actual = outcome(r, target.nodeId, target.dir, target.version !== '1.6.5');
        if (target.version !== '1.6.5') {
          expected.stdout = expected.stdout.replace(/(Version: |receptor {5})1\.6\.5/, `$1${target.version}`);
          expected.stdout = expected.stdout.replace(/"Version": "1\.6\.5"/, `"Version": "${target.version}"`);
        }
        expect(actual).toEqual(expected);
        // Chain the unit made by `work submit … --payload-literal hi` into the cases that use it.
        const recordedUnit = /Unit ID: (\S+)/.exec(c.stdout ?? '')?.[1];
        const liveUnit = /Unit ID: (\S+)/.exec(r.stdout.toString())?.[1];
        if (recordedUnit && liveUnit) recordedIds.set(recordedUnit, liveUnit);
      });
    }

    it(`${title} - receptorctl work release --all releases every unit and work list is then empty`, async () => {
      const sock = ['--socket', target.socketPath];
      for (const text of ['a', 'b']) {
        const r = await runReceptorctl([...sock, 'work', 'submit', 'cat', '-l', text]);
        expect(r.exitCode).toBe(0);
      }
      const list = await runReceptorctl([...sock, 'work', 'list', '-q']);
      const ids = list.stdout.toString().trim().split('\n').filter(Boolean);
      expect(ids.length).toBeGreaterThanOrEqual(2);
      for (const id of ids) await waitForState(target.socketPath, id, [2, 3, 4, 'gone']);
      const rel = await runReceptorctl([...sock, 'work', 'release', '--all']);
      expect(rel.exitCode).toBe(0);
      expect(rel.stdout.toString().split('\n').slice(1).filter(Boolean).sort()).toEqual(ids.map((id) => `(${id}, released)`).sort());
      const after = await runReceptorctl([...sock, 'work', 'list']);
      expect(after.stdout.toString()).toBe('{}\n');
    });

    it(`${title} - ReceptorControl used like AWX: socketpair payload, results socket, release reply`, async () => {
      const payload = randomBytes(3 * 1024 * 1024 + 17);
      const sha = createHash('sha256').update(payload).digest('hex');
      // AWX (awx/main/tasks/receptor.py): the payload comes from one end of a socketpair that a thread
      // fills and then shuts down for writing; results are read from the socket get_work_results returns.
      const py = `
import threading, hashlib, time
data = sys.stdin.buffer.read()
sockin, sockout = socket.socketpair()
def transmit():
    sockin.sendall(data)
    sockin.shutdown(socket.SHUT_WR)
t = threading.Thread(target=transmit); t.start()
rc = ReceptorControl(SOCKET)
res = rc.submit_work(worktype="cat", payload=sockout.makefile("rb"), node=None)
t.join(); sockin.close(); sockout.close()
unit = res["unitid"]
rc = ReceptorControl(SOCKET)
for _ in range(300):
    st = rc.simple_command(f"work status {unit}")
    if st["State"] in (2, 3): break
    time.sleep(0.1)
rsock, rfile = rc.get_work_results(unit, return_socket=True)
h = hashlib.sha256(); n = 0
while True:
    chunk = rfile.read(65536)
    if not chunk: break
    h.update(chunk); n += len(chunk)
rfile.close(); rsock.close()
rc = ReceptorControl(SOCKET)
status = rc.simple_command(f"work status {unit}")
released = rc.simple_command(f"work release {unit}")
try:
    rc.simple_command(f"work status {unit}")
    gone = None
except RuntimeError as e:
    gone = str(e)
try:
    rc.simple_command('{"command":"work","subcommand":"cancel","unitid":"nosuchunit"}')
    unknown = None
except RuntimeError as e:
    unknown = str(e)
st = rc.simple_command("status")
rc.close()
print(json.dumps({"submit": res, "unit": unit, "sha": h.hexdigest(), "n": n, "status": status, "released": released,
                  "gone": gone, "unknown": unknown, "statusKeys": sorted(st.keys()), "nodeId": st["NodeID"],
                  "workTypes": [w["WorkType"] for a in st["Advertisements"] if a["NodeID"] == st["NodeID"] for w in (a["WorkCommands"] or [])]}))
`;
      const r = await runPython(py, { socket: target.socketPath, stdin: payload, timeoutMs: 90_000 });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout.toString()) as Record<string, any>;
      expect(out.submit).toEqual({ result: 'Job Started', unitid: out.unit });
      expect(out.sha).toBe(sha);
      expect(out.n).toBe(payload.length);
      expect(out.status).toMatchObject({ State: 2, StateName: 'Succeeded', Detail: 'exit status 0', StdoutSize: payload.length, WorkType: 'cat', ExtraData: null });
      expect(out.released).toEqual({ released: out.unit });
      expect(out.gone).toBe(`unknown work unit ${out.unit}`);
      expect(out.unknown).toBe('unknown work unit nosuchunit');
      expect(out.statusKeys).toEqual(['Advertisements', 'Connections', 'KnownConnectionCosts', 'NodeID', 'RoutingTable', 'SystemCPUCount', 'SystemMemoryMiB', 'Version']);
      expect(out.nodeId).toBe(target.nodeId);
      expect(out.workTypes).toEqual(['cat', 'echo', 'fail', 'sleep']);
    });

    it(`${title} - ReceptorControl get_work_results of a failed unit streams its output and work status says Failed`, async () => {
      const py = `
import time
rc = ReceptorControl(SOCKET)
res = rc.submit_work(worktype="fail", payload=b"")
unit = res["unitid"]
rc = ReceptorControl(SOCKET)
f = rc.get_work_results(unit)
data = f.read()
f.close()
rc = ReceptorControl(SOCKET)
st = rc.simple_command(f"work status {unit}")
rc.simple_command(f"work release {unit}")
rc.close()
print(json.dumps({"data": data.decode(), "state": st["State"], "detail": st["Detail"], "size": st["StdoutSize"]}))
`;
      const r = await runPython(py, { socket: target.socketPath, timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout.toString())).toEqual({ data: 'failing\nto-stderr\n', state: 3, detail: 'exit status 3', size: 18 });
    });

    it(`${title} - ReceptorControl submit_work with params and an unknown work type`, async () => {
      const py = `
rc = ReceptorControl(SOCKET)
res = rc.submit_work(worktype="echo", payload="", params={"params": "from python"})
unit = res["unitid"]
rc = ReceptorControl(SOCKET)
f = rc.get_work_results(unit); data = f.read(); f.close()
rc = ReceptorControl(SOCKET)
try:
    rc.submit_work(worktype="nosuchtype", payload="")
    err = None
except RuntimeError as e:
    err = str(e)
rc = ReceptorControl(SOCKET)
rc.simple_command(f"work release {unit}")
print(json.dumps({"data": data.decode(), "err": err}))
`;
      const r = await runPython(py, { socket: target.socketPath, timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout.toString())).toEqual({ data: 'hello from python\n', err: 'Failed to start work unit: unknown work type nosuchtype' });
    });
  });
}
