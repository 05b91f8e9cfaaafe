// Node `firewallrules` with receptor 1.6.5's semantics (issue 12: "firewallrules is refused"), on real meshes of
// embedded nodes started from YAML configs: a drop rule leaves the sender to time out, a reject rule answers
// receptor's "blocked by firewall" (from the hop that holds the rule), the first matching rule decides (an
// accept before a drop lets traffic through), regexes are anchored as receptor anchors them (`/a|b/` is
// `^a|b$`), rules apply to what a node sends itself, and streams (connect, remote work) are cut as receptor's
// QUIC streams would be. The real-receptor references (same configs, same answers) are in
// test/interop/firewall-vs-receptor.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestMesh, waitUntil, type TestMesh } from '../../helpers/mesh.js';

// Pings give up after 2 s in these meshes: a dropped ping's timeout is the only wait.
const TIMERS = { pingTimeoutMs: 2000, openTimeoutMs: 2000 };

function rules(...r: Record<string, string>[]): string {
  const out = ['    firewallrules:'];
  for (const rule of r) {
    const [first, ...rest] = Object.entries(rule);
    out.push(`      - ${first![0]}: ${JSON.stringify(first![1])}`);
    for (const [k, v] of rest) out.push(`        ${k}: ${JSON.stringify(v)}`);
  }
  return out.join('\n');
}

/** a → b → c in a chain (a dials b, b dials c); `bRules` on b, `aRules` on a. */
async function chain(bRules: string, aRules?: string, log?: string[]): Promise<TestMesh> {
  const m = await startTestMesh({
    nodes: [
      { id: 'a', ...(aRules ? { nodeYaml: aRules } : {}) },
      { id: 'b', nodeYaml: bRules },
      { id: 'c', workCommands: [{ worktype: 'cat', command: 'cat' }] },
    ],
    links: [
      ['a', 'b'],
      ['b', 'c'],
    ],
    meshTimers: TIMERS,
    ...(log ? { logLevel: 'debug' as const, log: (id: string, line: string) => log.push(`${id} ${line}`) } : {}),
  });
  await waitUntil(() => m.node('a').node.mesh.serviceInfo('c', 'control'), "c's control advert at a");
  return m;
}

describe('node firewall rules', () => {
  let m: TestMesh | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });

  it('node firewall - a drop rule at the hop makes a ping through it time out, other traffic passes', async () => {
    m = await chain(rules({ action: 'drop', fromnode: 'a', tonode: 'c' }));
    const a = m.client('a');
    expect(await a.ping('c')).toEqual({ Success: false, Error: 'timeout' });
    // Only a → c is dropped: a reaches b, and b reaches c.
    expect((await a.ping('b')).Success).toBe(true);
    expect((await m.client('b').ping('c')).Success).toBe(true);
  });

  it("node firewall - a reject rule answers receptor's 'blocked by firewall' from the hop, and logs receptor's unreachable warning at the sender", async () => {
    const log: string[] = [];
    m = await chain(rules({ action: 'reject', tonode: 'c' }), undefined, log);
    const r = await m.client('a').ping('c');
    expect(r).toEqual({ Success: false, Error: 'blocked by firewall' });
    // handleUnreachable's text at a: the unreach message came from b, one hop (ttl 30 - 1).
    await waitUntil(() => log.some((l) => l.startsWith('a WARNING ')), 'the warning at a');
    expect(log.find((l) => l.startsWith('a WARNING '))).toMatch(
      /^a WARNING \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d Received unreachable message from b \(service unreach\) to a \(service unreach\): ttl 29, data blocked by firewall \{"node_id":"a","remote_id":"b"\}$/,
    );
  });

  it('node firewall - the first matching rule decides: an accept before a drop lets the ping through, the drop after it still drops the rest', async () => {
    m = await chain(rules({ action: 'accept', fromnode: 'a', toservice: 'ping' }, { action: 'drop', tonode: 'c' }));
    // a's ping to c matches the accept first.
    expect((await m.client('a').ping('c')).Success).toBe(true);
    // The reply c → a passes b: to node a, not c. b's own ping to c is dropped at b (rules apply to what a
    // node sends itself, as handleMessageData runs for local messages too).
    expect(await m.client('b').ping('c')).toEqual({ Success: false, Error: 'timeout' });
  });

  it('node firewall - the same rules in the other order: the drop comes first and wins', async () => {
    m = await chain(rules({ action: 'drop', tonode: 'c' }, { action: 'accept', fromnode: 'a', toservice: 'ping' }));
    expect(await m.client('a').ping('c')).toEqual({ Success: false, Error: 'timeout' });
  });

  it('node firewall - a regex is anchored as receptor anchors it: /a|x/ is ^a|x$, /(a|b)c/ is whole, case matters unless (?i)', async () => {
    // ^a|x$ matches IDs starting with a (so 'a') or ending with x; /c/ is ^c$.
    m = await chain(rules({ action: 'reject', fromnode: '/a|x/', tonode: '/c/' }));
    expect(await m.client('a').ping('c')).toEqual({ Success: false, Error: 'blocked by firewall' });
    expect((await m.client('b').ping('c')).Success).toBe(true);
    await m.close();
    // ^(a|b)c$: neither 'a' nor 'b' alone matches it.
    m = await chain(rules({ action: 'reject', fromnode: '/(a|b)c/' }));
    expect((await m.client('a').ping('c')).Success).toBe(true);
    await m.close();
    // Case matters, as in Go's regexp, unless the regex says (?i).
    m = await chain(rules({ action: 'reject', fromnode: '/A/' }));
    expect((await m.client('a').ping('c')).Success).toBe(true);
    await m.close();
    m = await chain(rules({ action: 'reject', fromnode: '/(?i)A/' }));
    expect(await m.client('a').ping('c')).toEqual({ Success: false, Error: 'blocked by firewall' });
  });

  it('node firewall - keys and action are case-insensitive; an empty rule list changes nothing', async () => {
    m = await chain(rules({ Action: 'REJECT', ToNode: 'c', ToService: 'ping' }));
    expect(await m.client('a').ping('c')).toEqual({ Success: false, Error: 'blocked by firewall' });
    await m.close();
    m = await chain('    firewallrules: []');
    expect((await m.client('a').ping('c')).Success).toBe(true);
  });

  it('node firewall - a reject on a service cuts streams to it: connect and remote work to c through b fail with blocked by firewall, the control service of b still answers', async () => {
    m = await chain(rules({ action: 'reject', tonode: 'c', toservice: 'control' }));
    const a = m.client('a');
    // `status` of a through the mesh uses b's control service: allowed.
    await expect(a.connectService('b', 'control').then(async (s) => (await s.close(), 'ok'))).resolves.toBe('ok');
    await expect(a.connectService('c', 'control')).rejects.toThrow(/blocked by firewall/);
    // Pings are not the control service: they pass.
    expect((await a.ping('c')).Success).toBe(true);
  });

  it("node firewall - a drop of the service's answers (from c) cuts the stream too: the dial times out", async () => {
    m = await chain(rules({ action: 'drop', fromnode: 'c', fromservice: 'control' }));
    const b = m.node('b').node.mesh;
    const dial = m.client('a').connectService('c', 'control');
    dial.catch(() => undefined);
    await expect(dial).rejects.toThrow(/timeout/);
    // b, the hop, dropped c's answers as data messages: it keeps no state for a stream passing through (the stream
    // runs end to end, as receptor's QUIC connections do), so nothing stays behind there.
    expect(b.stats()).toMatchObject({ channels: 0, sessions: 0, relays: 0 });
  });

  it('node firewall - rules on the sending node apply to what it sends: a reject on a itself answers at once', async () => {
    m = await chain('    firewallrules: []', rules({ action: 'reject', tonode: 'b' }));
    expect(await m.client('a').ping('b')).toEqual({ Success: false, Error: 'blocked by firewall' });
    expect((await m.client('a').ping('c')).Success).toBe(true);
  });
});
