// The embedded node as a mesh node: real YAML configs (tcp-listener / tcp-peer / ws-* entries, TLS) started
// with startNode, control-service commands across hops (status, ping, traceroute, connect, reload), routes
// that move when nodes go away and come back, and the tcp-server / tcp-client port forwarders.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, makeUnknownCaCert, type TestCertFiles, type TestPki } from '../../helpers/certs.js';
import { startTestMesh, waitUntil, type TestMesh } from '../../helpers/mesh.js';
import { cliBuilt } from '../../helpers/node.js';
import { rawCommand } from '../../interop/support/raw.js';
import { exchange } from './raw-client.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const run = promisify(execFile);

const EXECUTOR_WORK = [
  { worktype: 'cat', command: 'cat' },
  { worktype: 'echo', command: 'echo', allowruntimeparams: true },
];

describe('mesh node: a chain controller → hop → executor', () => {
  let m: TestMesh;
  beforeAll(async () => {
    m = await startTestMesh({
      nodes: [{ id: 'controller', workCommands: [{ worktype: 'cat', command: 'cat' }] }, 'hop', { id: 'executor', workCommands: EXECUTOR_WORK }],
      links: [['controller', 'hop'], ['hop', 'executor']],
    });
    // Advertisements are flooded once a link is up; wait until the controller knows the executor's.
    await waitUntil(() => m.node('controller').node.mesh.status().Advertisements.length === 3, 'three advertisements');
  });
  afterAll(async () => {
    await m?.close();
  });

  it('mesh node - status shows connections, routes, known costs and every control advertisement, as Receptor', async () => {
    const line = await rawCommand(m.node('controller').socketPath, '{"command":"status"}');
    const st = JSON.parse(line) as Record<string, unknown>;
    expect(st.Connections).toEqual([{ NodeID: 'hop', Cost: 1 }]);
    expect(st.RoutingTable).toEqual({ executor: 'hop', hop: 'hop' });
    expect(st.KnownConnectionCosts).toEqual({ controller: { hop: 1 }, executor: { hop: 1 }, hop: { controller: 1, executor: 1 } });
    // Go struct field order inside each advertisement; the executor's carries its work types, the hop's null.
    const ads = [...line.matchAll(/\{"NodeID":"(\w+)","Service":"control","Time":"[^"]+","ConnType":1,"Tags":\{"type":"Control Service"\},"WorkCommands":(null|\[[^\]]*\])\}/g)].map(
      (x) => [x[1], x[2]],
    );
    expect(new Map(ads as [string, string][])).toEqual(
      new Map([
        ['controller', '[{"WorkType":"cat","Secure":false}]'],
        ['hop', 'null'],
        ['executor', '[{"WorkType":"cat","Secure":false},{"WorkType":"echo","Secure":false}]'],
      ]),
    );
    // The node's own advertisement is stamped with the current time (Receptor's Status()).
    const own = (st.Advertisements as { NodeID: string; Time: string }[]).find((a) => a.NodeID === 'controller')!;
    expect(Math.abs(Date.parse(own.Time) - Date.now())).toBeLessThan(60_000);
  });

  it('mesh node - ping and traceroute across two hops answer with Receptor JSON', async () => {
    const sock = m.node('controller').socketPath;
    expect(await rawCommand(sock, 'ping executor')).toMatch(/^\{"From":"executor","Success":true,"Time":\d+,"TimeStr":"[^"]+"\}$/);
    expect(await rawCommand(sock, 'traceroute executor')).toMatch(
      /^\{"0":\{"From":"controller","Time":\d+,"TimeStr":"[^"]+"\},"1":\{"From":"hop","Time":\d+,"TimeStr":"[^"]+"\},"2":\{"From":"executor","Time":\d+,"TimeStr":"[^"]+"\}\}$/,
    );
    expect(await rawCommand(sock, 'ping nosuchnode')).toBe('{"Error":"no route to node","Success":false}');
  });

  it('mesh node - connect reaches the control service of a node two hops away; bad targets get Receptor errors', async () => {
    const sock = m.node('controller').socketPath;
    expect(await exchange(sock, 'connect executor control\n{"command":"status","requested_fields":["NodeID"]}\n')).toEqual([
      'Connecting',
      'Receptor Control, node executor',
      '{"NodeID":"executor"}',
    ]);
    expect(await exchange(sock, 'connect nosuchnode control\n')).toEqual(['ERROR: no route to node']);
    expect(await exchange(sock, 'connect executor nosuchsv\n')).toEqual(['ERROR: service unknown']);
    // Service names are 8 bytes on the wire (a netceptor data message's field): receptor's SendMessage refuses longer.
    expect(await exchange(sock, 'connect executor nosuchservice\n')).toEqual(['ERROR: service name too long']);
    expect(await exchange(sock, 'connect executor control nosuchtls\n')).toEqual(['ERROR: unknown TLS config nosuchtls']);
  });

  it.skipIf(!cliBuilt())('mesh node - `meshctl work list --node executor` (built CLI) lists the executor units through the controller', async () => {
    const sock = m.node('controller').socketPath;
    const client = m.client('controller');
    const { unitid } = await client.workSubmit({ workType: 'echo', node: 'executor', params: { params: 'via cli' } }, null);
    const r = await run(process.execPath, [path.join(ROOT, 'bin', 'meshctl.js'), '--socket', sock, 'work', 'list', '--node', 'executor', '--json'], { cwd: ROOT });
    const list = JSON.parse(r.stdout) as Record<string, { WorkType: string }>;
    // Remote work keeps the controller's unit id on the executor.
    expect(list[unitid]?.WorkType).toBe('echo');
  });

  it('mesh node - receptorctl `work list --node executor` works against the controller', async (ctx) => {
    const probe = await run('python3', ['-c', 'import receptorctl']).then(
      () => true,
      () => false,
    );
    if (!probe) ctx.skip();
    const r = await run('python3', ['-m', 'receptorctl', '--socket', m.node('controller').socketPath, 'work', 'list', '--node', 'executor']);
    expect(JSON.parse(r.stdout)).toBeTypeOf('object');
  });
});

describe('mesh node: routes in a diamond', () => {
  let m: TestMesh;
  beforeAll(async () => {
    // controller reaches executor through a (cost 1 + 1) or b (cost 3 + 1).
    m = await startTestMesh({
      nodes: ['controller', 'a', 'b', { id: 'executor', workCommands: EXECUTOR_WORK }],
      links: [{ from: 'controller', to: 'a' }, { from: 'controller', to: 'b', cost: 3 }, ['a', 'executor'], ['b', 'executor']],
    });
  });
  afterAll(async () => {
    await m?.close();
  });

  const route = (): string | undefined => m.node('controller').node.mesh.status().RoutingTable.executor;

  it('mesh node - routes take the cheaper path, move when its node is killed, and come back when it restarts', async () => {
    // startTestMesh waits until every node routes to every other, not for the cheapest routes: a node's own links count
    // only from its next routing update (receptor's runProtocol takes a link's first update as its greeting), so the
    // route through a may come one flood after the route through b.
    await waitUntil(() => route() === 'a', 'route through a (the cheaper path)');
    expect(m.node('controller').node.mesh.status().Connections).toEqual(
      expect.arrayContaining([
        { NodeID: 'a', Cost: 1 },
        { NodeID: 'b', Cost: 3 },
      ]),
    );
    await m.node('a').stop();
    await waitUntil(() => route() === 'b', 'route through b');
    expect(await rawCommand(m.node('controller').socketPath, 'traceroute executor')).toMatch(/"1":\{"From":"b"/);
    await m.node('a').start();
    await waitUntil(() => route() === 'a', 'route through a again');
    expect(await rawCommand(m.node('controller').socketPath, 'ping executor')).toMatch(/"Success":true/);
  });
});

describe('mesh node: TLS and WebSocket links', () => {
  let dir: string;
  let pki: TestPki;
  let evil: TestCertFiles;
  let m: TestMesh;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-mesh-tls-'));
    pki = await makeTestPki(dir, { nodes: ['controller', 'hop', 'executor', 'rogue'].map((name) => ({ name })) });
    evil = await makeUnknownCaCert(pki, { name: 'evil', nodeIds: ['rogue'] });
    const q = JSON.stringify;
    m = await startTestMesh({
      pki,
      nodes: [
        {
          id: 'controller',
          // A tls-client for the executor's TLS-only control service (mesh service `securctl`).
          extraYaml: ['- tls-client:', '    name: ctl', `    cert: ${q(pki.nodes.controller!.certPath)}`, `    key: ${q(pki.nodes.controller!.keyPath)}`, `    rootcas: ${q(pki.ca.certPath)}`].join('\n'),
        },
        'hop',
        {
          id: 'executor',
          workCommands: EXECUTOR_WORK,
          extraYaml: [
            '- tls-server:',
            '    name: ctlsrv',
            `    cert: ${q(pki.nodes.executor!.certPath)}`,
            `    key: ${q(pki.nodes.executor!.keyPath)}`,
            `    clientcas: ${q(pki.ca.certPath)}`,
            '    requireclientcert: true',
            '- control-service:',
            '    service: securctl',
            '    tls: ctlsrv',
          ].join('\n'),
        },
        // Later dials the executor's TLS listener with a certificate from another CA.
        'rogue',
      ],
      links: [
        { from: 'controller', to: 'hop', via: 'wss' },
        { from: 'hop', to: 'executor', via: 'tls' },
        { from: 'rogue', to: 'hop', via: 'ws' },
      ],
    });
  });
  afterAll(async () => {
    await m?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('mesh node - wss and mutually authenticated TLS links carry routes and streams', async () => {
    const listeners = m.node('hop').node.meshListeners.map((l) => l.kind).sort();
    expect(listeners).toEqual(['ws', 'wss']);
    expect(m.node('executor').node.meshListeners.map((l) => l.kind)).toEqual(['tls']);
    expect(await exchange(m.node('controller').socketPath, 'connect executor control\nwork list\n')).toEqual(['Connecting', 'Receptor Control, node executor', '{}']);
  });

  it('mesh node - a TLS listener refuses a peer whose client certificate another CA signed', async () => {
    const executor = m.node('executor').node.mesh;
    const refused = once(executor, 'link-error');
    const rogue = m.node('rogue').node.mesh;
    const listener = m.node('executor').node.meshListeners[0]!;
    rogue.addTcpPeer({
      address: listener.url,
      tls: { options: { cert: evil.certPem, key: evil.keyPem, ca: pki.ca.certPem } },
    });
    const [info] = (await refused) as [{ error: Error }];
    expect(info.error.message).toMatch(/certificate/);
    expect(executor.status().Connections.map((c) => c.NodeID)).toEqual(['hop']);
  });

  it('mesh node - a control service with tls is advertised with ConnType 2 and answers through a tls-client', async () => {
    const sock = m.node('controller').socketPath;
    await waitUntil(() => m.node('controller').node.mesh.serviceInfo('executor', 'securctl'), 'securctl advertisement');
    expect(m.node('controller').node.mesh.serviceInfo('executor', 'securctl')).toMatchObject({ ConnType: 2, Tags: { type: 'Control Service' } });
    expect(await exchange(sock, 'connect executor securctl ctl\n{"command":"status","requested_fields":["NodeID"]}\n')).toEqual([
      'Connecting',
      'Receptor Control, node executor',
      '{"NodeID":"executor"}',
    ]);
  });
});

describe('mesh node: reload and port forwarding', () => {
  let m: TestMesh;
  let echo: net.Server;
  beforeAll(async () => {
    // A TCP echo service next to the executor, exposed on the mesh by tcp-client and on a local port of
    // the controller by tcp-server.
    echo = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoPort = (echo.address() as net.AddressInfo).port;
    m = await startTestMesh({
      nodes: [
        {
          id: 'controller',
          extraYaml: ['- tcp-server:', '    port: 0', '    bindaddr: 127.0.0.1', '    remotenode: executor', '    remoteservice: echosvc'].join('\n'),
        },
        'hop',
        { id: 'executor', extraYaml: ['- tcp-client:', '    service: echosvc', `    address: 127.0.0.1:${echoPort}`].join('\n') },
        'side',
      ],
      links: [['controller', 'hop'], ['hop', 'executor'], ['side', 'hop']],
    });
  });
  afterAll(async () => {
    await m?.close();
    echo?.close();
  });

  it('mesh node - tcp-server and tcp-client forward a TCP connection across the mesh, half-close included', async () => {
    await waitUntil(() => m.node('controller').node.mesh.serviceInfo('executor', 'echosvc'), 'echosvc advertisement');
    expect(m.node('controller').node.mesh.serviceInfo('executor', 'echosvc')?.Tags).toEqual({ type: 'TCP Proxy', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    const port = m.node('controller').node.tcpServers[0]!.port;
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.end('hello across the mesh\n');
    await once(s, 'end');
    s.destroy();
    expect(Buffer.concat(chunks).toString()).toBe('hello across the mesh\n');
  });

  it('mesh node - reload starts an added tcp-peer and stops a removed one, other links untouched', async () => {
    const side = m.node('side');
    const ctl = m.node('controller');
    const original = await readFile(ctl.configPath, 'utf8');
    // `side` only dials the hop; it gets a listener for the controller's new peer to dial.
    const extra = (await side.node.mesh.addTcpListener({ bindaddr: '127.0.0.1', port: 0 })).address.port;
    try {
      await writeFile(ctl.configPath, `${original}- tcp-peer:\n    address: 127.0.0.1:${extra}\n`);
      expect(await rawCommand(ctl.socketPath, 'reload')).toBe('{"Success":true}');
      await waitUntil(() => ctl.node.mesh.status().Connections.some((c) => c.NodeID === 'side'), 'controller — side link');
      expect(ctl.node.mesh.status().Connections.map((c) => c.NodeID).sort()).toEqual(['hop', 'side']);
      await writeFile(ctl.configPath, original);
      expect(await rawCommand(ctl.socketPath, 'reload')).toBe('{"Success":true}');
      await waitUntil(() => !ctl.node.mesh.status().Connections.some((c) => c.NodeID === 'side'), 'link to side gone');
      expect(ctl.node.mesh.status().Connections).toEqual([{ NodeID: 'hop', Cost: 1 }]);
    } finally {
      await writeFile(ctl.configPath, original);
    }
  });

  it('mesh node - reloads sent together run one after the other: all succeed, no listener started twice', async () => {
    // Receptor 1.6.5 runs overlapping reloads side by side; the second fails with "bind: address already in
    // use" and repeated overlaps panic it (docs/receptor-observed.md). The node queues them; each reload here
    // both stops a live link and starts a listener on a fixed port, the pair that would collide if two ran
    // side by side.
    const side = m.node('side');
    const ctl = m.node('controller');
    const original = await readFile(ctl.configPath, 'utf8');
    const extra = (await side.node.mesh.addTcpListener({ bindaddr: '127.0.0.1', port: 0 })).address.port;
    const fixed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    try {
      await writeFile(ctl.configPath, `${original}- tcp-peer:\n    address: 127.0.0.1:${extra}\n`);
      expect(await rawCommand(ctl.socketPath, 'reload')).toBe('{"Success":true}');
      await waitUntil(() => ctl.node.mesh.status().Connections.some((c) => c.NodeID === 'side'), 'controller — side link');
      // Drop the link to side and add a listener on a fixed port, six times at once.
      await writeFile(ctl.configPath, `${original}- tcp-listener:\n    bindaddr: 127.0.0.1\n    port: ${fixed}\n`);
      const replies = await Promise.all(Array.from({ length: 6 }, () => rawCommand(ctl.socketPath, 'reload')));
      expect(replies).toEqual(Array.from({ length: 6 }, () => '{"Success":true}'));
      const probe = net.connect({ host: '127.0.0.1', port: fixed });
      await once(probe, 'connect');
      probe.destroy();
    } finally {
      await writeFile(ctl.configPath, original);
      await rawCommand(ctl.socketPath, 'reload');
    }
    await waitUntil(() => !ctl.node.mesh.status().Connections.some((c) => c.NodeID === 'side'), 'link to side gone');
  });
});

describe('mesh node: tcp-server and tcp-client over TLS', () => {
  // Every leg encrypted: client --TLS--> tcp-server (controller) --mesh stream, TLS inside--> tcp-client
  // (executor) --TLS--> a TLS echo server. Receptor's fields: tcp-server tlsserver/tlsclient, tcp-client
  // tlsserver/tlsclient (pkg/services/tcp_proxy.go).
  let dir: string;
  let pki: TestPki;
  let backend: tls.Server;
  let m: TestMesh;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-proxy-tls-'));
    pki = await makeTestPki(dir, { nodes: [{ name: 'controller' }, { name: 'executor' }, { name: 'backend', nodeIds: [] }] });
    backend = tls.createServer({ cert: pki.nodes.backend!.certPem, key: pki.nodes.backend!.keyPem, allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const backendPort = (backend.address() as net.AddressInfo).port;
    const q = JSON.stringify;
    const c = pki.nodes.controller!;
    const e = pki.nodes.executor!;
    m = await startTestMesh({
      pki,
      nodes: [
        {
          id: 'controller',
          extraYaml: [
            '- tls-server:',
            '    name: front',
            `    cert: ${q(c.certPath)}`,
            `    key: ${q(c.keyPath)}`,
            '- tls-client:',
            '    name: inner',
            `    cert: ${q(c.certPath)}`,
            `    key: ${q(c.keyPath)}`,
            `    rootcas: ${q(pki.ca.certPath)}`,
            '- tcp-server:',
            '    port: 0',
            '    bindaddr: 127.0.0.1',
            '    remotenode: executor',
            '    remoteservice: echotls',
            '    tlsserver: front',
            '    tlsclient: inner',
          ].join('\n'),
        },
        {
          id: 'executor',
          extraYaml: [
            '- tls-server:',
            '    name: innersrv',
            `    cert: ${q(e.certPath)}`,
            `    key: ${q(e.keyPath)}`,
            `    clientcas: ${q(pki.ca.certPath)}`,
            '    requireclientcert: true',
            '- tls-client:',
            '    name: backend',
            `    cert: ${q(e.certPath)}`,
            `    key: ${q(e.keyPath)}`,
            `    rootcas: ${q(pki.ca.certPath)}`,
            '- tcp-client:',
            '    service: echotls',
            `    address: 127.0.0.1:${backendPort}`,
            '    tlsserver: innersrv',
            '    tlsclient: backend',
          ].join('\n'),
        },
      ],
      links: [['controller', 'executor']],
    });
  });
  afterAll(async () => {
    await m?.close();
    backend?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const through = async (opts: tls.ConnectionOptions, text: string): Promise<string> => {
    const s = tls.connect({ host: '127.0.0.1', port: m.node('controller').node.tcpServers[0]!.port, ...opts });
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    await once(s, 'secureConnect');
    s.end(text);
    await once(s, 'end');
    s.destroy();
    return Buffer.concat(chunks).toString();
  };

  it('mesh node - tcp-server with tlsserver/tlsclient and tcp-client with tlsserver/tlsclient carry a connection, TLS on every leg', async () => {
    await waitUntil(() => m.node('controller').node.mesh.serviceInfo('executor', 'echotls'), 'echotls advertisement');
    const big = 'x'.repeat(256 * 1024) + '\n';
    expect(await through({ ca: pki.ca.certPem, servername: 'localhost' }, 'hello over four TLS legs\n')).toBe('hello over four TLS legs\n');
    expect(await through({ ca: pki.ca.certPem, servername: 'localhost' }, big)).toBe(big);
  });

  it('mesh node - the tcp-server TLS listener refuses a client that does not trust its certificate', async () => {
    const s = tls.connect({ host: '127.0.0.1', port: m.node('controller').node.tcpServers[0]!.port, servername: 'localhost' });
    const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toMatch(/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/);
    s.destroy();
  });
});
