// The unit runner (src/node/work/runner/): a real runner process started from its own source text, real
// programs, real status files. Its status files must be byte-identical to what the node writes
// (encodeStatusFile: Go's encoding of Receptor's StatusFileData), since either may write a unit's file.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goQuote } from '../../../src/protocol/go-json.js';
import { SilentLogger } from '../../../src/node/logger.js';
import { RunnerStartError, UnitRunner } from '../../../src/node/work/runner/client.js';
import { encodeStatusFile } from '../../../src/node/work/status.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('unit runner', () => {
  let dir: string;
  let runner: UnitRunner;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-runner-'));
    runner = new UnitRunner(new SilentLogger());
  });
  afterEach(async () => {
    runner.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runner - Running and final status files are byte-identical to the node encoding, escapes included', async () => {
    const workType = 'w<&>"\\é\u2028x';
    const params = `-c "printf 'héllo'; cat"`;
    await writeFile(path.join(dir, 'stdin'), ' world');
    const program = await runner.start({
      file: '/bin/sh',
      args: ['-c', "sleep 0.3; printf 'héllo'; cat"],
      argv0: 'sh',
      dir,
      env: { ...process.env },
      workTypeJson: goQuote(workType),
      paramsJson: goQuote(params),
    });
    const running = await readFile(path.join(dir, 'status'), 'utf8');
    expect(running).toBe(
      encodeStatusFile({ State: 1, Detail: `Running: PID ${program.pid}`, StdoutSize: 0, WorkType: workType, ExtraData: { Pid: program.pid, Params: params } }),
    );
    expect(await program.exited).toEqual({ code: 0, signal: null });
    const size = Buffer.byteLength('héllo world');
    expect(await readFile(path.join(dir, 'stdout'), 'utf8')).toBe('héllo world');
    expect(await readFile(path.join(dir, 'status'), 'utf8')).toBe(
      encodeStatusFile({ State: 2, Detail: 'exit status 0', StdoutSize: size, WorkType: workType, ExtraData: null }),
    );
  });

  it('runner - a program killed by a signal is recorded with Go\'s signal text', async () => {
    await writeFile(path.join(dir, 'stdin'), '');
    const program = await runner.start({ file: '/bin/sh', args: ['-c', 'kill -9 $$'], argv0: 'sh', dir, env: {}, workTypeJson: '"t"', paramsJson: '""' });
    expect(await program.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await readFile(path.join(dir, 'status'), 'utf8')).toBe(
      encodeStatusFile({ State: 3, Detail: 'signal: killed', StdoutSize: 0, WorkType: 't', ExtraData: null }),
    );
  });

  it('runner - start failures come back with their stage and errno code', async () => {
    await expect(runner.start({ file: '/bin/true', args: [], argv0: 'true', dir, env: {}, workTypeJson: '"t"', paramsJson: '""' })).rejects.toMatchObject({
      stage: 'open-stdin',
      code: 'ENOENT',
    });
    await writeFile(path.join(dir, 'stdin'), '');
    const err = await runner.start({ file: '/no/such/program', args: [], argv0: 'x', dir, env: {}, workTypeJson: '"t"', paramsJson: '""' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunnerStartError);
    expect(err).toMatchObject({ stage: 'spawn', code: 'ENOENT' });
  });

  it('runner - goes on after the node lets it go, records the end, then exits', async () => {
    await writeFile(path.join(dir, 'stdin'), 'payload');
    const program = await runner.start({ file: '/bin/sh', args: ['-c', 'sleep 0.5; cat'], argv0: 'sh', dir, env: {}, workTypeJson: '"t"', paramsJson: '""' });
    const runnerPid = runner.pid!;
    expect(alive(runnerPid)).toBe(true);
    runner.close();
    // The node hears nothing more; the status file tells.
    expect(await program.exited).toBeNull();
    await until(async () => (await readFile(path.join(dir, 'status'), 'utf8')).startsWith('{"State":2'), 'the final status');
    expect(await readFile(path.join(dir, 'status'), 'utf8')).toBe(
      encodeStatusFile({ State: 2, Detail: 'exit status 0', StdoutSize: 7, WorkType: 't', ExtraData: null }),
    );
    await until(() => !alive(runnerPid), 'the runner to exit');
  });
});
