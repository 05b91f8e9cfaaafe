// The unit runner: a small Node process, one per node, that starts the programs of `work-command` units
// and records how they ended. It plays the part of Receptor's `receptor --command-runner` (pkg/workceptor/
// command.go, commandRunner), which outlives a node that is stopped or killed, writes `Running: PID n` and
// the final state into the unit's status file itself, so the restarted node finds the unit finished with
// its real exit status (Receptor's functional test TestResultsOnRestartedNode).
//
// One runner per node rather than one per unit: a Node process costs ~40 MiB and ~40 ms to start, and
// fork() from the runner (tens of MiB) instead of from the node (hundreds under load) keeps the node's
// event loop free: child_process.spawn is synchronous in the calling process.
//
// It runs as `node -e <source>` so that it works the same from the compiled library, the CLI bundle and
// the TypeScript sources under test, with no file to locate: the source is this function's own text.
// runnerMain must therefore be self-contained: no imports, no outer variables, only `require`.
//
// Life: started detached (own session: a Ctrl-C or SIGTERM aimed at the node does not reach it) with an
// IPC channel to the node. While connected it takes `spawn` requests and reports `spawned`, `failed` and
// `exit`. Once the channel closes (the node stopped, or was killed) it goes on watching the programs it
// started and exits when the last one has ended.
//
// Status files are written here only from spawn to exit, while the node never writes them (unit.ts), and
// always as a whole file renamed into place. Their bytes are Go's encoding of Receptor's StatusFileData;
// the two Go-encoded strings (WorkType, Params) come ready-made in the request, the rest is ASCII.
import { GO_SIGNAL_NAMES } from '../exit-text.js';

/** A request to start a unit's program. */
export interface RunnerSpawn {
  op: 'spawn';
  key: number;
  file: string;
  args: string[];
  argv0: string;
  dir: string;
  env: Record<string, string | undefined>;
  /** Go-encoded JSON strings for the status file. */
  workTypeJson: string;
  paramsJson: string;
}

export type RunnerEvent =
  | { op: 'spawned'; key: number; pid: number }
  | { op: 'failed'; key: number; stage: 'open-stdin' | 'open-stdout' | 'spawn'; code: string; message: string }
  | { op: 'exit'; key: number; pid: number; code: number | null; signal: string | null };

/** The runner's program text for `node -e`. */
export function runnerSource(): string {
  return `(${runnerMain.toString()})(${JSON.stringify(GO_SIGNAL_NAMES)});`;
}

function runnerMain(signalNames: Record<number, string>): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const cp = require('node:child_process') as typeof import('node:child_process');
  const fs = require('node:fs') as typeof import('node:fs');
  const os = require('node:os') as typeof import('node:os');
  const path = require('node:path') as typeof import('node:path');
  let connected = true;
  let running = 0;
  const send = (m: unknown): void => {
    if (!connected || !process.send) return;
    try {
      process.send(m);
    } catch {
      // The node is going away: the status file says it all.
    }
  };
  const maybeExit = (): void => {
    if (!connected && running === 0) process.exit(0);
  };
  process.on('disconnect', () => {
    connected = false;
    maybeExit();
  });
  // Signals meant for the node's process group never reach this session; these would only be aimed here.
  process.on('SIGHUP', () => undefined);
  process.on('SIGPIPE', () => undefined);
  const sizeOf = (file: string): number => {
    try {
      return fs.statSync(file).size;
    } catch {
      return 0;
    }
  };
  const writeStatus = (dir: string, text: string): void => {
    const tmp = path.join(dir, 'status.runner.tmp');
    try {
      fs.writeFileSync(tmp, text, { mode: 0o600 });
      fs.renameSync(tmp, path.join(dir, 'status'));
    } catch {
      // The unit was released meanwhile: its directory is gone.
    }
  };
  const exitText = (code: number | null, signal: string | null): string => {
    if (signal !== null) {
      const num = (os.constants.signals as Record<string, number>)[signal] ?? 0;
      return `signal: ${signalNames[num] ?? `signal ${num}`}`;
    }
    return `exit status ${code ?? -1}`;
  };
  const start = (req: RunnerSpawn): void => {
    const stdout = path.join(req.dir, 'stdout');
    let inFd: number;
    let outFd: number;
    try {
      inFd = fs.openSync(path.join(req.dir, 'stdin'), fs.constants.O_RDONLY);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      send({ op: 'failed', key: req.key, stage: 'open-stdin', code: e.code ?? '', message: e.message });
      return;
    }
    try {
      // O_CREATE|O_WRONLY without truncation, as Receptor's runner opens it.
      outFd = fs.openSync(stdout, fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o600);
    } catch (err) {
      fs.closeSync(inFd);
      const e = err as NodeJS.ErrnoException;
      send({ op: 'failed', key: req.key, stage: 'open-stdout', code: e.code ?? '', message: e.message });
      return;
    }
    let child: import('node:child_process').ChildProcess;
    try {
      child = cp.spawn(req.file, req.args, {
        stdio: [inFd, outFd, outFd],
        // Its own process group, so cancel can signal the program and everything it started.
        detached: true,
        argv0: req.argv0,
        env: req.env,
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      send({ op: 'failed', key: req.key, stage: 'spawn', code: e.code ?? '', message: e.message });
      return;
    } finally {
      fs.closeSync(inFd);
      fs.closeSync(outFd);
    }
    running++;
    let spawned = false;
    child.once('spawn', () => {
      spawned = true;
      const pid = child.pid!;
      writeStatus(
        req.dir,
        `{"State":1,"Detail":"Running: PID ${pid}","StdoutSize":${sizeOf(stdout)},"WorkType":${req.workTypeJson},"ExtraData":{"Pid":${pid},"Params":${req.paramsJson}}}\n`,
      );
      send({ op: 'spawned', key: req.key, pid });
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (spawned) return;
      running--;
      send({ op: 'failed', key: req.key, stage: 'spawn', code: err.code ?? '', message: err.message });
      maybeExit();
    });
    child.once('exit', (code, signal) => {
      if (!spawned) return;
      const state = code === 0 ? 2 : 3;
      writeStatus(
        req.dir,
        `{"State":${state},"Detail":"${exitText(code, signal)}","StdoutSize":${sizeOf(stdout)},"WorkType":${req.workTypeJson},"ExtraData":null}\n`,
      );
      running--;
      send({ op: 'exit', key: req.key, pid: child.pid!, code, signal });
      maybeExit();
    });
  };
  process.on('message', (m: RunnerSpawn) => {
    if (m && m.op === 'spawn') start(m);
  });
}
