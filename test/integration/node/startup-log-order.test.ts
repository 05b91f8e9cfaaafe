// `meshctl node` start-up log (issue 12): `Initialization complete` is receptor's last start-up line, so a
// harness using port 0 can wait for it and then know every address. meshctl used to log it before its
// `listening on` lines. Runs the command through main in this process, with a socket and a TCP port 0.
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { IOStreams } from '../../../src/cmdutil/io/iostreams.js';
import { exchange } from './raw-client.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-logorder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('node start-up log - Initialization complete comes after every listening on line', async () => {
  const sock = path.join(dir, 'ctl.sock');
  const file = path.join(dir, 'node.yaml');
  await writeFile(
    file,
    `- node:\n    id: n1\n    datadir: ${JSON.stringify(path.join(dir, 'data'))}\n- local-only\n- control-service:\n    filename: ${JSON.stringify(sock)}\n    tcplisten: "127.0.0.1:0"\n`,
  );
  const err = new PassThrough();
  let text = '';
  err.on('data', (d: Buffer) => (text += d.toString()));
  const io = new IOStreams({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: err, env: {} });
  const ac = new AbortController();
  const running = main(['node', '-c', file], io, { signals: false, signal: ac.signal });
  const deadline = Date.now() + 20_000;
  while (!text.includes('Initialization complete') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // A status round trip: anything else the start-up logged has been written by then.
  expect(await exchange(sock, '{"command":"status","requested_fields":["NodeID"]}\n')).toEqual(['{"NodeID":"n1"}']);
  const lines = text.trimEnd().split('\n');
  ac.abort();
  expect(await running).toBe(0);
  await expect(access(sock)).rejects.toThrow();
  const listening = lines.map((l, i) => (/ Node n1 listening on (\S+)$/.test(l) ? i : -1)).filter((i) => i >= 0);
  expect(listening).toHaveLength(2);
  expect(lines[listening[0]!]).toContain(`listening on ${sock}`);
  expect(lines[listening[1]!]).toMatch(/listening on tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
  const init = lines.findIndex((l) => / Initialization complete$/.test(l));
  expect(init).toBe(lines.length - 1);
  expect(Math.max(...listening)).toBeLessThan(init);
});
