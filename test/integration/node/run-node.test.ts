// `meshctl node -c FILE` logic, run through main in process: a bad file gives one clear error line naming the file, the entry
// and the key, exit 2; a good one runs until stopped, then cleans up and exits 0.
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { IOStreams } from '../../../src/cmdutil/io/iostreams.js';
import { cliBuilt, spawnTestNode } from '../../helpers/node.js';
import { exchange } from './raw-client.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-runnode-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function makeIo(): { io: IOStreams; stderr: () => string } {
  const err = new PassThrough();
  let text = '';
  err.on('data', (d: Buffer) => (text += d.toString()));
  const io = new IOStreams({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: err, env: {} });
  return { io, stderr: () => text };
}

/** `meshctl node -c FILE` in this process; `signal` stands in for Ctrl-C. */
function runNode(o: { config: string }, io: IOStreams, signal?: AbortSignal): Promise<number> {
  return main(['node', '-c', o.config], io, { signals: false, signal });
}

const head = (sock: string): string =>
  `- node:\n    id: n1\n    datadir: ${JSON.stringify(path.join(dir, 'data'))}\n- control-service:\n    filename: ${JSON.stringify(sock)}\n`;

describe('runNode with bad configuration files', () => {
  const cases: [string, (sock: string) => string, RegExp][] = [
    ['unknown key', (s) => head(s) + '- work-command:\n    worktype: a\n    comand: cat\n', /:8: entry #3 \(work-command\): unknown key 'comand'$/],
    ['unknown section', (s) => head(s) + '- work-commands:\n    worktype: a\n', /:6: entry #3 \(work-commands\): unknown section 'work-commands'$/],
    ['bad int', (s) => head(s) + '- control-service:\n    filename: /tmp/x.sock\n    permissions: rw\n', /:8: entry #3 \(control-service\): bad value for 'permissions': strconv\.ParseInt: parsing "rw": invalid syntax$/],
    ['bad bool', (s) => head(s) + '- work-command:\n    worktype: a\n    command: cat\n    allowruntimeparams: maybe\n', /:9: entry #3 \(work-command\): bad value for 'allowruntimeparams': could not parse maybe as boolean$/],
    ['missing required', (s) => head(s) + '- work-command:\n    worktype: a\n', /:6: entry #3 \(work-command\): required parameter missing: command$/],
    ['two names in one entry', (s) => head(s) + '- local-only:\n  log-level: debug\n', /:6: entry #3: an entry must name exactly one section, this one has 2: 'local-only', 'log-level'$/],
    ['singleton twice', (s) => head(s) + '- node:\n    id: again\n', /:6: entry #3 \(node\): only one node directive is allowed$/],
    ['bad log level', (s) => head(s) + '- log-level: loud\n', /:6: entry #3 \(log-level\): loud is not a valid log level name$/],
    ['invalid YAML', (s) => head(s) + '- node: [\n', /:\d+: invalid YAML: /],
    ['not a list', () => 'node:\n  id: x\n', /:1: the configuration must be a YAML list of sections \(Receptor v1 format\)$/],
    ['mesh entry with an unknown tls name', (s) => head(s) + '- tcp-listener:\n    port: 0\n    tls: nosuch\n', /:6: entry #3 \(tcp-listener\): unknown TLS config nosuch$/],
    ['mesh peer with a bad cost', (s) => head(s) + '- tcp-peer:\n    address: 127.0.0.1:1\n    cost: 0\n', /entry #3 \(tcp-peer\): connection cost must be positive$/],
    ['receptor-only section', (s) => head(s) + '- ip-router:\n    networkname: n\n', /:6: entry #3 \(ip-router\): section 'ip-router' is not supported by the meshctl node$/],
    // Receptor 1.6.5 refuses work-python as well, in its own words.
    ['work-python', (s) => head(s) + '- work-python:\n    worktype: k\n', /:6: entry #3 \(work-python\): \[DEPRECATION WARNING\] 'work-python' option is not currently being used\. This feature will be removed from receptor in a future release$/],
    ['unknown tls name', (s) => head(s) + '- control-service:\n    service: c2\n    tcplisten: "127.0.0.1:0"\n    tcptls: nosuch\n', /:6: entry #3 \(control-service\): unknown TLS config nosuch$/],
    ['verifysignature without key', (s) => head(s) + '- work-command:\n    worktype: a\n    command: cat\n    verifysignature: true\n', /entry #3 \(work-command\): VerifySignature for work command 'a' is true, but the work verification public key is not specified$/],
    ['reserved node id', (s) => head(s).replace('id: n1', 'id: localhost'), /entry #1 \(node\): node ID "localhost" is reserved$/],
    ['bad node id', (s) => head(s).replace('id: n1', 'id: "a b"'), /entry #1 \(node\): node id can only contain a-z, A-Z, 0-9 or special characters \. - _ @ : but received: a b$/],
    ['missing key file', (s) => head(s) + '- work-verification:\n    publickey: /nonexistent/key.pub\n', /^meshctl: \/nonexistent\/key\.pub does not exist$/],
    ['unquoted int bare value', (s) => head(s) + '- tcp-peer: 2222\n', /entry #3 \(tcp-peer\): invalid value for section 'tcp-peer': expected a string or a map of parameters$/],
  ];
  for (const [name, body, expected] of cases) {
    it(`run-node - ${name} gives one clear error and exit 2`, async () => {
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
      const sock = path.join(dir, `${name.replace(/\W+/g, '-')}.sock`);
      await writeFile(file, body(sock));
      const { io, stderr } = makeIo();
      const code = await runNode({ config: file }, io);
      expect(code).toBe(2);
      const lines = stderr().trimEnd().split('\n');
      expect(lines[0]).toMatch(/^meshctl: /);
      // The message, then the hint on the same line: `meshctl: <message> (hint: <hint>)`.
      expect(lines[0]!.replace(/ \(hint: [^()]*(\([^()]*\)[^()]*)*\)$/, '')).toMatch(expected);
      if (!lines[0]!.includes('does not exist')) expect(lines[0]).toContain(file);
      expect(lines).toHaveLength(1);
      await expect(access(sock)).rejects.toThrow();
    });
  }

  it('run-node - a missing file is a usage error naming it', async () => {
    const { io, stderr } = makeIo();
    expect(await runNode({ config: path.join(dir, 'nope.yaml') }, io)).toBe(2);
    expect(stderr()).toMatch(/^meshctl: cannot read config file '.*nope\.yaml': no such file( \(hint: [^\n]*\))?\n$/);
  });
});

describe('runNode lifecycle', () => {
  it('run-node - serves until aborted, then removes its socket and exits 0', async () => {
    const sock = path.join(dir, 'life.sock');
    const file = path.join(dir, 'life.yaml');
    await writeFile(file, head(sock) + '- log-level: info\n- work-command:\n    worktype: cat\n    command: cat\n');
    const { io, stderr } = makeIo();
    const ac = new AbortController();
    const running = runNode({ config: file }, io, ac.signal);
    for (let i = 0; i < 200; i++) {
      if (stderr().includes('Initialization complete')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await exchange(sock, '{"command":"status","requested_fields":["NodeID"]}\n')).toEqual(['{"NodeID":"n1"}']);
    // Receptor 1.6.5's suffix: the node's lines name it (pkg/logger appendSuffix).
    expect(stderr()).toMatch(/^INFO \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d Running control service control \{"node_id":"n1"\}$/m);
    expect(stderr()).toContain(`listening on ${sock}`);
    ac.abort();
    expect(await running).toBe(0);
    await expect(access(sock)).rejects.toThrow();
  });
});

describe('meshctl node (built CLI)', () => {
  it.skipIf(!cliBuilt())('run-node - `meshctl node -c` serves, and SIGTERM stops it with exit 0 and no socket left', async () => {
    const n = await spawnTestNode({ via: 'cli', nodeId: 'clinode', workCommands: [{ worktype: 'cat', command: 'cat' }] });
    let closed = false;
    try {
      expect(await exchange(n.socketPath, '{"command":"status","requested_fields":["NodeID"]}\n')).toEqual(['{"NodeID":"clinode"}']);
      expect(n.stderr()).toMatch(/^INFO \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d Initialization complete$/m);
      const socketPath = n.socketPath;
      n.child.kill('SIGTERM');
      expect(await new Promise((r) => n.child.once('exit', (code) => r(code)))).toBe(0);
      await expect(access(socketPath)).rejects.toThrow();
      closed = true;
    } finally {
      if (!closed) await n.close();
      else await rm(n.dir, { recursive: true, force: true });
    }
  });
});
