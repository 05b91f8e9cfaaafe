// unix-socket-server and unix-socket-client (issue 12: every section receptor 1.6.5 accepts starts; they were
// refused as "not supported"), on a real mesh of two embedded nodes: a Unix socket on one node reaches a Unix
// socket server on the other, bytes both ways and the half-close; the client side advertises receptor's
// tags, and a missing target socket is receptor's error line while the connection is closed.
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMesh, waitUntil, type TestMesh } from '../../helpers/mesh.js';

describe('node unix socket forwarding', () => {
  let dir: string;
  let m: TestMesh;
  let target: net.Server;
  const logs: string[] = [];
  const q = (s: string): string => JSON.stringify(s);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-unix-proxy-'));
    // The program behind b's socket: upper-cases what it reads, ends when the client half-closes.
    target = net.createServer({ allowHalfOpen: true }, (c) => {
      c.on('data', (d: Buffer) => c.write(d.toString().toUpperCase()));
      c.on('end', () => c.end());
    });
    target.listen(path.join(dir, 'target.sock'));
    await once(target, 'listening');
    m = await startTestMesh({
      nodes: [
        {
          id: 'a',
          extraYaml: [
            '- unix-socket-server:',
            `    filename: ${q(path.join(dir, 'in.sock'))}`,
            '    permissions: 0660',
            '    remotenode: b',
            '    remoteservice: upper',
            '- unix-socket-server:',
            `    filename: ${q(path.join(dir, 'broken.sock'))}`,
            '    remotenode: b',
            '    remoteservice: nowhere',
          ].join('\n'),
        },
        {
          id: 'b',
          extraYaml: [
            '- unix-socket-client:',
            '    service: upper',
            `    filename: ${q(path.join(dir, 'target.sock'))}`,
            '- unix-socket-client:',
            '    service: nowhere',
            `    filename: ${q(path.join(dir, 'missing.sock'))}`,
          ].join('\n'),
        },
      ],
      links: [['a', 'b']],
      log: (id, line) => logs.push(`${id} ${line}`),
    });
    await waitUntil(() => m.node('a').node.mesh.serviceInfo('b', 'upper'), "b's upper advert at a");
  });
  afterAll(async () => {
    await m?.close();
    target?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('node unix proxy - bytes go through both ways, the half-close reaches the far socket and the answer comes back', async () => {
    expect((await stat(path.join(dir, 'in.sock'))).mode & 0o777).toBe(0o660);
    const c = net.connect({ path: path.join(dir, 'in.sock'), allowHalfOpen: true });
    let got = '';
    c.on('data', (d: Buffer) => (got += d.toString()));
    await once(c, 'connect');
    c.write('hello mesh\n');
    c.end();
    await once(c, 'end');
    expect(got).toBe('HELLO MESH\n');
    c.destroy();
  });

  it("node unix proxy - unix-socket-client advertises receptor's tags", () => {
    const ad = m.node('a').node.mesh.serviceInfo('b', 'upper');
    expect(ad).toMatchObject({ NodeID: 'b', Service: 'upper', ConnType: 1, Tags: { type: 'Unix Proxy', filename: path.join(dir, 'target.sock') } });
  });

  it("node unix proxy - a target socket that does not exist: receptor's error at b, the connection at a is closed", async () => {
    const c = net.connect({ path: path.join(dir, 'broken.sock') });
    c.on('data', () => undefined);
    c.on('error', () => undefined);
    await once(c, 'connect');
    await once(c, 'close');
    await waitUntil(() => logs.some((l) => l.startsWith('b ERROR')), "b's error");
    expect(logs.find((l) => l.startsWith('b ERROR'))).toContain(`Error connecting via Unix socket: dial unix ${path.join(dir, 'missing.sock')}: connect: no such file or directory`);
  });
});
