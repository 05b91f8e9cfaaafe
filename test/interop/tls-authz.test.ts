// TLS authorization and certificate chains, side by side: the same two-node mesh (A dials B over a TLS
// link; B's `control` service takes TLS inside mesh streams and requires client certificates) run once
// with real receptors and once with meshctl nodes, and the same questions asked of both.
// - Certificates are made by receptor's own --cert-init / --cert-makereq / --cert-signreq, shaped like
//   Receptor's test PKI: the CA and every node certificate are CN=localhost (OpenSSL alone refuses such
//   chains; the TLS link only forms if the node verifies as Go does).
// - A client certificate for another node ID (node A presents `other`'s): refused by B with
//   `x509: certificate is valid for Receptor node ID other, not A`, even with skipreceptornamescheck on
//   B's tls-server (that flag only concerns B's own certificate at start).
// - Without a tls-client: `connect` answers `insecure connection to secure service` at once and a remote
//   unit fails with it; with the wrong certificate the remote unit fails with the server's alert.
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeers, runProgram, startMeshctlNode, startReceptor, type ReceptorOptions, type RunningReceptor } from '../helpers/receptor.js';
import { rawCommand, waitForState } from './support/raw.js';

/** Sends `input` on a fresh control connection; the lines received until the connection closes (or is reset) or stays quiet for 3 s. */
function session(socketPath: string, input: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let buf = '';
    let quiet: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(quiet);
      s.destroy();
      const lines = buf.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      resolve(lines.slice(1)); // the greeting of the node we talk to
    };
    const arm = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(finish, 3000);
    };
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      arm();
    });
    s.on('close', finish);
    // Receptor may end A's control connection with a reset when the bridged stream fails (its QUIC dial refused by
    // B after `Connecting`), our unread status line making the close a RST: the session ended, with what it said.
    s.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? finish() : reject(err)));
    s.on('connect', () => {
      s.write(input);
      arm();
    });
  });
}

/** A submit with a payload; returns the final reply line. */
function submit(socketPath: string, request: Record<string, unknown>, payload: string): Promise<{ result: string; unitid: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let buf = '';
    let stage = 0;
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl === -1) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        stage++;
        if (stage === 2) {
          if (!line.startsWith('Work unit created')) return reject(new Error(line));
          s.end(payload);
        } else if (stage === 3) {
          s.destroy();
          return resolve(JSON.parse(line) as { result: string; unitid: string });
        }
      }
    });
    s.once('error', reject);
    s.on('connect', () => s.write(JSON.stringify({ command: 'work', subcommand: 'submit', ...request }) + '\n'));
  });
}

for (const kind of ['receptor', 'meshctl'] as const) {
  describe(`TLS authorization on a ${kind} mesh`, () => {
    let dir: string;
    let a: RunningReceptor;
    let b: RunningReceptor;
    const f = (name: string) => join(dir, name);

    async function receptor(...args: string[]): Promise<void> {
      const r = await runProgram(requirePeers().receptor, args, { timeoutMs: 30_000 });
      if (r.exitCode !== 0) throw new Error(`receptor ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}${r.stdout}`);
    }

    beforeAll(async () => {
      requirePeers();
      dir = await mkdtemp(join(tmpdir(), `interop-tlsauthz-${kind}-`));
      await receptor('--cert-init', 'commonname=localhost', 'bits=2048', `outcert=${f('ca.crt')}`, `outkey=${f('ca.key')}`);
      for (const name of ['A', 'B', 'other']) {
        await receptor('--cert-makereq', 'bits=2048', 'commonname=localhost', 'dnsname=localhost', `nodeid=${name}`, `outreq=${f(`${name}.csr`)}`, `outkey=${f(`${name}.key`)}`);
        await receptor('--cert-signreq', `req=${f(`${name}.csr`)}`, `cacert=${f('ca.crt')}`, `cakey=${f('ca.key')}`, `outcert=${f(`${name}.crt`)}`, 'verify=yes');
      }
      const start = (o: ReceptorOptions) => (kind === 'receptor' ? startReceptor(o) : startMeshctlNode(o));
      b = await start({
        nodeId: 'B',
        tcpListener: { tls: 'srv' },
        controlServiceTls: 'srv',
        extraItems: [
          {
            'tls-server': { name: 'srv', cert: f('B.crt'), key: f('B.key'), requireclientcert: true, clientcas: f('ca.crt'), skipreceptornamescheck: true },
          },
        ],
        workCommands: [{ worktype: 'cat', command: 'cat' }],
      });
      a = await start({
        nodeId: 'A',
        // The certificates name `localhost`, not 127.0.0.1 (Receptor checks the host of a tcp-peer).
        tcpPeers: [{ address: `localhost:${b.listenerPort}`, tls: 'right' }],
        extraItems: [
          { 'tls-client': { name: 'right', cert: f('A.crt'), key: f('A.key'), rootcas: f('ca.crt') } },
          { 'tls-client': { name: 'wrong', cert: f('other.crt'), key: f('other.key'), rootcas: f('ca.crt'), skipreceptornamescheck: true } },
        ],
      });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const st = JSON.parse(await rawCommand(a.socketPath, 'status')) as { RoutingTable: Record<string, string> };
        if (st.RoutingTable.B) break;
        if (Date.now() > deadline) throw new Error(`no TLS link formed: ${JSON.stringify(st)}\n${a.log()}\n${b.log()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it(`tls authz interop (${kind}) - a CA and certificates of one subject form a TLS link; the right certificate reaches B's TLS control service`, async () => {
      expect(await session(a.socketPath, 'connect B control right\n{"command":"status","requested_fields":["NodeID"]}\n')).toEqual([
        'Connecting',
        'Receptor Control, node B',
        '{"NodeID":"B"}',
      ]);
    });

    it(`tls authz interop (${kind}) - a client certificate for another node ID is refused with Receptor's x509 error`, async () => {
      const lines = await session(a.socketPath, 'connect B control wrong\n{"command":"status","requested_fields":["NodeID"]}\n');
      if (kind === 'receptor' && lines[0] !== 'Connecting') {
        // Receptor races here: the connect command answers once its QUIC dial returns, and on a loaded machine B's
        // alert for the refused certificate can reach A first; then the dial fails and the session stays on A, which
        // runs the next line itself (seen once in a CI-like run at load average 6; Connecting is the usual answer).
        expect(lines).toEqual(['ERROR: CRYPTO_ERROR 0x12a (remote): tls: bad certificate', '{"NodeID":"A"}']);
      } else {
        expect(lines).toEqual(['Connecting']);
      }
      const deadline = Date.now() + 10_000;
      while (!b.log().includes('x509: certificate is valid for Receptor node ID other, not A') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(b.log()).toContain('x509: certificate is valid for Receptor node ID other, not A');
    });

    it(`tls authz interop (${kind}) - connect without a tls-client: insecure connection to secure service, at once`, async () => {
      expect(await session(a.socketPath, 'connect B control\n')).toEqual(['ERROR: CRYPTO_ERROR 0x12a (local): insecure connection to secure service']);
    });

    it(`tls authz interop (${kind}) - remote units: no tls-client and a wrong certificate fail with Receptor's Detail, the right one runs`, async () => {
      const plain = await submit(a.socketPath, { node: 'B', worktype: 'cat' }, 'x');
      const wrong = await submit(a.socketPath, { node: 'B', worktype: 'cat', tlsclient: 'wrong' }, 'x');
      const right = await submit(a.socketPath, { node: 'B', worktype: 'cat', tlsclient: 'right' }, 'over tls\n');
      expect([plain.result, wrong.result]).toEqual(['Job Submitted', 'Job Submitted']);
      expect(await waitForState(a.socketPath, plain.unitid, [3], 20_000)).toMatchObject({
        Detail: 'TLS error connecting to remote service: CRYPTO_ERROR 0x12a (local): insecure connection to secure service',
      });
      expect(await waitForState(a.socketPath, wrong.unitid, [3], 20_000)).toMatchObject({
        Detail: 'TLS error connecting to remote service: CRYPTO_ERROR 0x12a (remote): tls: bad certificate',
      });
      expect(await waitForState(a.socketPath, right.unitid, [2], 30_000)).toMatchObject({ State: 2 });
    });
  });
}
