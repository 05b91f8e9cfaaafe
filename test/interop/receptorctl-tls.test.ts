// receptorctl over a mutual-TLS control listener (tcptls), against the real receptor and against
// `meshctl node` started from the same YAML and certificates: same outcomes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certs.js';
import { requirePeers, runReceptorctl, startMeshctlNode, startReceptor, type RunningReceptor } from '../helpers/receptor.js';

for (const kind of ['receptor', 'meshctl node'] as const) {
  describe(`receptorctl tls vs ${kind}`, () => {
    let dir: string;
    let pki: TestPki;
    let node: RunningReceptor;
    beforeAll(async () => {
      requirePeers();
      dir = await mkdtemp(join(tmpdir(), 'interop-rtls-'));
      pki = await makeTestPki(dir, { nodes: [{ name: 'tlsnode' }, { name: 'client', nodeIds: [] }] });
      const options = {
        nodeId: 'tlsnode',
        workCommands: [{ worktype: 'cat', command: 'cat' }],
        controlTls: { tlsServer: 'ctltls' },
        extraItems: [
          {
            'tls-server': {
              name: 'ctltls',
              cert: pki.nodes.tlsnode!.certPath,
              key: pki.nodes.tlsnode!.keyPath,
              requireclientcert: true,
              clientcas: pki.ca.certPath,
            },
          },
        ],
      };
      node = kind === 'receptor' ? await startReceptor(options) : await startMeshctlNode(options);
    });
    afterAll(async () => {
      await node?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const sock = () => ['--socket', `tls://127.0.0.1:${node.tlsPort}`, '--rootcas', pki.ca.certPath];
    const client = () => ['--cert', pki.nodes.client!.certPath, '--key', pki.nodes.client!.keyPath];

    it(`receptorctl tls vs ${kind} - status and a followed submit work with a client certificate`, async () => {
      const st = await runReceptorctl([...sock(), ...client(), 'status', '--json']);
      expect([st.exitCode, st.stderr]).toEqual([0, '']);
      expect(JSON.parse(st.stdout.toString()).NodeID).toBe('tlsnode');
      const sub = await runReceptorctl([...sock(), ...client(), 'work', 'submit', 'cat', '-l', 'over tls', '-f', '--rm']);
      expect(sub.exitCode).toBe(0);
      expect(sub.stdout.toString()).toMatch(/^over tls\n\(tlsnode[0-9A-Za-z]{8}, released\)\n$/);
    });

    it(`receptorctl tls vs ${kind} - without a client certificate receptorctl fails`, async () => {
      const r = await runReceptorctl([...sock(), 'status'], { timeoutMs: 30_000 });
      expect(r.timedOut).toBe(false);
      expect(r.exitCode).toBe(1);
    });
  });
}
