// Issue 15, stage 1 groundwork: the netceptor codec (src/protocol/netceptor) speaks receptor 1.6.5's backend
// wire protocol. A raw connection from this test plays a node named `meshctl-probe` with the codec alone, and
// receptor's own `status`, `ping` and `traceroute` show that it took the probe for a receptor node.
// Also pins the crash the issue reports: a zero-length frame (what meshctl's own link protocol's length word
// begins with) makes receptor 1.6.5 panic in runProtocol.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  decodeMessage,
  decodeUnreachable,
  encodeData,
  encodeRoutingUpdate,
  encodeServiceAdvertisement,
  encodeStreamFrame,
  encodeUnreachable,
  formatGoTime,
  NameTable,
  nodeNameHash,
  StreamDeframer,
  LinkHandshake,
  type DataMessage,
  type LinkEvent,
  type NetceptorMessage,
  type RoutingUpdate,
  type ServiceAdvertisement,
} from '../../src/protocol/netceptor/index.js';
import { encodeFrame, FrameType } from '../../src/node/mesh/wire/frame.js';
import type { FrameTransport } from '../../src/node/mesh/transport/frame-transport.js';
import { dialUdp as dialUdpTransport, listenUdp } from '../../src/node/mesh/transport/udp.js';
import { dialWs as dialWsTransport, listenWs } from '../../src/node/mesh/transport/ws.js';
import { makeTestPki } from '../helpers/certs.js';
import { freePort, requirePeers, runProgram, runReceptorctl, startReceptor, type RunningReceptor } from '../helpers/receptor.js';
import { rawCommand } from './support/raw.js';

const PROBE = 'meshctl-probe';

interface Status {
  Connections: { NodeID: string; Cost: number }[] | null;
  RoutingTable: Record<string, string>;
  KnownConnectionCosts: Record<string, Record<string, number>>;
  Advertisements: { NodeID: string; Service: string; ConnType: number; Tags: Record<string, string> | null }[] | null;
}

const status = async (r: RunningReceptor) => JSON.parse(await rawCommand(r.socketPath, '{"command":"status"}')) as Status;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000, log?: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${log ? `\n${log()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until receptor `r` routes to the probe; its only connection is the probe at `cost`; `ping`: it pings the probe. */
async function expectProbeJoined(r: RunningReceptor, cost: number, { ping = false } = {}): Promise<Status> {
  const st = await until(
    'receptor status with the probe',
    async () => {
      const s = await status(r);
      return s.RoutingTable[PROBE] ? s : undefined;
    },
    30_000,
    r.log,
  );
  expect(st.Connections).toEqual([{ NodeID: PROBE, Cost: cost }]);
  if (ping) {
    const reply = JSON.parse(await rawCommand(r.socketPath, JSON.stringify({ command: 'ping', target: PROBE }))) as Record<string, unknown>;
    expect(reply).toMatchObject({ Success: true, From: PROBE });
  }
  return st;
}

/**
 * The node the test plays, `meshctl-probe`, with the codec alone: its links, its name table, its routing
 * updates (listing every link at its cost), ping answers, and (as a hop) receptor's relaying rules:
 * re-flood each new routing update with ForwardingNode set to us, re-flood adverts, forward data to the
 * next hop with one hop less, answer `message expired` when none is left (netceptor.go handleRoutingUpdate,
 * handleServiceAdvertisement, forwardMessage).
 */
class ProbeNode {
  readonly links: Probe[] = [];
  readonly names: NameTable;

  constructor(readonly name = PROBE) {
    this.names = new NameTable(name);
  }
  private seq = 0n;
  readonly epoch = BigInt(Math.floor(Date.now() / 1000)) * (1n << 24n) + BigInt(randomBytes(3).readUIntBE(0, 3));
  private readonly seen = new Set<string>();

  connections(costOverride?: number): Record<string, number> {
    const c: Record<string, number> = {};
    for (const l of this.links) if (l.remote && !l.closed) c[l.remote] = costOverride ?? l.cost;
    return c;
  }

  routeUpdate(costOverride?: number): Buffer {
    this.seq++;
    return encodeRoutingUpdate({
      NodeID: this.name,
      UpdateID: randomBytes(6).toString('base64url').slice(0, 8),
      UpdateEpoch: this.epoch,
      UpdateSequence: this.seq,
      Connections: this.connections(costOverride),
      ForwardingNode: this.name,
      SuspectedDuplicate: 0n,
    });
  }

  floodRoutes(): void {
    for (const l of this.links) l.send(this.routeUpdate());
  }

  handle(from: Probe, m: NetceptorMessage, raw: Buffer): void {
    if (m.type === 'route' && m.NodeID && m.NodeID !== this.name) {
      this.names.add(m.NodeID);
      if (this.seen.has(m.UpdateID)) return;
      this.seen.add(m.UpdateID);
      const fwd = encodeRoutingUpdate({ ...m, ForwardingNode: this.name });
      for (const l of this.links) if (l !== from) l.send(fwd);
    }
    if (m.type === 'advert') for (const l of this.links) if (l !== from) l.send(raw);
    if (m.type !== 'data') return;
    const to = this.names.lookup(m.toNodeHash);
    if (to === this.name) {
      // Receptor's handlePing: an empty datagram back from service `ping` to the sender's service.
      if (m.toService === 'ping' && from.answerPings) this.sendData(this.names.lookup(m.fromNodeHash)!, 'ping', m.fromService, Buffer.alloc(0));
      return;
    }
    if (m.hopsToLive === 0) {
      if (m.fromService !== 'unreach') {
        const src = this.names.lookup(m.fromNodeHash)!;
        const body = encodeUnreachable({ FromNode: src, ToNode: to ?? '', FromService: m.fromService, ToService: m.toService, Problem: 'message expired' });
        this.sendData(src, 'unreach', 'unreach', body);
      }
      return;
    }
    const next = this.links.find((l) => l.remote === to && !l.closed);
    if (!next) return;
    const out = Buffer.from(raw);
    out[1] = m.hopsToLive - 1;
    next.send(out);
  }

  /** Sends a datagram from this node: like receptor, our own send counts as the first forward. */
  sendData(toNode: string, fromService: string, toService: string, data: Buffer, hops = 30): void {
    // A direct peer, else (as a leaf) the one link there is.
    const next = this.links.find((l) => l.remote === toNode && !l.closed) ?? this.links.find((l) => !l.closed);
    next?.send(encodeData({ hopsToLive: hops - 1, fromNodeHash: this.names.add(this.name), toNodeHash: this.names.add(toNode), fromService, toService, data }));
  }
}

/** One netceptor connection of the probe node: a byte pipe (tcp, ws or udp) and the codec. */
class Probe {
  readonly received: NetceptorMessage[] = [];
  readonly raw: Buffer[] = [];
  /** The bytes as they came off a stream backend (tcp, tls). */
  readonly stream: Buffer[] = [];
  remote = '';
  closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** Answer pings arriving on this link. */
  answerPings = true;
  /** Send nothing in answer (no routing update when the peer names itself). */
  passive = false;
  /** Our side of receptor's link rules (src/protocol/netceptor/handshake.ts), fed everything received. */
  readonly handshake: LinkHandshake;
  readonly events: LinkEvent[] = [];

  constructor(
    private readonly sendRaw: (msg: Buffer) => void,
    private readonly closeRaw: () => void,
    readonly cost: number,
    readonly node = new ProbeNode(),
  ) {
    node.links.push(this);
    this.handshake = new LinkHandshake(node.name, { cost }, () => true);
  }

  get names(): NameTable {
    return this.node.names;
  }

  onMessage(msg: Buffer): void {
    this.raw.push(msg);
    this.events.push(this.handshake.receive(msg));
    const m = decodeMessage(msg);
    this.received.push(m);
    if (m.type === 'route' && m.ForwardingNode && !this.remote) {
      // The handshake: the first routing update names the peer (its ForwardingNode); we answer with ours.
      this.remote = m.ForwardingNode;
      this.names.add(this.remote);
      if (!this.passive) this.node.floodRoutes();
    }
    this.node.handle(this, m, msg);
  }

  send(msg: Buffer): void {
    if (!this.closed) this.sendRaw(msg);
  }

  /** Our routing update on this link (costOverride: announce another cost than the link's). */
  sendRoute(costOverride?: number): void {
    this.send(this.node.routeUpdate(costOverride));
  }

  /**
   * Sends updates every second until the peer lists us, then every 5 s: receptor drops a link that
   * receives nothing for 21 s (maxConnectionIdleTime), and routing updates are its only keepalive.
   */
  start(): void {
    this.sendRoute();
    const tick = () => {
      this.sendRoute();
      this.timer = setTimeout(tick, this.routesFrom(this.remote).some((r) => this.node.name in r.Connections) ? 5_000 : 1_000);
    };
    this.timer = setTimeout(tick, 1_000);
  }

  sendData(toNode: string, fromService: string, toService: string, data: Buffer, hops = 30): void {
    this.node.sendData(toNode, fromService, toService, data, hops);
  }

  routesFrom(node: string): RoutingUpdate[] {
    return this.received.filter((m): m is { type: 'route' } & RoutingUpdate => m.type === 'route' && m.NodeID === node);
  }

  adverts(): ServiceAdvertisement[] {
    return this.received.filter((m): m is { type: 'advert' } & ServiceAdvertisement => m.type === 'advert');
  }

  data(): DataMessage[] {
    return this.received.filter((m): m is DataMessage => m.type === 'data');
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.closed = true;
    this.closeRaw();
  }
}

function tcpProbe(sock: Socket | Duplex, cost: number, node?: ProbeNode): Probe {
  const d = new StreamDeframer();
  const p = new Probe(
    (m) => sock.write(encodeStreamFrame(m)),
    () => sock.destroy(),
    cost,
    node,
  );
  sock.on('data', (chunk: Buffer) => {
    p.stream.push(chunk);
    for (const m of d.push(chunk)) p.onMessage(m);
  });
  sock.on('close', () => (p.closed = true));
  sock.on('error', () => (p.closed = true));
  return p;
}

async function dialTcp(port: number, cost: number, node?: ProbeNode): Promise<Probe> {
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  return tcpProbe(sock, cost, node);
}

async function dialWs(port: number, cost: number): Promise<Probe> {
  // The node's ws-peer transport: one netceptor message per binary WebSocket message (websockets.go).
  return transportProbe(await dialWsTransport({ url: `ws://127.0.0.1:${port}/` }), cost);
}

/** A probe over one of the node's own transports (src/node/mesh/transport): what is proven is what ships. */
function transportProbe(t: FrameTransport, cost: number): Probe {
  const p = new Probe((m) => t.send(m), () => t.destroy(), cost);
  t.start({ message: (m) => p.onMessage(m), drain: () => undefined, close: () => (p.closed = true) });
  return p;
}

async function dialUdp(port: number, cost: number): Promise<Probe> {
  // The node's udp-peer transport: a connected socket, one netceptor message per datagram (udp.go).
  return transportProbe(await dialUdpTransport({ address: `127.0.0.1:${port}` }), cost);
}

describe('netceptor wire vs receptor 1.6.5', () => {
  const nodes: RunningReceptor[] = [];
  const probes: Probe[] = [];
  const servers: Server[] = [];
  const closers: (() => Promise<void>)[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const p of probes.splice(0)) p.close();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    for (const c of closers.splice(0)) await c();
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  const start = async (opts: Parameters<typeof startReceptor>[0]) => {
    requirePeers();
    const r = await startReceptor(opts);
    nodes.push(r);
    return r;
  };

  it('netceptor wire - a probe dialing a tcp-listener is a connection at the announced cost, its routes, adverts, pings and unreachables work both ways', async () => {
    const r = await start({ nodeId: 'rcpt', tcpListener: { cost: 2.5 } });
    const p = await dialTcp(r.listenerPort!, 2.5);
    probes.push(p);
    p.start();

    // Receptor speaks first on a new session: its initial routing update (sendInitialConnectMessage),
    // NodeID and ForwardingNode its own ID.
    const first = await until('receptor initial routing update', () => p.received[0], 15_000, r.log);
    expect(first).toMatchObject({ type: 'route', NodeID: 'rcpt', ForwardingNode: 'rcpt', SuspectedDuplicate: 0n });
    expect(p.raw[0]![0]).toBe(1);
    expect(typeof (first as RoutingUpdate).UpdateEpoch).toBe('bigint');
    expect((first as RoutingUpdate).UpdateEpoch > 1n << 53n).toBe(true); // beyond a JS number: kept exact

    // Receptor then floods an update listing the probe at the listener's cost.
    await until('receptor routing update listing the probe', () => p.routesFrom('rcpt').find((u) => u.Connections[PROBE] === 2.5), 30_000, r.log);

    const st = await until(
      'receptor status with the probe',
      async () => {
        const s = await status(r);
        return s.RoutingTable[PROBE] && s.KnownConnectionCosts[PROBE]?.rcpt ? s : undefined;
      },
      30_000,
      r.log,
    );
    expect(st.Connections).toEqual([{ NodeID: PROBE, Cost: 2.5 }]);
    expect(st.RoutingTable).toEqual({ [PROBE]: PROBE });
    expect(st.KnownConnectionCosts).toEqual({ rcpt: { [PROBE]: 2.5 }, [PROBE]: { rcpt: 2.5 } });

    // Our service advertisement reaches receptor's status.
    p.send(
      encodeServiceAdvertisement({
        NodeID: PROBE,
        Service: 'probesvc',
        Time: formatGoTime(BigInt(Date.now()) * 1_000_000n),
        ConnType: 1,
        Tags: { type: 'meshctl probe', where: 'interop' },
        WorkCommands: null,
        Cancel: false,
      }),
    );
    await until('receptor status with the probe advertisement', async () => {
      const ads = (await status(r)).Advertisements ?? [];
      return ads.find((a) => a.NodeID === PROBE && a.Service === 'probesvc' && a.ConnType === 1 && a.Tags?.where === 'interop');
    });

    // receptor → probe ping: a datagram to our `ping` service, with both node hashes as we compute them.
    const ping = JSON.parse(await rawCommand(r.socketPath, JSON.stringify({ command: 'ping', target: PROBE }))) as Record<string, unknown>;
    expect(ping).toMatchObject({ Success: true, From: PROBE });
    const req = p.data().find((d) => d.toService === 'ping')!;
    expect(req.fromNodeHash).toBe(nodeNameHash('rcpt'));
    expect(req.toNodeHash).toBe(nodeNameHash(PROBE));
    // defaultMaxForwardingHops is 30, but the sender's own forwardMessage decrements before the first
    // link: a direct neighbour sees 29.
    expect(req.hopsToLive).toBe(29);
    expect(req.data.length).toBe(0);
    expect(req.fromService).toMatch(/^[A-Za-z0-9]{8}$/); // an ephemeral service (GetEphemeralService)

    // Traceroute: hop 0 expires at receptor itself, hop 1 reaches the probe.
    const trace = JSON.parse(await rawCommand(r.socketPath, JSON.stringify({ command: 'traceroute', target: PROBE }))) as Record<string, { From: string }>;
    expect(Object.values(trace).map((h) => h.From)).toEqual(['rcpt', PROBE]);

    // probe → receptor ping, and an unreachable for a service nobody listens on.
    p.sendData('rcpt', 'probepng', 'ping', Buffer.alloc(0));
    const pong = await until('ping reply from receptor', () => p.data().find((d) => d.fromService === 'ping' && d.toService === 'probepng'));
    expect(pong.fromNodeHash).toBe(nodeNameHash('rcpt'));
    expect(pong.data.length).toBe(0);
    p.sendData('rcpt', 'probeunr', 'nosuch', Buffer.from('x'));
    const unr = await until('unreachable from receptor', () => p.data().find((d) => d.toService === 'unreach'));
    expect(unr.fromService).toBe('unreach');
    expect(decodeUnreachable(unr.data)).toEqual({ FromNode: PROBE, ToNode: 'rcpt', FromService: 'probeunr', ToService: 'nosuch', Problem: 'service unknown' });

    // Receptor's own adverts (control service) arrive on its next advertisement tick: 5 s after start, then
    // every 60 s (netceptor.go sendServiceAds via tickrunner; a new link does not trigger one).
    const ctl = await until('receptor control service advertisement', () => p.adverts().find((a) => a.NodeID === 'rcpt' && a.Service === 'control'), 80_000, r.log);
    expect(ctl).toMatchObject({ ConnType: 1, Tags: { type: 'Control Service' }, Cancel: false });
    expect(r.log()).toContain(`Connection established with ${PROBE}`);
    expect(r.process.exitCode).toBeNull();
    // Our link rules, fed the whole session from receptor, established at the same cost and found no fault.
    expect(p.events[0]).toEqual({ kind: 'established', remote: 'rcpt', cost: 2.5 });
    expect(p.events.filter((e) => e.kind === 'reject' || e.kind === 'protocol-error' || e.kind === 'rejected-by-peer')).toEqual([]);
    expect(p.events.filter((e) => e.kind === 'message').length).toBeGreaterThan(3);

    // NETCEPTOR_CAPTURE=FILE records this session's bytes from receptor for the unit tests
    // (test/unit/protocol/netceptor-receptor-session.json, read by netceptor-session.test.ts).
    if (process.env.NETCEPTOR_CAPTURE) {
      const version = (await runProgram(requirePeers().receptor, ['--version'])).stdout.toString().trim();
      const capture = { receptor: version, node: 'rcpt', probe: PROBE, listenerCost: 2.5, stream: Buffer.concat(p.stream).toString('hex') };
      await writeFile(process.env.NETCEPTOR_CAPTURE, JSON.stringify(capture, null, 1) + '\n');
    }
  });

  it('netceptor wire - receptor rejects a probe that announces another cost than its listener: it closes the link and logs why (its reject message races the close); our link rules refuse the mirror case', async () => {
    const r = await start({ nodeId: 'rcpt', tcpListener: { cost: 2.5 } });
    const p = await dialTcp(r.listenerPort!, 2.5);
    probes.push(p);
    p.start();
    await until('receptor routing update listing the probe', () => p.routesFrom('rcpt').find((u) => u.Connections[PROBE] === 2.5), 30_000, r.log);
    p.sendRoute(1);
    await until('close', () => (p.closed ? true : undefined), 30_000, r.log);
    // Receptor queues a reject (`03 5b 5d`, sendRejectMessage) and returns, and runProtocol's deferred
    // sess.Close races the writer goroutine: the reject is usually lost and the peer sees only the close.
    for (const m of p.raw.filter((x) => x[0] === 3)) expect(m).toEqual(Buffer.from('\x03[]', 'latin1'));
    await until('receptor log line', () => (r.log().includes('we disagree about the connection cost') ? true : undefined), 10_000, r.log);
    expect(r.process.exitCode).toBeNull();

    // The same rule on our side: a link configured at 3 sees receptor's update list us at 2.5.
    // p2 only names itself (one update listing nobody) and stays silent, so receptor's flood listing us
    // at 2.5 comes before any update of ours that receptor would refuse first.
    const p2 = await dialTcp(r.listenerPort!, 3);
    p2.passive = true;
    probes.push(p2);
    p2.sendRoute();
    const ev = await until('our handshake to refuse receptor', () => p2.events.find((e) => e.kind === 'reject'), 30_000, r.log);
    expect(ev).toEqual({ kind: 'reject', remote: 'rcpt', reason: 'we disagree about the connection cost' });
  });

  it('netceptor wire - a receptor tcp-peer dialing a listener of the test gets the probe as its connection', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const accepted = new Promise<Probe>((resolve) => server.once('connection', (s) => resolve(tcpProbe(s, 1.5))));
    const r = await start({ nodeId: 'rdial', tcpPeers: [{ address: `127.0.0.1:${port}`, cost: 1.5 }] });
    const p = await accepted;
    probes.push(p);
    p.start();
    await expectProbeJoined(r, 1.5, { ping: true });
  });

  it('netceptor wire - the probe as the hop between two receptors relays routes, adverts, ping, traceroute and remote work', async () => {
    const ctl = await start({ nodeId: 'ctl', tcpListener: {} });
    const exe = await start({ nodeId: 'exe', tcpListener: {}, workCommands: [{ worktype: 'cat', command: 'cat' }] });
    const hop = new ProbeNode();
    const toCtl = await dialTcp(ctl.listenerPort!, 1, hop);
    const toExe = await dialTcp(exe.listenerPort!, 1, hop);
    probes.push(toCtl, toExe);
    toCtl.start();
    toExe.start();
    const routes = async (r: RunningReceptor, other: string) => {
      const s = await status(r);
      return s.RoutingTable[other] ? s : undefined;
    };
    const st = await until('ctl to route to exe via the probe', () => routes(ctl, 'exe'), 30_000, () => ctl.log() + exe.log());
    await until('exe to route to ctl via the probe', () => routes(exe, 'ctl'), 30_000, () => ctl.log() + exe.log());
    expect(st.RoutingTable).toEqual({ exe: PROBE, [PROBE]: PROBE });
    expect(st.KnownConnectionCosts).toEqual({ ctl: { [PROBE]: 1 }, exe: { [PROBE]: 1 }, [PROBE]: { ctl: 1, exe: 1 } });

    const ping = JSON.parse(await rawCommand(ctl.socketPath, JSON.stringify({ command: 'ping', target: 'exe' }))) as Record<string, unknown>;
    expect(ping).toMatchObject({ Success: true, From: 'exe' });
    const trace = JSON.parse(await rawCommand(ctl.socketPath, JSON.stringify({ command: 'traceroute', target: 'exe' }))) as Record<string, { From: string }>;
    expect(Object.values(trace).map((h) => h.From)).toEqual(['ctl', PROBE, 'exe']);

    // exe's control-service advert (with its work command) reaches ctl through the probe's re-flood.
    await until(
      "exe's advert in ctl's status",
      async () => ((await status(ctl)).Advertisements ?? []).find((a) => a.NodeID === 'exe' && a.Service === 'control'),
      80_000,
      () => ctl.log(),
    );

    // Remote work: ctl's workceptor opens a QUIC stream to exe's control service, carried in data
    // messages the probe forwards unchanged but for the hop count.
    const payload = `relayed ${randomBytes(8).toString('hex')}\n`;
    const r = await runReceptorctl(['--socket', ctl.socketPath, 'work', 'submit', 'cat', '--node', 'exe', '-l', payload, '-f', '--rm'], { timeoutMs: 90_000 });
    expect(r.stderr.toString()).not.toMatch(/Traceback|Error/);
    expect(r.stdout.toString()).toContain(payload.trim());
    expect(r.exitCode).toBe(0);
  });

  it('netceptor wire - a receptor relays datagrams between two netceptor probe nodes it learned from their routing updates', async () => {
    const r = await start({ nodeId: 'rhop', tcpListener: {} });
    const left = await dialTcp(r.listenerPort!, 1, new ProbeNode('probe-left'));
    const right = await dialTcp(r.listenerPort!, 1, new ProbeNode('probe-right'));
    probes.push(left, right);
    left.start();
    right.start();
    // Each probe learns the other from the routing update receptor re-floods (ForwardingNode rewritten).
    const relayed = await until("probe-right's update relayed to probe-left", () => left.routesFrom('probe-right').find((u) => u.Connections.rhop === 1), 30_000, r.log);
    expect(relayed.ForwardingNode).toBe('rhop');
    await until("rhop's routes to both probes", async () => {
      const s = await status(r);
      return s.RoutingTable['probe-left'] && s.RoutingTable['probe-right'] ? s : undefined;
    });
    await until("probe-left's update relayed to probe-right", () => right.routesFrom('probe-left')[0], 30_000, r.log);

    // left → right through receptor: hop count one less per forward (left's own send, then rhop's).
    const payload = Buffer.from('through receptor');
    left.sendData('probe-right', 'lsvc', 'rsvc', payload);
    const got = await until('the datagram at probe-right', () => right.data().find((d) => d.toService === 'rsvc'), 15_000, r.log);
    expect(got).toMatchObject({ fromService: 'lsvc', hopsToLive: 28, data: payload });
    expect(got.fromNodeHash).toBe(nodeNameHash('probe-left'));
    // A ping across, answered by the other probe.
    left.sendData('probe-right', 'lping', 'ping', Buffer.alloc(0));
    const pong = await until('the ping reply at probe-left', () => left.data().find((d) => d.toService === 'lping'), 15_000, r.log);
    expect(pong.fromNodeHash).toBe(nodeNameHash('probe-right'));
    expect(pong.fromService).toBe('ping');
  });

  for (const backend of ['ws', 'udp'] as const) {
    it(`netceptor wire - over a ${backend}-listener the probe (one message per ${backend === 'ws' ? 'binary WebSocket message' : 'datagram'}) is a connection and answers ping`, async () => {
      const port = await freePort();
      const item = backend === 'ws' ? { 'ws-listener': { bindaddr: '127.0.0.1', port, cost: 3 } } : { 'udp-listener': { bindaddr: '127.0.0.1', port, cost: 3 } };
      const r = await start({ nodeId: `r${backend}`, extraItems: [item] });
      const p = backend === 'ws' ? await until('ws listener', () => dialWs(port, 3).catch(() => undefined), 20_000, r.log) : await dialUdp(port, 3);
      probes.push(p);
      p.start();
      const st = await expectProbeJoined(r, 3, { ping: true });
      expect(st.RoutingTable).toEqual({ [PROBE]: PROBE });
    });
  }

  it('netceptor wire - over a tcp-listener with mutual TLS the framing is the same inside TLS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netceptor-tls-'));
    dirs.push(dir);
    const pki = await makeTestPki(dir, { nodes: [{ name: 'rtls' }, { name: PROBE }] });
    const r = await start({
      nodeId: 'rtls',
      tcpListener: { tls: 'srv', cost: 2 },
      extraItems: [{ 'tls-server': { name: 'srv', cert: pki.nodes.rtls!.certPath, key: pki.nodes.rtls!.keyPath, requireclientcert: true, clientcas: pki.ca.certPath } }],
    });
    const sock = tlsConnect({
      host: '127.0.0.1',
      port: r.listenerPort!,
      servername: 'localhost',
      ca: await readFile(pki.ca.certPath),
      cert: pki.nodes[PROBE]!.certPem,
      key: pki.nodes[PROBE]!.keyPem,
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', resolve);
      sock.once('error', reject);
    });
    expect(sock.authorized).toBe(true);
    const p = tcpProbe(sock, 2);
    probes.push(p);
    p.start();
    await expectProbeJoined(r, 2, { ping: true });
  });

  it('netceptor wire - a receptor ws-peer dialing a WebSocket server of the test gets the probe as its connection', async () => {
    // The node's ws-listener transport.
    let p: Probe | undefined;
    const errors: Error[] = [];
    const server = await listenWs(
      { host: '127.0.0.1', port: 0, path: '/' },
      {
        connection: (t) => {
          if (p) return t.destroy(new Error(`a second connection from ${t.remoteAddress}`));
          p = transportProbe(t, 1.25);
          probes.push(p);
          p.start();
        },
        error: (err) => errors.push(err),
      },
    );
    closers.push(() => server.close());
    const r = await start({ nodeId: 'rwsdial', extraItems: [{ 'ws-peer': { address: `ws://127.0.0.1:${server.address.port}/`, cost: 1.25 } }] });
    await expectProbeJoined(r, 1.25);
    expect(errors).toEqual([]);
  });

  it('netceptor wire - a receptor udp-peer sending to a UDP socket of the test gets the probe as its connection', async () => {
    // The node's udp-listener transport: receptor's UDP dialer speaks first (its initial routing update), and
    // the listener makes the session when that first datagram arrives (udp.go UDPListener.Start).
    let p: Probe | undefined;
    const errors: Error[] = [];
    const server = await listenUdp(
      { host: '127.0.0.1', port: 0 },
      {
        connection: (t) => {
          // One session is expected: receptor's dialer keeps its socket (and so its address) for the link.
          if (p) return t.destroy(new Error(`a second session from ${t.remoteAddress}`));
          p = transportProbe(t, 0.5);
          probes.push(p);
          p.start();
        },
        error: (err) => errors.push(err),
      },
    );
    closers.push(() => server.close());
    const r = await start({ nodeId: 'rudpdial', extraItems: [{ 'udp-peer': { address: `127.0.0.1:${server.address.port}`, cost: 0.5 } }] });
    await expectProbeJoined(r, 0.5);
    expect(errors).toEqual([]);
  });

  it("netceptor wire - receptor 1.6.5 panics on a zero-length frame, which is how meshctl's own link HELLO reads to it (the issue's crash)", async () => {
    const r = await start({ nodeId: 'rcrash', tcpListener: {} });
    // meshctl's link frames start with a big-endian u32 length: for any frame under 64 KiB its first two
    // bytes are 00 00, which receptor's framer reads as a little-endian u16 length of 0.
    const hello = encodeFrame(FrameType.HELLO, Buffer.from('{"magic":"meshctl-mesh","min":1,"max":1,"node":"m"}'));
    expect([...hello.subarray(0, 2)]).toEqual([0, 0]);
    const sock = connect(r.listenerPort!, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise<void>((resolve) => sock.once('connect', resolve));
    sock.write(hello);
    await until('receptor to exit', () => (r.process.exitCode !== null || r.process.signalCode !== null ? true : undefined), 20_000, r.log);
    sock.destroy();
    expect(r.log()).toContain('index out of range [0] with length 0');
    expect(r.log()).toContain('runProtocol');
  });
});
