// Issue 15, stage 2: streams between receptor 1.6.5 nodes and `meshctl node` processes run as QUIC over
// netceptor data messages (src/node/mesh/quic.ts, quic-streams.ts; mesh.ts dialEither). One tcp mesh of real
// processes, every node started from the same Receptor YAML (test/interop/support/mixed-mesh.ts):
//
//   rctl (receptor) ─┐                ┌─ mexec (meshctl)
//                    ├─ hop (receptor) ┤
//   mctl (meshctl)  ─┘                └─ rexec (receptor)
//
// so rctl → mexec and mctl → rexec cross a receptor hop, and hop itself is a receptor linked directly to a
// meshctl executor (mexec) and a meshctl controller (mctl). Every node has the same work commands (cat, a
// short and a long ticker, a cat that needs a signature) and the same work-signing / work-verification key pair.
// Checked: remote work both ways (receptorctl and meshctl; payload sha256, --follow of a streaming unit, signed
// and unsigned submits to a verifysignature work type), `connect <meshctl node> control` from a receptor across
// the hop, a meshctl --follow to a receptor executor that survives the receptor hop's SIGKILL and restart, and a
// meshctl controller SIGKILLed mid-download that resumes its remote unit after restart, and a meshctl executor
// SIGKILLed and restarted under a receptor controller's follow. A second, small mesh runs
// the direct-link streams over mutual TLS links.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshctlBin, requirePeers, runMeshctl, runReceptorctl, type WorkCommandSpec } from '../helpers/receptor.js';
import { workStatus } from './support/raw.js';
import { MixedMesh, spawnLive, tickerLines, waitFor, writeTicker, type MixedNode, type NodeStatus } from './support/mixed-mesh.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The short ticker (the --follow checks): 60 lines, one every 50 ms (~3 s). */
const TICKS = 60;
/** The long ticker (the hop killed mid-stream): 200 lines, one every 100 ms (~20 s). */
const LONG_TICKS = 200;

/** What receptorctl prints for an unsigned remote submit of a verifysignature work type (seen with receptor 1.6.5 controllers). */
const REFUSED_UNSIGNED = 'ERROR: Remote error: ERROR: could not parse response: ERROR: could not verify signature: signature is empty\n';

type Id = 'mexec' | 'rexec' | 'hop' | 'rctl' | 'mctl';

interface Mesh {
  mesh: MixedMesh;
  n: Record<Id, MixedNode>;
}

/** Every node of `mesh` routes to every other one. */
async function converged(mesh: MixedMesh, ms: number): Promise<void> {
  for (const node of mesh.nodes) {
    let last: NodeStatus | undefined;
    await waitFor(
      `${node.id} (${node.kind}) to route to every other node`,
      async () => {
        const st = (last = await node.status());
        return mesh.nodes.every((o) => o === node || st.RoutingTable?.[o.id]) ? true : undefined;
      },
      ms,
      () => `last status of ${node.id}: ${JSON.stringify(last)}\n${mesh.logs()}`,
    );
  }
}

/**
 * Opens a control session on `sock`, sends `connect <node> <service>` and, once bridged ("Connecting"), reads the
 * remote greeting, sends `command` and reads its one-line reply (controlsvc/connect.go BridgeConn).
 */
function connectAndAsk(sock: string, node: string, service: string, command: string, timeoutMs = 60_000): Promise<{ lines: string[] }> {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    let buf = '';
    const lines: string[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect ${node} ${service}: no full answer within ${timeoutMs} ms (lines so far: ${JSON.stringify(lines)}, pending '${buf}')`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        // 1: the local greeting; 2: "Connecting"; 3: the remote greeting; 4: the reply.
        if (lines.length === 1) s.write(`connect ${node} ${service}\n`);
        if (lines.length === 3) s.write(`${command}\n`);
        if (lines.length === 4) {
          clearTimeout(timer);
          s.destroy();
          resolve({ lines });
          return;
        }
      }
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('close', () => {
      clearTimeout(timer);
      if (lines.length < 4) reject(new Error(`connect ${node} ${service}: session closed after ${JSON.stringify(lines)} (pending '${buf}')`));
    });
  });
}

describe('mixed streams over tcp: receptor and meshctl nodes run work and control sessions on each other (QUIC over netceptor)', () => {
  let t: Mesh;

  beforeAll(async () => {
    requirePeers();
    const mesh = new MixedMesh(await mkdtemp(join(tmpdir(), 'mixed-streams-')), 'tcp');
    try {
      const keys = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      });
      await writeFile(join(mesh.root, 'signing.pem'), keys.privateKey, { mode: 0o600 });
      await writeFile(join(mesh.root, 'verify.pub'), keys.publicKey);
      const ticker = await writeTicker(join(mesh.root, 'ticker.sh'), TICKS, 0.05);
      const longTicker = await writeTicker(join(mesh.root, 'long-ticker.sh'), LONG_TICKS, 0.1);
      const workCommands: WorkCommandSpec[] = [
        { worktype: 'cat', command: 'cat' },
        { worktype: 'ticker', command: ticker },
        { worktype: 'longticker', command: longTicker },
        { worktype: 'signedcat', command: 'cat', verifysignature: true },
      ];
      // The controller signs remote submits with work-signing (workceptor.go createSignature: RS512, aud = the
      // target node); the executor checks them with work-verification for verifysignature work types.
      const extraItems = [
        { 'work-signing': { privatekey: join(mesh.root, 'signing.pem'), tokenexpiration: '1h' } },
        { 'work-verification': { publickey: join(mesh.root, 'verify.pub') } },
      ];
      const opts = { workCommands, extraItems };
      // Listeners first, so every dialled port is up when its dialer starts.
      const mexec = await mesh.start('meshctl', 'mexec', { ...opts, listen: { cost: 1 } });
      const rexec = await mesh.start('receptor', 'rexec', { ...opts, listen: { cost: 1 } });
      const hop = await mesh.start('receptor', 'hop', {
        ...opts,
        listen: { cost: 1 },
        dial: [
          { node: mexec, cost: 1 },
          { node: rexec, cost: 1 },
        ],
      });
      const rctl = await mesh.start('receptor', 'rctl', { ...opts, dial: [{ node: hop, cost: 1 }] });
      const mctl = await mesh.start('meshctl', 'mctl', { ...opts, dial: [{ node: hop, cost: 1 }] });
      t = { mesh, n: { mexec, rexec, hop, rctl, mctl } };
      await converged(mesh, 80_000);
    } catch (err) {
      await mesh.close();
      throw err;
    }
  }, 150_000);

  afterAll(async () => {
    await t?.mesh.close();
  });

  const logs = () => t.mesh.logs();

  // ---------------------------------------------------------------- receptor controller → meshctl executor
  for (const [ctl, via] of [
    ['hop', 'a direct link'],
    ['rctl', 'the receptor hop'],
  ] as const) {
    it(`mixed streams - receptorctl work submit cat --node mexec -p - -f --rm on receptor ${ctl} returns 1 MiB byte for byte over ${via}`, async () => {
      const payload = randomBytes(1024 * 1024 + 11);
      const r = await runReceptorctl(['--socket', t.n[ctl].sock, 'work', 'submit', 'cat', '--node', 'mexec', '-p', '-', '-f', '--rm'], {
        stdin: payload,
        timeoutMs: 120_000,
      });
      expect(r.exitCode, `${r.stderr}\n${logs()}`).toBe(0);
      expect(sha256(r.stdout.subarray(0, payload.length))).toBe(sha256(payload));
      expect(r.stdout.subarray(payload.length).toString()).toMatch(new RegExp(`^\\(${ctl}\\w{8}, released\\)\\n$`));
    });

    it(`mixed streams - receptorctl work submit ticker --node mexec -f --rm on receptor ${ctl} prints every line of a streaming unit once, in order, over ${via}`, async () => {
      const r = await runReceptorctl(['--socket', t.n[ctl].sock, 'work', 'submit', 'ticker', '--node', 'mexec', '-n', '-f', '--rm'], { timeoutMs: 120_000 });
      expect(r.exitCode, `${r.stderr}\n${logs()}`).toBe(0);
      const out = r.stdout.toString();
      const results = out.slice(0, out.lastIndexOf('('));
      expect(results).toBe(tickerLines(TICKS));
      expect(out.slice(results.length)).toMatch(new RegExp(`^\\(${ctl}\\w{8}, released\\)\\n$`));
    });
  }

  it('mixed streams - receptorctl --signwork runs a verifysignature work type on the meshctl executor across the receptor hop; unsigned is refused with receptor\'s error', async () => {
    const signed = await runReceptorctl(
      ['--socket', t.n.rctl.sock, 'work', 'submit', 'signedcat', '--node', 'mexec', '--signwork', '-l', 'signed payload', '-f', '--rm'],
      { timeoutMs: 120_000 },
    );
    expect(signed.exitCode, `${signed.stderr}\n${logs()}`).toBe(0);
    expect(signed.stdout.toString()).toMatch(/^signed payload\n\(rctl\w{8}, released\)\n$/);
    const unsigned = await runReceptorctl(['--socket', t.n.rctl.sock, 'work', 'submit', 'signedcat', '--node', 'mexec', '-l', 'unsigned', '-f', '--rm'], {
      timeoutMs: 120_000,
    });
    // The executor's refusal (workceptor.go verifySignature) comes back through the controller's remote work
    // (remote_work.go "could not parse response") and receptorctl ("Remote error").
    expect(unsigned.exitCode, `${unsigned.stderr}\n${logs()}`).not.toBe(0);
    expect({ stdout: unsigned.stdout.toString(), stderr: unsigned.stderr }).toEqual({ stdout: '', stderr: REFUSED_UNSIGNED });
  });

  // ---------------------------------------------------------------- meshctl controller → receptor executor
  for (const [exe, via] of [
    ['hop', 'a direct link'],
    ['rexec', 'the receptor hop'],
  ] as const) {
    it(`mixed streams - meshctl work submit cat --node ${exe} --follow --rm on the meshctl controller returns 1 MiB byte for byte over ${via}`, async () => {
      const payload = randomBytes(1024 * 1024 + 13);
      const r = await runMeshctl(['-s', t.n.mctl.sock, 'work', 'submit', 'cat', '--node', exe, '--payload', '-', '--follow', '--rm'], {
        stdin: payload,
        timeoutMs: 120_000,
      });
      expect(r.exitCode, `${r.stderr}\n${logs()}`).toBe(0);
      expect(sha256(r.stdout)).toBe(sha256(payload));
    });

    it(`mixed streams - receptorctl work submit cat --node ${exe} -p - -f --rm against the meshctl controller's socket returns 1 MiB byte for byte over ${via}`, async () => {
      const payload = randomBytes(1024 * 1024 + 17);
      const r = await runReceptorctl(['--socket', t.n.mctl.sock, 'work', 'submit', 'cat', '--node', exe, '-p', '-', '-f', '--rm'], {
        stdin: payload,
        timeoutMs: 120_000,
      });
      expect(r.exitCode, `${r.stderr}\n${logs()}`).toBe(0);
      expect(sha256(r.stdout.subarray(0, payload.length))).toBe(sha256(payload));
      expect(r.stdout.subarray(payload.length).toString()).toMatch(/^\(mctl\w{8}, released\)\n$/);
    });

    it(`mixed streams - meshctl work submit ticker --node ${exe} --follow --rm on the meshctl controller prints every line of a streaming unit once, in order, over ${via}`, async () => {
      const r = await runMeshctl(['-s', t.n.mctl.sock, 'work', 'submit', 'ticker', '--node', exe, '-n', '--follow', '--rm'], { timeoutMs: 120_000 });
      expect(r.exitCode, `${r.stderr}\n${logs()}`).toBe(0);
      expect(r.stdout.toString()).toBe(tickerLines(TICKS));
    });
  }

  it('mixed streams - meshctl work submit --signwork runs a verifysignature work type on the receptor executor across the receptor hop; unsigned is refused with receptor\'s error', async () => {
    const signed = await runMeshctl(['-s', t.n.mctl.sock, 'work', 'submit', 'signedcat', '--node', 'rexec', '--signwork', '-l', 'signed payload', '--follow', '--rm'], {
      timeoutMs: 120_000,
    });
    expect(signed.exitCode, `${signed.stderr}\n${logs()}`).toBe(0);
    expect(signed.stdout.toString()).toBe('signed payload\n');
    const rsigned = await runReceptorctl(
      ['--socket', t.n.mctl.sock, 'work', 'submit', 'signedcat', '--node', 'rexec', '--signwork', '-l', 'signed by receptorctl', '-f', '--rm'],
      { timeoutMs: 120_000 },
    );
    expect(rsigned.exitCode, `${rsigned.stderr}\n${logs()}`).toBe(0);
    expect(rsigned.stdout.toString()).toMatch(/^signed by receptorctl\n\(mctl\w{8}, released\)\n$/);
    const unsigned = await runMeshctl(['-s', t.n.mctl.sock, 'work', 'submit', 'signedcat', '--node', 'rexec', '-l', 'unsigned', '--follow', '--rm'], {
      timeoutMs: 120_000,
    });
    expect(unsigned.exitCode, `${unsigned.stderr}\n${logs()}`).not.toBe(0);
    expect(unsigned.stdout.toString()).toBe('');
    expect(unsigned.stderr).toContain(`failed: could not parse response: ERROR: could not verify signature: signature is empty`);
    // receptorctl against the meshctl controller gets the same text as from a receptor controller.
    const runsigned = await runReceptorctl(['--socket', t.n.mctl.sock, 'work', 'submit', 'signedcat', '--node', 'rexec', '-l', 'unsigned', '-f', '--rm'], {
      timeoutMs: 120_000,
    });
    expect(runsigned.exitCode, `${runsigned.stderr}\n${logs()}`).not.toBe(0);
    expect({ stdout: runsigned.stdout.toString(), stderr: runsigned.stderr }).toEqual({ stdout: '', stderr: REFUSED_UNSIGNED });
  });

  // ---------------------------------------------------------------- control sessions across the mesh
  it('mixed streams - connect mctl control on the receptor rctl reaches the meshctl node across the receptor hop and answers status', async () => {
    const { lines } = await connectAndAsk(t.n.rctl.sock, 'mctl', 'control', '{"command":"status","requested_fields":["NodeID"]}');
    expect(lines.slice(0, 3)).toEqual(['Receptor Control, node rctl', 'Connecting', 'Receptor Control, node mctl']);
    expect(JSON.parse(lines[3]!)).toEqual({ NodeID: 'mctl' });
  });

  it('mixed streams - connect mexec control on the receptor rctl reaches the meshctl executor across the receptor hop and answers status', async () => {
    const { lines } = await connectAndAsk(t.n.rctl.sock, 'mexec', 'control', '{"command":"status","requested_fields":["NodeID"]}');
    expect(lines.slice(0, 3)).toEqual(['Receptor Control, node rctl', 'Connecting', 'Receptor Control, node mexec']);
    expect(JSON.parse(lines[3]!)).toEqual({ NodeID: 'mexec' });
  });

  it('mixed streams - receptorctl connect mexec control (on a pseudo-terminal, as it requires) reaches the meshctl executor across the receptor hop', async () => {
    // receptorctl connect puts its terminal in raw mode (termios), so it runs under script(1); the terminal echoes
    // what is typed, then the meshctl node's greeting and its answer come back through receptor's QUIC stream.
    const cmd = `${requirePeers().receptorctl} --socket ${t.n.rctl.sock} connect mexec control`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString('utf8');
        if (text.includes('{"NodeID":"mexec"}')) child.stdin.end();
      });
      child.on('error', reject);
      child.on('close', () => resolve(text));
      setTimeout(() => child.stdin.write('{"command":"status","requested_fields":["NodeID"]}\r'), 1000).unref();
      setTimeout(() => child.kill(), 30_000).unref();
    });
    const lines = out.split(/\r?\n/).filter((l) => l !== '');
    expect(lines[0]).toBe('Receptor Control, node mexec');
    expect(lines).toContain('{"NodeID":"mexec"}');
  }, 60_000);

  it('mixed streams - every stream so far ended quietly on the receptor side: no unreachable notices, no stream canceled with 499', () => {
    // Regression: a meshctl dialer dropped its ephemeral service as soon as its stream closed, so the receptor's last
    // QUIC packets were answered `service unknown` (~50 warnings per stream on rexec), and destroy() sent STOP_SENDING
    // 499 (`Could not read in control service: stream 0 canceled by remote with error code 499`). Kills come below.
    for (const node of t.mesh.nodes.filter((x) => x.kind === 'receptor')) {
      expect(node.log(), node.id).not.toContain('Received unreachable message');
      expect(node.log(), node.id).not.toContain('canceled by remote with error code 499');
    }
  });

  // ---------------------------------------------------------------- a hop killed with a QUIC stream in flight
  it('mixed streams - the receptor hop SIGKILLed and restarted while meshctl --follow streams a receptor executor\'s unit over QUIC: every line exactly once, in order', async () => {
    const follow = spawnLive(
      process.execPath,
      [meshctlBin(), '-s', t.n.mctl.sock, 'work', 'submit', 'longticker', '--node', 'rexec', '--no-payload', '--follow', '--rm'],
      180_000,
    );
    await waitFor('10 lines of the long ticker on mctl', () => (follow.stdout().split('\n').length > 10 ? true : undefined), 60_000, () => `${follow.stderr()}\n${logs()}`);
    await t.n.hop.stop('SIGKILL');
    await waitFor(
      "mctl's routes without hop and rexec",
      async () => {
        const st = await t.n.mctl.status();
        return !st.RoutingTable?.hop && !st.RoutingTable?.rexec && (st.Connections ?? []).length === 0 ? true : undefined;
      },
      30_000,
      logs,
    );
    await t.n.hop.start();
    await converged(t.mesh, 60_000);
    // The unit's QUIC connection (mctl ↔ rexec, end to end) usually does not resume: rexec's quic-go fails a
    // write while the hop is down ("no connection to next hop", netceptor.go forwardMessage) and drops its end, so
    // the meshctl side hears nothing until its 30 s idle timeout (conn.go MaxIdleTimeout) and then reopens the
    // results from the bytes it holds. Either way the follow must end with every line once.
    const end = await follow.done;
    expect(end, `stderr: ${follow.stderr()}\n${logs()}`).toMatchObject({ exitCode: 0, timedOut: false });
    expect(follow.stdout()).toBe(tickerLines(LONG_TICKS));
  }, 180_000);

  it('mixed streams - the meshctl controller SIGKILLed and restarted while its remote unit on a receptor executor streams over QUIC: it resumes the download, every line exactly once, in order', async () => {
    const sub = await runMeshctl(['-s', t.n.mctl.sock, 'work', 'submit', 'longticker', '--node', 'rexec', '--no-payload'], { timeoutMs: 60_000 });
    expect(sub.exitCode, `${sub.stderr}\n${logs()}`).toBe(0);
    const unit = sub.stdout.toString().trim();
    expect(unit).toMatch(/^mctl\w{8}$/);
    // At least 10 lines downloaded ("line N\n" is 7 or 8 bytes) before the kill: the stream is in flight.
    await waitFor(
      `unit ${unit} on mctl to hold 10 lines of the long ticker`,
      async () => {
        const st = await workStatus(t.n.mctl.sock, unit);
        return typeof st !== 'string' && (st.StdoutSize as number) >= 70 ? true : undefined;
      },
      60_000,
      logs,
    );
    await t.n.mctl.restart({ signal: 'SIGKILL' });
    // A restarted controller takes its remote units back from its datadir and resumes each download from the
    // bytes it holds (workceptor remote_work.go Restart → monitorRemoteUnit, from the stdout file's size).
    let last: Record<string, unknown> | string | undefined;
    await waitFor(
      `unit ${unit} on the restarted mctl to succeed`,
      async () => {
        last = await workStatus(t.n.mctl.sock, unit);
        return typeof last !== 'string' && last.StateName === 'Succeeded' ? true : undefined;
      },
      120_000,
      () => `last status: ${JSON.stringify(last)}\n${logs()}`,
    );
    const r = await runMeshctl(['-s', t.n.mctl.sock, 'work', 'results', unit], { timeoutMs: 60_000 });
    expect(r.exitCode, `${r.stderr}\n${logs()}`).toBe(0);
    expect(r.stdout.toString()).toBe(tickerLines(LONG_TICKS));
    const rel = await runMeshctl(['-s', t.n.mctl.sock, 'work', 'release', unit], { timeoutMs: 60_000 });
    expect(rel.exitCode, `${rel.stderr}\n${logs()}`).toBe(0);
  }, 180_000);

  it('mixed streams - the meshctl executor SIGKILLed and restarted while a receptor controller follows its unit over QUIC across the receptor hop: every line exactly once, in order', async () => {
    const follow = spawnLive(
      requirePeers().receptorctl,
      ['--socket', t.n.rctl.sock, 'work', 'submit', 'longticker', '--node', 'mexec', '--no-payload', '-f', '--rm'],
      180_000,
    );
    await waitFor('10 lines of the long ticker on rctl', () => (follow.stdout().split('\n').length > 10 ? true : undefined), 60_000, () => `${follow.stderr()}\n${logs()}`);
    // The unit's program outlives its node (the unit runner, docs/node.md "Restarts and running work"); the
    // restarted node takes the unit back. rctl's quic-go connection to the dead process hears nothing more,
    // times out (30 s idle, conn.go) and receptor's remote work dials again and resumes the results from the
    // bytes it holds (remote_work.go monitorRemoteUnit).
    await t.n.mexec.restart({ signal: 'SIGKILL' });
    await converged(t.mesh, 60_000);
    const end = await follow.done;
    expect(end, `stderr: ${follow.stderr()}\n${logs()}`).toMatchObject({ exitCode: 0, timedOut: false });
    const out = follow.stdout();
    const results = out.slice(0, out.lastIndexOf('('));
    expect(results).toBe(tickerLines(LONG_TICKS));
    expect(out.slice(results.length)).toMatch(/^\(rctl\w{8}, released\)\n$/);
  }, 180_000);

  it('mixed streams - no node exited and no receptor panicked', () => {
    for (const node of t.mesh.nodes) {
      expect({ id: node.id, running: node.running }).toEqual({ id: node.id, running: true });
      expect(node.log(), node.id).not.toMatch(/panic:|fatal error:/);
    }
  });
});

// The same streams over mutual TLS links (the QUIC connections ride inside the links' data messages, so the
// link's TLS is one more layer beneath them): a receptor hop between two meshctl nodes, each stream on a direct link.
describe('mixed streams over tls: meshctl controller → receptor hop → meshctl executor, streams on the direct links', () => {
  let mesh: MixedMesh;
  let n: Record<'controller' | 'hop' | 'executor', MixedNode>;

  beforeAll(async () => {
    requirePeers();
    mesh = new MixedMesh(await mkdtemp(join(tmpdir(), 'mixed-streams-tls-')), 'tls');
    try {
      const workCommands: WorkCommandSpec[] = [{ worktype: 'cat', command: 'cat' }];
      const executor = await mesh.start('meshctl', 'executor', { workCommands, listen: { cost: 1 } });
      const hop = await mesh.start('receptor', 'hop', { workCommands, listen: { cost: 1 }, dial: [{ node: executor, cost: 1 }] });
      const controller = await mesh.start('meshctl', 'controller', { workCommands, dial: [{ node: hop, cost: 1 }] });
      n = { controller, hop, executor };
      await converged(mesh, 80_000);
    } catch (err) {
      await mesh.close();
      throw err;
    }
  }, 150_000);

  afterAll(async () => {
    await mesh?.close();
  });

  it('mixed streams - tls: receptorctl work submit cat --node executor -f --rm on the receptor hop returns 1 MiB byte for byte from the meshctl executor', async () => {
    const payload = randomBytes(1024 * 1024 + 19);
    const r = await runReceptorctl(['--socket', n.hop.sock, 'work', 'submit', 'cat', '--node', 'executor', '-p', '-', '-f', '--rm'], {
      stdin: payload,
      timeoutMs: 120_000,
    });
    expect(r.exitCode, `${r.stderr}\n${mesh.logs()}`).toBe(0);
    expect(sha256(r.stdout.subarray(0, payload.length))).toBe(sha256(payload));
    expect(r.stdout.subarray(payload.length).toString()).toMatch(/^\(hop\w{8}, released\)\n$/);
  });

  it('mixed streams - tls: meshctl work submit cat --node hop --follow --rm on the meshctl controller returns 1 MiB byte for byte from the receptor hop', async () => {
    const payload = randomBytes(1024 * 1024 + 23);
    const r = await runMeshctl(['-s', n.controller.sock, 'work', 'submit', 'cat', '--node', 'hop', '--payload', '-', '--follow', '--rm'], {
      stdin: payload,
      timeoutMs: 120_000,
    });
    expect(r.exitCode, `${r.stderr}\n${mesh.logs()}`).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(payload));
  });

  it('mixed streams - tls: connect controller control on the receptor hop answers status from the meshctl controller', async () => {
    const { lines } = await connectAndAsk(n.hop.sock, 'controller', 'control', '{"command":"status","requested_fields":["NodeID"]}');
    expect(lines.slice(0, 3)).toEqual(['Receptor Control, node hop', 'Connecting', 'Receptor Control, node controller']);
    expect(JSON.parse(lines[3]!)).toEqual({ NodeID: 'controller' });
  });
});
