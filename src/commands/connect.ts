// meshctl connect NODE SERVICE: bridges stdin/stdout to a service on a mesh node (pkg/controlsvc/connect.go).
// Unlike receptorctl (which stops at stdin EOF), end of stdin becomes a half-close, so `echo hi | meshctl connect
// n echo` gets the whole answer; the session ends when the node closes its side.
import type { ReadStream } from 'node:tty';
import type { Factory } from '../cmdutil/factory.js';
import { AbortError } from '../errors.js';

export interface ConnectOptions {
  node: string;
  service: string;
  /** tls-client name the node uses to reach the service (an above-the-mesh TLS service). */
  tlsClient?: string;
  /** Put a terminal stdin into raw mode (keys, including Ctrl-C, go to the remote side). */
  raw?: boolean;
}

export async function run(o: ConnectOptions, f: Factory): Promise<void> {
  const io = f.io;
  const c = await f.client();
  const bridge = await f.spinner.while(`connecting to ${o.service} on ${o.node}`, () =>
    c.connectService(o.node, o.service, o.tlsClient || undefined),
  );

  const stdin = io.stdin;
  const tty = o.raw && io.stdinIsTTY ? (stdin as ReadStream) : undefined;
  tty?.setRawMode?.(true);

  let stopInput = () => {};
  // stdin → node, one chunk at a time (the next chunk is read only after the write resolved: backpressure).
  const input = new Promise<void>((resolve) => {
    let busy = false;
    let ended = false;
    const finish = () => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      stdin.pause();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      stdin.pause();
      busy = true;
      bridge.write(chunk).then(
        () => {
          busy = false;
          if (ended) void halfClose();
          else stdin.resume();
        },
        () => finish(), // the node side is gone: nothing more to send
      );
    };
    const halfClose = async () => {
      try {
        await bridge.end();
      } catch {
        // already closed by the node
      }
      finish();
    };
    const onEnd = () => {
      ended = true;
      if (!busy) void halfClose();
    };
    stopInput = finish;
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onEnd);
    stdin.resume();
  });

  const onAbort = () => bridge.close();
  f.signal.addEventListener('abort', onAbort, { once: true });
  try {
    // node → stdout until the node closes its side.
    for await (const chunk of bridge) await f.out(chunk);
    if (f.signal.aborted) throw new AbortError();
  } finally {
    f.signal.removeEventListener('abort', onAbort);
    stopInput();
    tty?.setRawMode?.(false);
    bridge.close();
  }
  void input;
}
