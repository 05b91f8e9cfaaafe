// `log-level: debug` prints receptor 1.6.5's lines for the same events (issue 12: "log-level: debug prints almost
// nothing where receptor prints hundreds of lines. Log lines lack receptor 1.6.5's node_id suffix"). Two embedded
// nodes, a dialling b, both at debug: every line below is one receptor printed for the same event in a recorded
// run of the real binary (docs/node.md "Logging" lists them, and the ones that have no counterpart here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMesh, waitUntil, type TestMesh } from '../../helpers/mesh.js';

const STAMP = String.raw`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d`;

describe('node debug log', () => {
  let m: TestMesh;
  const lines: string[] = [];
  const of = (id: string): string[] => lines.filter((l) => l.startsWith(`${id} `)).map((l) => l.slice(id.length + 1));

  beforeAll(async () => {
    m = await startTestMesh({
      nodes: [
        {
          id: 'a',
          extraYaml: [
            '- tcp-server:',
            '    port: 0',
            '    bindaddr: 127.0.0.1',
            '    remotenode: b',
            '    remoteservice: control',
            '- tcp-client:',
            '    service: fwd',
            '    address: 127.0.0.1:1',
          ].join('\n'),
        },
        { id: 'b', workCommands: [{ worktype: 'cat', command: 'cat' }] },
      ],
      links: [['b', 'a']],
      logLevel: 'debug',
      log: (id, line) => lines.push(`${id} ${line}`),
    });
    // A ping and a control session through the mesh, then an advert round.
    expect((await m.client('a').ping('b')).Success).toBe(true);
    await waitUntil(() => of('a').some((l) => l.includes('Sending service advertisement')), 'an advert sent by a');
  });
  afterAll(async () => {
    await m?.close();
  });

  it('node debug log - every line has a level, a Go log stamp and, but for the main logger, the node_id suffix', () => {
    for (const l of [...of('a'), ...of('b')]) {
      expect(l).toMatch(new RegExp(`^(ERROR|WARNING|INFO|DEBUG) ${STAMP} `));
      if (/ (Initialization complete|Node \w+ listening on .*)$/.test(l)) continue;
      expect(l).toMatch(/ \{"node_id":"[ab]"(,"remote_id":"[ab]")?\}$/);
    }
    // remote_id names the peer from its first connection on.
    expect(of('a').find((l) => l.includes('Connection established with b'))).toMatch(/ \{"node_id":"a","remote_id":"b"\}$/);
  });

  it("node debug log - receptor's lines for listeners, peers, handshakes, routing and adverts", () => {
    const body = (id: string): string[] => of(id).map((l) => l.replace(new RegExp(`^(\\w+) ${STAMP} (.*?)( \\{"node_id".*\\})?$`), '$1 $2'));
    const a = body('a');
    const b = body('b');
    const has = (ls: string[], re: RegExp): void => expect(ls.some((l) => re.test(l)), String(re)).toBe(true);
    has(a, /^DEBUG Listening on TCP 127\.0\.0\.1:\d+$/);
    has(a, /^DEBUG a added service control to listener registry$/);
    has(a, /^INFO Running control service control$/);
    // The forwarders' configs as receptor's %v / %s print them (tcp-client's line says "inbound" in receptor too).
    has(a, /^DEBUG Running TCP inbound proxy service \{0 127\.0\.0\.1 b control  \}$/);
    has(a, /^DEBUG Running TCP inbound proxy service \{fwd 127\.0\.0\.1:1  \}$/);
    has(b, /^DEBUG Running TCP peer connection 127\.0\.0\.1:\d+$/);
    has(b, /^DEBUG TCPDialer connected to TCP 127\.0\.0\.1:\d+ Address 127\.0\.0\.1:\d+$/);
    for (const [me, peer, ls] of [['a', 'b', a], ['b', 'a', b]] as const) {
      has(ls, /^DEBUG Sending initial connection message$/);
      has(ls, new RegExp(`^INFO Connection established with ${peer}$`));
      has(ls, /^DEBUG Stopping initial updates$/);
      has(ls, new RegExp(`^DEBUG Sending routing update \\w{8}\\. Connections: ${peer}\\(1\\.00\\)$`));
      has(ls, new RegExp(`^DEBUG Received routing update \\w{8} from ${peer} via ${peer}$`));
      has(ls, /^DEBUG Re-calculating routing table$/);
      // printRoutingTable, at info: the trailing space after the costs is receptor's.
      has(ls, /^INFO Known Connections:$/);
      has(ls, new RegExp(`^INFO    ${me}: ${peer}\\(1\\.00\\) $`));
      has(ls, /^INFO Routing Table:$/);
      has(ls, new RegExp(`^INFO    ${peer} via ${peer}$`));
      has(ls, new RegExp(`^DEBUG Received service advertisement from ${peer}$`));
    }
    // fmt's %v of the advert: node, service, time.Time.String() with the monotonic reading, ConnType, tags, work commands.
    has(b, /^DEBUG Sending service advertisement: &\{b control \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \S+ m=\+\d+\.\d{9} 1 map\[type:Control Service\] \[\{cat false\}\]\}$/);
    has(a, /^DEBUG Sending service advertisement: &\{a control .* 1 map\[type:Control Service\] \[\]\}$/);
  });

  it("node debug log - a results stream that reaches the end of a finished unit logs receptor's 'Stdout complete' line (trailing space and all)", async () => {
    const b = m.client('b');
    const { unitid } = await b.workSubmit({ workType: 'cat', node: 'localhost' }, 'hello\n');
    await b.waitForUnit(unitid);
    let got = '';
    for await (const chunk of b.workResults(unitid)) got += chunk.toString();
    expect(got).toBe('hello\n');
    await waitUntil(() => of('b').some((l) => l.includes('Stdout complete')), 'the Stdout complete line');
    // "Stdout complete - closing channel for: %s \n": the format's space, then appendSuffix's.
    expect(of('b').find((l) => l.includes('Stdout complete'))).toMatch(new RegExp(`^DEBUG ${STAMP} Stdout complete - closing channel for: ${unitid}  \\{"node_id":"b","remote_id":"a"\\}$`));
  });

  it("node debug log - a stream to a service the far node lacks: receptor's two warnings at the opener, in receptor's order", async () => {
    await expect(m.client('a').connectService('b', 'nosuch')).rejects.toThrow(/service unknown/);
    await waitUntil(() => of('a').some((l) => l.includes('remote service nosuch')), 'the warning');
    const warnings = of('a')
      .filter((l) => l.startsWith('WARNING ') && /nosuch|service unknown/.test(l))
      .map((l) => l.replace(new RegExp(`^WARNING ${STAMP} `), ''));
    expect(warnings).toEqual([
      'Received unreachable message from b (service unreach) to a (service unreach): ttl 29, data service unknown {"node_id":"a","remote_id":"b"}',
      'remote service nosuch to node b is unreachable {"node_id":"a","remote_id":"b"}',
    ]);
  });

  it("node debug log - control-service sessions: receptor's connect, close and disconnect lines, @ for a Unix socket client", async () => {
    await m.client('a').status();
    await waitUntil(() => of('a').some((l) => /^DEBUG \S+ \S+ Client connected to control service @ \{"node_id":"a","remote_id":"b"\}$/.test(l)), 'the Unix session logged');
    // A mesh session (b's remote work reaching a's control service) names the peer as node:service.
    await m.client('b').close();
    const viaMesh = await m.client('b').viaNode('a').status();
    expect(viaMesh.NodeID).toBe('a');
    await waitUntil(() => of('a').some((l) => /Client connected to control service b:\w+ \{/.test(l)), "a's log of b's mesh session");
  });
});
