// Command lines in hints: the connection flags the user typed come back (issue 11: resume hints dropped the
// -s ADDRESS), every word reads back through a POSIX shell as it was.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { connectionArgs, meshctlCommand, shellWord } from '../../../src/cmdutil/command-line.js';
import { Factory } from '../../../src/cmdutil/factory.js';
import { defaultGlobals } from '../../../src/cmdutil/globals.js';
import { fakeIo } from './fake-io.js';

describe('command line', () => {
  it('command line - plain words stay bare; anything else is single-quoted and reads back through sh unchanged', () => {
    expect(shellWord('tcp://127.0.0.1:2222')).toBe('tcp://127.0.0.1:2222');
    expect(shellWord('/tmp/a_b-c.sock')).toBe('/tmp/a_b-c.sock');
    const odd = ['', 'a b', "it's", '$HOME', '`x`', 'a;b', '~/x', 'new\nline', '*', "'"];
    for (const w of odd) expect(shellWord(w)).toMatch(/^'.*'$/s);
    // sh prints each argument on its own line (NUL-separated, since a word may hold a newline).
    const back = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${odd.map(shellWord).join(' ')}`]).toString('utf8').split('\0');
    expect(back.slice(0, -1)).toEqual(odd);
  });

  it('command line - every connection flag given comes back in flag order; debug and colour do not', () => {
    const g = defaultGlobals({
      socket: 'tls://n1:2222',
      config: 'r.yaml',
      tlsClient: 'ctl',
      rootcas: 'ca.pem',
      cert: 'c.pem',
      key: 'k.pem',
      insecureskipverify: true,
      timeout: '5s',
      debug: true,
      color: false,
    });
    expect(connectionArgs(g)).toEqual([
      '-s', 'tls://n1:2222', '--config', 'r.yaml', '--tls-client', 'ctl', '--rootcas', 'ca.pem', '--cert', 'c.pem',
      '--key', 'k.pem', '--insecureskipverify', '--timeout', '5s',
    ]);
    expect(meshctlCommand(defaultGlobals({ socket: '/tmp/my node.sock' }), ['work', 'results', 'u 1', '--start-pos', '7'])).toBe(
      "meshctl -s '/tmp/my node.sock' work results 'u 1' --start-pos 7",
    );
    expect(meshctlCommand(defaultGlobals(), ['work', 'status', 'u1'])).toBe('meshctl work status u1');
  });

  it('command line - an address from MESHCTL_SOCKET is not repeated: the shell that ran the command still has it', () => {
    const io = fakeIo({ env: { MESHCTL_SOCKET: '/env.sock' } }).io;
    expect(new Factory(io, defaultGlobals(), new AbortController().signal).commandHint('work', 'status', 'u1')).toBe('meshctl work status u1');
    expect(new Factory(io, defaultGlobals({ socket: '/typed.sock' }), new AbortController().signal).commandHint('status')).toBe(
      'meshctl -s /typed.sock status',
    );
  });
});
