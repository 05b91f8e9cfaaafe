// Issue 15, stage 1: meshctl nodes and receptor 1.6.5 nodes form one mesh, speaking receptor's netceptor wire
// protocol on every link. Three-node meshes of real processes, each started from the same Receptor YAML:
//   - a meshctl hop between receptors:   receptor controller → meshctl hop → receptor executor
//   - a receptor hop between meshctl nodes: meshctl controller → receptor hop → meshctl executor
// over tcp, tls (mutual), ws and udp. In each the hop listens for the controller and dials the executor's
// listener, so a meshctl node both dials and is dialled by a receptor. The two links have distinct costs, each
// configured alike at both ends (receptor drops a link whose ends disagree: netceptor.go runProtocol "we
// disagree about the connection cost").
// Checked: every node's status (connections, routes, known costs, adverts), ping and traceroute across the
// mixed hop, remote work through it (receptor→receptor work is QUIC over netceptor datagrams that the meshctl
// hop relays; meshctl→meshctl work rides end to end in data messages that the receptor hop forwards), the
// same status as an all-receptor mesh of the same shape (tcp), and nodes killed and restarted mid-stream (tcp).
// Streams between a receptor and a meshctl node (QUIC, issue 15 stage 2: a receptor controller's work on a meshctl
// executor, receptorctl reaching a meshctl node's control service) are mixed-streams.test.ts's.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshctlBin, requirePeers, runMeshctl, runReceptorctl, type WorkCommandSpec } from '../helpers/receptor.js';
import { rawCommand } from './support/raw.js';
import {
  adverts,
  connections,
  MixedMesh,
  spawnLive,
  tickerLines,
  waitFor,
  writeTicker,
  type Backend,
  type Kind,
  type MixedNode,
  type NodeStatus,
} from './support/mixed-mesh.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** controller–hop and hop–executor link costs: distinct, so a swapped or defaulted cost shows. */
const C1 = 1.5;
const C2 = 2.5;
const IDS = ['controller', 'hop', 'executor'] as const;
type Id = (typeof IDS)[number];

const EXPECTED_COSTS = { controller: { hop: C1 }, hop: { controller: C1, executor: C2 }, executor: { hop: C2 } };
const EXPECTED: Record<Id, { routes: Record<string, string>; connections: { NodeID: string; Cost: number }[] }> = {
  controller: { routes: { executor: 'hop', hop: 'hop' }, connections: [{ NodeID: 'hop', Cost: C1 }] },
  hop: {
    routes: { controller: 'controller', executor: 'executor' },
    connections: [
      { NodeID: 'controller', Cost: C1 },
      { NodeID: 'executor', Cost: C2 },
    ],
  },
  executor: { routes: { controller: 'hop', hop: 'hop' }, connections: [{ NodeID: 'hop', Cost: C2 }] },
};

/** The ticker: 200 lines, one every 100 ms (~20 s), long enough to kill and restart a node while it streams. */
const TICKS = 200;

const workCommands = (ticker: string): WorkCommandSpec[] => [
  { worktype: 'cat', command: 'cat' },
  { worktype: 'echo', command: 'echo', allowruntimeparams: true },
  { worktype: 'ticker', command: ticker },
];
const WORK_TYPES = ['cat', 'echo', 'ticker'];

type Kinds = Record<Id, Kind>;
const MESHCTL_HOP: Kinds = { controller: 'receptor', hop: 'meshctl', executor: 'receptor' };
const RECEPTOR_HOP: Kinds = { controller: 'meshctl', hop: 'receptor', executor: 'meshctl' };
const ALL_RECEPTOR: Kinds = { controller: 'receptor', hop: 'receptor', executor: 'receptor' };

interface Three {
  mesh: MixedMesh;
  controller: MixedNode;
  hop: MixedNode;
  executor: MixedNode;
}

/**
 * Starts executor, hop, controller back to back, listeners first: receptor sends its service adverts 5 s after
 * start and then only every 60 s, and a new link does not trigger one (netceptor.go sendServiceAds,
 * AddLocalServiceAdvertisement), so the links must be up within those 5 s for adverts to arrive quickly.
 */
async function startThree(backend: Backend, kinds: Kinds, tag: string, { adverts: withAdverts = true } = {}): Promise<Three> {
  requirePeers();
  const mesh = new MixedMesh(await mkdtemp(join(tmpdir(), `mixed-mesh-${tag}-`)), backend);
  try {
    const ticker = await writeTicker(join(mesh.root, 'ticker.sh'), TICKS, 0.1);
    const executor = await mesh.start(kinds.executor, 'executor', { listen: { cost: C2 }, workCommands: workCommands(ticker) });
    const hop = await mesh.start(kinds.hop, 'hop', { listen: { cost: C1 }, dial: [{ node: executor, cost: C2 }] });
    const controller = await mesh.start(kinds.controller, 'controller', { dial: [{ node: hop, cost: C1 }] });
    const three = { mesh, controller, hop, executor };
    await converged(three, 80_000, { adverts: withAdverts });
    return three;
  } catch (err) {
    await mesh.close();
    throw err;
  }
}

/**
 * Every node routes to the other two with the configured costs and (unless `adverts` is false) holds all three
 * control adverts. After a restart adverts are not waited for: the restarted node sends its own 5 s after start,
 * often before its peers have redialled it (receptor redials 5 s after a loss), and the next round is 60 s later.
 */
async function converged(t: Three, ms: number, { adverts: withAdverts = true } = {}): Promise<void> {
  for (const id of IDS) {
    let last: NodeStatus | undefined;
    await waitFor(
      `${id} (${t[id].kind}) to know the whole ${t.mesh.backend} mesh: routes, costs${withAdverts ? ', and the three control adverts' : ''}`,
      async () => {
        const st = (last = await t[id].status());
        const ads = adverts(st);
        const ready =
          JSON.stringify(sortKeys(st.RoutingTable ?? {})) === JSON.stringify(sortKeys(EXPECTED[id].routes)) &&
          JSON.stringify(sortDeep(st.KnownConnectionCosts)) === JSON.stringify(sortDeep(EXPECTED_COSTS)) &&
          (!withAdverts ||
            (IDS.every((n) => ads.some((a) => a.NodeID === n && a.Service === 'control')) &&
              ads.some((a) => a.NodeID === 'executor' && a.Service === 'control' && (a.WorkCommands?.length ?? 0) === WORK_TYPES.length)));
        return ready ? true : undefined;
      },
      ms,
      () => `last status of ${id}: ${JSON.stringify(last)}\n${t.mesh.logs()}`,
    );
  }
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

function sortDeep(o: Record<string, Record<string, number>> | null): Record<string, Record<string, number>> {
  return sortKeys(Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, sortKeys(v)])));
}

/** What an all-receptor mesh's status would show, without the per-run parts (advert times). */
function comparable(st: NodeStatus) {
  return {
    NodeID: st.NodeID,
    Connections: connections(st),
    RoutingTable: sortKeys(st.RoutingTable ?? {}),
    KnownConnectionCosts: sortDeep(st.KnownConnectionCosts),
    Advertisements: adverts(st),
  };
}

// The all-receptor mesh of the same shape, costs and work commands over tcp: the reference for "each side's
// status shows the other's nodes, routes and adverts exactly as an all-receptor mesh would" (issue 15).
let reference: Promise<Three> | undefined;
const allReceptor = (): Promise<Three> => (reference ??= startThree('tcp', ALL_RECEPTOR, 'reference'));

afterAll(async () => {
  if (reference) await (await reference.catch(() => undefined))?.mesh.close();
});

/** Hop indexes in order → the node that answered each. */
function traceHops(reply: string): string[] {
  const hops = JSON.parse(reply) as Record<string, { From: string; Error?: string }>;
  return Object.keys(hops)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => hops[k]!.From || `error: ${hops[k]!.Error}`);
}

async function expectPingAndTraceroute(t: Three): Promise<void> {
  for (const [from, to] of [
    ['controller', 'executor'],
    ['executor', 'controller'],
  ] as const) {
    const ping = JSON.parse(await rawCommand(t[from].sock, JSON.stringify({ command: 'ping', target: to }), 20_000)) as Record<string, unknown>;
    expect(ping, `ping ${to} from ${from} (${t[from].kind})\n${t.mesh.logs()}`).toMatchObject({ Success: true, From: to });
    // Receptor's traceroute: pings with HopsToLive 0, 1, 2, … each hop answering "message expired" (ping.go
    // CreateTraceroute); a mixed hop must count and expire hops as a receptor hop does.
    const trace = await rawCommand(t[from].sock, JSON.stringify({ command: 'traceroute', target: to }), 60_000);
    expect(traceHops(trace), `traceroute ${to} from ${from}: ${trace}\n${t.mesh.logs()}`).toEqual([from, 'hop', to]);
  }
}

/** Nodes still running; no receptor panicked or refused a link (the mis-wiring of issue 15 shows as either). */
function expectHealthy(t: Three): void {
  for (const id of IDS) {
    const n = t[id];
    expect({ id, running: n.running }, n.log()).toEqual({ id, running: true });
    if (n.kind === 'receptor') {
      expect(n.log(), `${id}'s receptor log`).not.toMatch(/panic|rejected connection|disagree about the connection cost|Giving up on connection initialization/);
    } else {
      expect(n.log(), `${id}'s meshctl node log`).not.toMatch(/rejected connection|netceptor protocol|Receptor's|protocol error/i);
    }
  }
}

const BACKENDS: Backend[] = ['tcp', 'tls', 'ws', 'udp'];

describe.each(BACKENDS)('mixed mesh over %s: receptor controller → meshctl hop → receptor executor', (backend) => {
  let t: Three;
  beforeAll(async () => {
    t = await startThree(backend, MESHCTL_HOP, `mhop-${backend}`);
  }, 150_000);
  afterAll(async () => {
    await t?.mesh.close();
  });

  it(`mixed mesh - ${backend}: both receptors and the meshctl hop show every node, route and link cost in status`, async () => {
    for (const id of IDS) {
      const st = await t[id].status();
      expect(st.NodeID).toBe(id);
      expect(t[id].process.spawnargs.some((a) => a.endsWith(t[id].kind === 'meshctl' ? 'meshctl.js' : 'receptor'))).toBe(true);
      expect({ id, connections: connections(st) }).toEqual({ id, connections: EXPECTED[id].connections });
      expect({ id, routes: sortKeys(st.RoutingTable ?? {}) }).toEqual({ id, routes: sortKeys(EXPECTED[id].routes) });
      expect({ id, costs: sortDeep(st.KnownConnectionCosts) }).toEqual({ id, costs: sortDeep(EXPECTED_COSTS) });
    }
  });

  it(`mixed mesh - ${backend}: the executor's control advert with its work commands reaches the controller through the meshctl hop, and the hop's reaches both`, async () => {
    for (const id of IDS) {
      const ads = adverts(await t[id].status());
      expect({ id, nodes: ads.filter((a) => a.Service === 'control').map((a) => a.NodeID) }).toEqual({ id, nodes: ['controller', 'executor', 'hop'] });
      const exec = ads.find((a) => a.NodeID === 'executor' && a.Service === 'control')!;
      expect(exec.WorkCommands).toEqual(WORK_TYPES.map((w) => ({ WorkType: w, Secure: false })));
      expect(exec.Tags).toEqual({ type: 'Control Service' });
      expect(exec.ConnType).toBe(1);
    }
  });

  it(`mixed mesh - ${backend}: ping and traceroute cross the meshctl hop both ways, listing controller, hop, executor`, async () => {
    await expectPingAndTraceroute(t);
  });

  it(`mixed mesh - ${backend}: receptorctl work submit --node executor -f --rm on the receptor controller returns a 300 KB payload byte for byte through the meshctl hop`, async () => {
    const payload = randomBytes(300 * 1024 + 7);
    const r = await runReceptorctl(['--socket', t.controller.sock, 'work', 'submit', 'cat', '--node', 'executor', '-p', '-', '-f', '--rm'], {
      stdin: payload,
      timeoutMs: 120_000,
    });
    expect(r.exitCode, `${r.stderr}\n${t.mesh.logs()}`).toBe(0);
    // --rm releases the unit after the results and prints "(<unit>, released)".
    const out = r.stdout;
    expect(sha256(out.subarray(0, payload.length))).toBe(sha256(payload));
    expect(out.subarray(payload.length).toString()).toMatch(/^\(controller\w{8}, released\)\n$/);
  });

  it(`mixed mesh - ${backend}: meshctl work submit --node executor --follow --rm on the receptor controller returns 1 MiB byte for byte through the meshctl hop`, async () => {
    const payload = randomBytes(1024 * 1024 + 3);
    const r = await runMeshctl(['-s', t.controller.sock, 'work', 'submit', 'cat', '--node', 'executor', '--follow', '--rm', '--payload', '-'], {
      stdin: payload,
      timeoutMs: 120_000,
    });
    expect(r.exitCode, `${r.stderr}\n${t.mesh.logs()}`).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(payload));
  });

  if (backend === 'tcp') {
    it('mixed mesh - tcp: each node shows the same status as the same node of an all-receptor mesh (routes, costs, connections, adverts)', async () => {
      const ref = await allReceptor();
      for (const id of IDS) expect(comparable(await t[id].status())).toEqual(comparable(await ref[id].status()));
    });
  }

  it(`mixed mesh - ${backend}: no node exited, no receptor panicked or refused a link, the meshctl hop logged no refusal`, () => {
    expectHealthy(t);
  });

  if (backend === 'tcp') {
    it('mixed mesh - tcp: the meshctl hop SIGKILLed mid-stream and restarted: the controller drops its routes, gets them back, and the remote unit streams every line once, in order', async () => {
      const follow = spawnLive(
        requirePeers().receptorctl,
        ['--socket', t.controller.sock, 'work', 'submit', 'ticker', '--node', 'executor', '--no-payload', '-f', '--rm'],
        180_000,
      );
      await waitFor('10 lines of the ticker on the controller', () => (follow.stdout().split('\n').length > 10 ? true : undefined), 60_000, () => `${follow.stderr()}\n${t.mesh.logs()}`);
      await t.hop.stop('SIGKILL');
      // Receptor drops a lost link's edges at once (netceptor.go runProtocol's deferred clean-up) and recomputes.
      await waitFor(
        "the controller's routes without hop and executor",
        async () => {
          const st = await t.controller.status();
          return !st.RoutingTable?.hop && !st.RoutingTable?.executor && (st.Connections ?? []).length === 0 ? true : undefined;
        },
        30_000,
        () => t.mesh.logs(),
      );
      await t.hop.start();
      // Receptor redials 5 s after a lost link (pkg/backends/utils.go dialerSession); the restarted hop has a new
      // epoch, and its routing updates must win over its old ones everywhere.
      await converged(t, 60_000, { adverts: false });
      // The unit's QUIC connection (controller ↔ executor, end to end) either resumes through the new hop or, when
      // quic-go gave up on it during the outage, times out after 30 s of silence (conn.go MaxIdleTimeout) and
      // receptor's remote work reconnects and fetches the rest from its offset (workceptor remote_work.go). An
      // all-receptor mesh does both, run to run; either way the follow must end with every line once.
      const end = await follow.done;
      expect(end, `stderr: ${follow.stderr()}\n${t.mesh.logs()}`).toMatchObject({ exitCode: 0, timedOut: false });
      const out = follow.stdout();
      const results = out.slice(0, out.lastIndexOf('('));
      expect(results).toBe(tickerLines(TICKS));
      expect(out.slice(results.length)).toMatch(/^\(controller\w{8}, released\)\n$/);
      await expectPingAndTraceroute(t);
    }, 180_000);
  }
});

// Adverts cross the receptor hop on every backend. A meshctl node once flooded its own adverts 100 ms after start,
// where receptor waits 5 s (netceptor.go sendServiceAds, AddLocalServiceAdvertisement) and hands a new link no
// advert: the meshctl executor's advert reached the receptor hop before the controller had connected, and the
// controller got it only in the executor's next round, 60 s later. A meshctl node now waits receptor's 5 s too.
describe.each(BACKENDS)('mixed mesh over %s: meshctl controller → receptor hop → meshctl executor', (backend) => {
  let t: Three;
  beforeAll(async () => {
    t = await startThree(backend, RECEPTOR_HOP, `rhop-${backend}`);
  }, 150_000);
  afterAll(async () => {
    await t?.mesh.close();
  });

  it(`mixed mesh - ${backend}: both meshctl nodes and the receptor hop show every node, route and link cost in status`, async () => {
    for (const id of IDS) {
      const st = await t[id].status();
      expect(st.NodeID).toBe(id);
      expect(t[id].process.spawnargs.some((a) => a.endsWith(t[id].kind === 'meshctl' ? 'meshctl.js' : 'receptor'))).toBe(true);
      expect({ id, connections: connections(st) }).toEqual({ id, connections: EXPECTED[id].connections });
      expect({ id, routes: sortKeys(st.RoutingTable ?? {}) }).toEqual({ id, routes: sortKeys(EXPECTED[id].routes) });
      expect({ id, costs: sortDeep(st.KnownConnectionCosts) }).toEqual({ id, costs: sortDeep(EXPECTED_COSTS) });
    }
  });

  it(`mixed mesh - ${backend}: the meshctl executor's control advert with its work commands reaches the meshctl controller through the receptor hop, and the hop's reaches both`, async () => {
    for (const id of IDS) {
      const ads = adverts(await t[id].status());
      expect({ id, nodes: ads.filter((a) => a.Service === 'control').map((a) => a.NodeID) }).toEqual({ id, nodes: ['controller', 'executor', 'hop'] });
      const exec = ads.find((a) => a.NodeID === 'executor' && a.Service === 'control')!;
      expect(exec.WorkCommands).toEqual(WORK_TYPES.map((w) => ({ WorkType: w, Secure: false })));
      expect(exec.Tags).toEqual({ type: 'Control Service' });
      expect(exec.ConnType).toBe(1);
    }
  });

  it(`mixed mesh - ${backend}: ping and traceroute cross the receptor hop both ways, listing controller, hop, executor`, async () => {
    await expectPingAndTraceroute(t);
    const p = await runMeshctl(['-s', t.controller.sock, 'ping', 'executor', '--count', '1', '--json'], { timeoutMs: 60_000 });
    expect(p.exitCode, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout.toString())[0]).toMatchObject({ From: 'executor', Success: true });
  });

  it(`mixed mesh - ${backend}: meshctl work submit --node executor --follow --rm returns 1 MiB byte for byte through the receptor hop`, async () => {
    const payload = randomBytes(1024 * 1024 + 5);
    const r = await runMeshctl(['-s', t.controller.sock, 'work', 'submit', 'cat', '--node', 'executor', '--follow', '--rm', '--payload', '-'], {
      stdin: payload,
      timeoutMs: 120_000,
    });
    expect(r.exitCode, `${r.stderr}\n${t.mesh.logs()}`).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(payload));
  });

  it(`mixed mesh - ${backend}: receptorctl work submit --node executor -f --rm on the meshctl controller returns 1 MiB byte for byte through the receptor hop`, async () => {
    const payload = randomBytes(1024 * 1024 + 9);
    const r = await runReceptorctl(['--socket', t.controller.sock, 'work', 'submit', 'cat', '--node', 'executor', '-p', '-', '-f', '--rm'], {
      stdin: payload,
      timeoutMs: 120_000,
    });
    expect(r.exitCode, `${r.stderr}\n${t.mesh.logs()}`).toBe(0);
    const out = r.stdout;
    expect(sha256(out.subarray(0, payload.length))).toBe(sha256(payload));
    expect(out.subarray(payload.length).toString()).toMatch(/^\(controller\w{8}, released\)\n$/);
  });

  if (backend === 'tcp') {
    it('mixed mesh - tcp: each node shows the same status as the same node of an all-receptor mesh (routes, costs, connections, adverts)', async () => {
      const ref = await allReceptor();
      for (const id of IDS) expect(comparable(await t[id].status())).toEqual(comparable(await ref[id].status()));
    });
  }

  it(`mixed mesh - ${backend}: no node exited, no receptor panicked or refused a link, no meshctl node logged a refusal`, () => {
    expectHealthy(t);
  });

  if (backend === 'tcp') {
    it('mixed mesh - tcp: the receptor hop SIGKILLed mid-stream and restarted on the same port: meshctl work submit --follow ends with every line exactly once, in order', async () => {
      const follow = spawnLive(
        process.execPath,
        [meshctlBin(), '-s', t.controller.sock, 'work', 'submit', 'ticker', '--node', 'executor', '--no-payload', '--follow', '--rm'],
        180_000,
      );
      await waitFor('10 lines of the ticker on the controller', () => (follow.stdout().split('\n').length > 10 ? true : undefined), 60_000, () => `${follow.stderr()}\n${t.mesh.logs()}`);
      await t.hop.stop('SIGKILL');
      await waitFor(
        "the meshctl controller's routes without hop and executor",
        async () => {
          const st = await t.controller.status();
          return !st.RoutingTable?.hop && !st.RoutingTable?.executor && (st.Connections ?? []).length === 0 ? true : undefined;
        },
        30_000,
        () => t.mesh.logs(),
      );
      await t.hop.start();
      // The restarted receptor has a new epoch (netceptor.go NewWithConsts); the meshctl nodes must take its
      // updates over the dead run's, or their routes never come back.
      await converged(t, 60_000, { adverts: false });
      const end = await follow.done;
      expect(end, `stderr: ${follow.stderr()}\n${t.mesh.logs()}`).toMatchObject({ exitCode: 0, timedOut: false });
      expect(follow.stdout()).toBe(tickerLines(TICKS));
      await expectPingAndTraceroute(t);
    }, 180_000);

    it('mixed mesh - tcp: the meshctl executor SIGKILLed and restarted: the receptor hop takes its new epoch and forwards its routing updates to the meshctl controller again', async () => {
      await t.executor.stop('SIGKILL');
      // The receptor hop floods an update without the executor; the controller then deletes the executor's edges
      // (netceptor.go handleRoutingUpdate deletes the reverse edges of nodes an update no longer lists).
      await waitFor(
        "the controller's status without the executor",
        async () => {
          const st = await t.controller.status();
          return !st.RoutingTable?.executor && !st.KnownConnectionCosts?.executor?.hop && !st.KnownConnectionCosts?.hop?.executor ? true : undefined;
        },
        30_000,
        () => t.mesh.logs(),
      );
      await t.executor.start();
      // The executor's own row (executor → hop) reaches the controller only in the executor's routing updates,
      // which the receptor hop floods on only if it took them as newer than the dead run's (handleRoutingUpdate
      // returns before flood for an older epoch).
      await converged(t, 60_000, { adverts: false });
      const st = await t.controller.status();
      expect(sortDeep(st.KnownConnectionCosts)).toEqual(sortDeep(EXPECTED_COSTS));
      const r = await runMeshctl(['-s', t.controller.sock, 'work', 'submit', 'echo', '--node', 'executor', '-f', '--rm', '-n', '--param', 'params=back again'], {
        timeoutMs: 120_000,
      });
      expect([r.exitCode, r.stdout.toString()], `${r.stderr}\n${t.mesh.logs()}`).toEqual([0, 'back again\n']);
    }, 180_000);
  }
});
