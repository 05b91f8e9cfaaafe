// `meshctl node -c FILE` / `meshctl node --node id=x ...`: runs the embedded node from a Receptor v1 configuration
// file or receptor's command-line form until the run's abort
// signal fires (the CLI fires it on the first SIGINT or SIGTERM), then closes it cleanly (listeners closed,
// socket files removed; running units go on under the unit runner and the next start on the same data directory
// takes them back) and returns: exit 0.
// Logs go to stderr in Receptor's format (run as `receptor` by the launcher: to stdout, as receptor's logger writes
// them, pkg/logger/logger.go: log.New(os.Stdout, ...), and without meshctl's own `Node X listening on` lines). A bad configuration throws its MeshctlError (`<file>:<line>: entry #N
// (<section>): <problem>`, exit 2), which the CLI's error path prints as one line with its hint.
import type { Factory } from '../../cmdutil/factory.js';
import { loadNodeArgs } from '../../config/argv.js';
import { loadConfigFile } from '../../config/parse.js';
import { StreamLogger } from '../../node/logger.js';
import { startNode } from '../../node/node.js';

export interface NodeRunOptions {
  /** `-c FILE` alone: the file is the whole configuration (and `reload` re-reads it). */
  config?: string;
  /** Receptor's command-line form (src/config/argv.ts), `--config FILE` words included. */
  args?: string[];
  /** Run as `receptor` by the launcher (src/cli/receptor-compat.ts). */
  receptorMode?: boolean;
}

/** Ctrl-C is how a node is stopped, not a failure: the command shuts down and its outcome (0) stands. */
export const ownsInterrupt = true;

export async function run(opts: NodeRunOptions, f: Factory): Promise<void> {
  const config = opts.config !== undefined ? await loadConfigFile(opts.config) : await loadNodeArgs(opts.args ?? []);
  if (config.certAction) {
    // cert-init / cert-makereq / cert-signreq: receptor runs the one action and exits 0, no node (cmdline.Exclusive).
    const { runCertAction } = await import('../../node/cert-actions.js');
    return runCertAction(config.certAction, { out: opts.receptorMode ? f.io.stdout : f.io.stderr, input: () => f.io.stdin, signal: f.signal });
  }
  const logger = new StreamLogger(opts.receptorMode ? f.io.stdout : f.io.stderr, config.logLevel);
  // The node logs the listeners' addresses before `Initialization complete`, receptor's last start-up line
  // (meshctl's lines, for harnesses that listen on port 0; receptor prints none).
  const node = await startNode(config, { logger, logAddresses: !opts.receptorMode });
  const signal = f.signal;
  // Receptor blocks until its netceptor is done. A node with nothing listening (local-only alone) holds no
  // handle that keeps Node's event loop alive: this timer does, until the node stops.
  const keepAlive = setInterval(() => {}, 1 << 30);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      signal.removeEventListener('abort', stop);
      resolve();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    // The node may stop by itself (another node on the mesh has its id): then so does the command.
    void node.closed.then(stop);
  });
  clearInterval(keepAlive);
  // Receptor's command runners outlive their node: units keep running and the next start takes them back.
  await node.close({ keepWork: true });
}
