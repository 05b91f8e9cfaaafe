// The contexts file on disk (src/cmdutil/contexts/file.ts): where it is, what a broken one says (file:line, one
// line), and writes that are atomic, 0600 and keep a hand-edited file's comments. Real files in a temp dir.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextsPath, editContextsFile, parseContexts, readContextsFile, writeFileAtomic } from '../../../src/cmdutil/contexts/file.js';
import { MeshctlError } from '../../../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-contexts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<MeshctlError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(MeshctlError);
  return e as MeshctlError;
}

describe('contexts file', () => {
  it('contexts file - location: MESHCTL_CONFIG_DIR, then an absolute XDG_CONFIG_HOME, then HOME/.config; none without HOME', () => {
    const all = { MESHCTL_CONFIG_DIR: '/m', XDG_CONFIG_HOME: '/x', HOME: '/h' };
    expect(contextsPath(all)).toBe('/m/config.yaml');
    expect(contextsPath({ ...all, MESHCTL_CONFIG_DIR: '' })).toBe('/x/meshctl/config.yaml');
    expect(contextsPath({ XDG_CONFIG_HOME: 'relative/dir', HOME: '/h' })).toBe('/h/.config/meshctl/config.yaml'); // XDG spec: ignored
    expect(contextsPath({ HOME: '/h' })).toBe('/h/.config/meshctl/config.yaml');
    expect(contextsPath({})).toBeUndefined();
  });

  it('contexts file - settings are read, relative paths against the file directory, ~/ against home', async () => {
    const text = [
      'current-context: lab',
      'contexts:',
      '  lab:',
      '    socket: run/node.sock',
      '    rootcas: certs/ca.pem',
      '    cert: ~/c.pem',
      '    key: /abs/k.pem',
      '    insecureskipverify: false',
      '    timeout: 5',
      '  remote:',
      '    socket: tls://h:1',
      '    config: receptor.yml',
      '    tls-client: ctl',
      '  bare:',
      '    socket: "/with space/s.sock"', // quoted: read by the yaml package
      '',
    ].join('\n');
    const f = await parseContexts(text, '/etc/mesh/config.yaml');
    expect(f.current).toBe('lab');
    expect(f.currentLine).toBe(1);
    expect(f.contexts.get('lab')).toEqual({
      name: 'lab',
      line: 3,
      socket: '/etc/mesh/run/node.sock',
      rootcas: '/etc/mesh/certs/ca.pem',
      cert: join(homedir(), 'c.pem'),
      key: '/abs/k.pem',
      insecureskipverify: false,
      timeout: '5',
    });
    expect(f.contexts.get('remote')).toMatchObject({ socket: 'tls://h:1', config: '/etc/mesh/receptor.yml', tlsClient: 'ctl' });
    expect(f.contexts.get('bare')?.socket).toBe('/with space/s.sock');
  });

  it('contexts file - a broken file is one EBADCONFIG line naming file:line', async () => {
    const P = '/cfg/config.yaml';
    const cases: [string, string][] = [
      ['contexts:\n  a:\n    socket: /x\n  a:\n    socket: /y\n', `${P}:4: map keys must be unique`],
      ['contexts:\n  a:\n    sockt: /x\n', `${P}:3: unknown setting 'sockt' in context 'a'`],
      ['current-context: a\ncontext:\n  a: {}\n', `${P}:2: unknown key 'context'`],
      ['contexts:\n  a:\n    socket: ftp://x\n', `${P}:3: 'socket' of context 'a': invalid address 'ftp://x': unknown scheme 'ftp:'`],
      ['contexts:\n  a:\n    timeout: soon\n', `${P}:3: 'timeout' of context 'a': invalid --timeout 'soon'`],
      ['contexts:\n  a:\n    insecureskipverify: yes\n', `${P}:3: 'insecureskipverify' of context 'a' must be true or false, found 'yes'`],
      ['contexts:\n  a:\n    rootcas: [x]\n', `${P}:3: 'rootcas' of context 'a' must be a single value, found a list`],
      ['contexts:\n  a:\n    socket: /s\n    rootcas: /ca\n    config: /r.yml\n    tls-client: c\n', `${P}:2: context 'a' has both 'config' and 'rootcas'/'cert'/'key'`],
      ['contexts:\n  a:\n    cert: /c.pem\n', `${P}:2: context 'a' has 'cert' without 'key'`],
      ['contexts:\n  a:\n    config: /r.yml\n', `${P}:2: context 'a' has 'config' without 'tls-client'`],
      ['- a\n- b\n', `${P}:1: expected 'current-context' and 'contexts' keys, found a list`],
      ['contexts: [\n', `${P}:2:`],
      ['current-context: [a]\n', `${P}:1: 'current-context' must be a context name, found a list`],
    ];
    for (const [text, start] of cases) {
      const e = await failure(parseContexts(text, P));
      expect(e.code, text).toBe('EBADCONFIG');
      expect(e.message.startsWith(start), `${e.message}\n  should start with\n${start}`).toBe(true);
      expect(e.message).not.toContain('\n');
      expect(e.data).toMatchObject({ file: P });
    }
  });

  it('contexts file - no file is no contexts; an unreadable one is EBADFILE naming it', async () => {
    expect(await readContextsFile(join(dir, 'absent', 'config.yaml'))).toBeUndefined();
    const d = join(dir, 'is-a-dir.yaml');
    await mkdir(d);
    const e = await failure(readContextsFile(d));
    expect(e.code).toBe('EBADFILE');
    expect(e.message).toBe(`cannot read contexts file '${d}': is a directory`);
  });

  it('contexts file - edits create the directory (0700) and the file (0600), and keep comments of a hand-edited file', async () => {
    const path = join(dir, 'new', 'meshctl', 'config.yaml');
    await editContextsFile(path, (e) => {
      e.set('lab', 'socket', '/run/lab.sock');
      e.setCurrent('lab');
    });
    expect((await stat(join(dir, 'new', 'meshctl'))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const first = await readFile(path, 'utf8');
    expect(first).toMatch(/^# meshctl contexts/);
    expect((await readContextsFile(path))?.contexts.get('lab')?.socket).toBe('/run/lab.sock');

    const edited = path.replace('config.yaml', 'edited.yaml');
    await writeFile(edited, '# my meshes\ncurrent-context: a # the usual one\ncontexts:\n  a:\n    socket: /a.sock # keep me\n  b:\n');
    await editContextsFile(edited, (e) => {
      e.set('b', 'timeout', '5s'); // `b:` was left empty (null) in the file
      e.set('a', 'timeout', '1s');
      e.remove('nosuch');
    });
    const after = await readFile(edited, 'utf8');
    expect(after).toContain('# my meshes');
    expect(after).toContain('current-context: a # the usual one');
    expect(after).toContain('socket: /a.sock # keep me');
    expect((await readContextsFile(edited))?.contexts.get('b')?.timeout).toBe('5s');
    expect(await readdir(join(dir, 'new', 'meshctl'))).toEqual(['config.yaml', 'edited.yaml']); // no temp file left
  });

  it('contexts file - a broken file is never rewritten', async () => {
    const path = join(dir, 'broken.yaml');
    const text = 'contexts:\n  a:\n    socket: /x\n  a:\n';
    await writeFile(path, text);
    const e = await failure(editContextsFile(path, (ed) => ed.set('b', 'socket', '/y')));
    expect(e.message).toBe(`${path}:4: map keys must be unique`);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('contexts file - a symlinked file is updated where it points, the link stays', async () => {
    const real = join(dir, 'dotfiles-config.yaml');
    const link = join(dir, 'linked.yaml');
    await writeFile(real, 'contexts:\n  a:\n    socket: /a\n');
    await symlink(real, link);
    await editContextsFile(link, (e) => e.setCurrent('a'));
    expect(await readFile(real, 'utf8')).toContain('current-context: a');
    expect((await readContextsFile(link))?.current).toBe('a');
  });

  it('contexts file - a write that fails at the rename leaves what was there and no temp file behind', async () => {
    // A directory where the file should be: the temp file is written, then rename() fails (EISDIR), as root too.
    const d = join(dir, 'rename-fails');
    const path = join(d, 'config.yaml');
    await mkdir(join(path, 'inside'), { recursive: true });
    const e = await failure(writeFileAtomic(path, 'current-context: x\n'));
    expect(e.code).toBe('EBADFILE');
    expect(e.message).toBe(`cannot write contexts file '${path}': is a directory`);
    expect(await readdir(d)).toEqual(['config.yaml']);
    expect(await readdir(path)).toEqual(['inside']);
  });

  it('contexts file - readers in another process never see a half-written file while 40 edits run', async () => {
    const path = join(dir, 'busy', 'config.yaml');
    await editContextsFile(path, (e) => e.set('c0', 'socket', '/s0'));
    // A separate process reads the file in a tight loop and reports any read that is not a whole file
    // (every version written ends with the last context's socket line and a newline).
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');let n=0,bad=0;const t=setInterval(()=>{},1000);
         process.stdin.on('data',()=>{clearInterval(t);console.log(JSON.stringify({n,bad}));process.exit(0)});
         (function loop(){for(let i=0;i<50;i++){const s=fs.readFileSync(${JSON.stringify(path)},'utf8');n++;if(!/socket: \\/s\\d+\\n$/.test(s))bad++;}setImmediate(loop)})();`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d));
    for (let i = 1; i <= 40; i++) await editContextsFile(path, (e) => e.set(`c${i}`, 'socket', `/s${i}`));
    reader.stdin.end('stop\n');
    await new Promise((r) => reader.on('close', r));
    const { n, bad } = JSON.parse(out) as { n: number; bad: number };
    expect(n).toBeGreaterThan(0);
    expect(bad).toBe(0);
    expect((await readContextsFile(path))?.contexts.size).toBe(41);
  });
});
