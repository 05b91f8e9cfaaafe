// `meshctl node -c FILE`: runs the embedded node from a Receptor v1 configuration file until it is told
// to stop: SIGTERM, SIGINT (or the CLI's abort signal, which the CLI fires on the first Ctrl-C), then
// closes it cleanly (listeners closed, socket files removed; running units go on under the unit runner and
// the next start on the same data directory takes them back) and exits 0.
// Logs go to stderr in Receptor's format. A bad configuration prints one line
// (`meshctl: <file>:<line>: entry #N (<section>): <problem>`) plus a hint, and exits 2.
import type { IOStreams } from '../../cli/io/iostreams.js';
import { loadConfigFile } from '../../config/parse.js';
import { EXIT, MeshctlError } from '../../errors.js';
import { StreamLogger } from '../../node/logger.js';
import { startNode, type NodeHandle } from '../../node/node.js';

export interface RunNodeOptions {
  config: string;
}

export async function runNode(opts: RunNodeOptions, io: IOStreams, signal?: AbortSignal): Promise<number> {
  let node: NodeHandle;
  let logger: StreamLogger;
  try {
    const config = await loadConfigFile(opts.config);
    logger = new StreamLogger(io.stderr, config.logLevel);
    node = await startNode(config, { logger });
  } catch (err) {
    if (err instanceof MeshctlError) {
      // One line, in the format of every other meshctl error (src/cli/main.ts).
      io.stderr.write(`meshctl: ${err.message}${err.hint ? ` (hint: ${err.hint})` : ''}\n`);
      return err.exitCode;
    }
    throw err;
  }
  for (const a of node.addresses) logger.info(`Node ${node.nodeId} listening on ${a.address}`);
  await new Promise<void>((resolve) => {
    const signals: NodeJS.Signals[] = signal ? ['SIGTERM'] : ['SIGTERM', 'SIGINT'];
    const stop = (): void => {
      for (const s of signals) process.off(s, stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    for (const s of signals) process.on(s, stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    // The node may stop by itself (another node on the mesh has its id): then so does the command.
    void node.closed.then(stop);
  });
  // Receptor's command runners outlive their node: units keep running and the next start takes them back.
  await node.close({ keepWork: true });
  return EXIT.OK;
}
