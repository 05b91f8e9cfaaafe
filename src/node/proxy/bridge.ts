// Two connections joined byte for byte (Receptor: pkg/utils/bridge.go BridgeConns), used by the
// `tcp-server` and `tcp-client` port forwarders. Each direction is piped with backpressure; the end of
// one side's input half-closes the other (Receptor closes both at once, which cuts off an answer to a
// half-closed request); an error or close on either side closes both.
import type { Duplex } from 'node:stream';

export function bridgeStreams(a: Duplex, b: Duplex, onError?: (err: Error) => void): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      a.destroy();
      b.destroy();
      resolve();
    };
    const fail = (err: Error): void => {
      onError?.(err);
      finish();
    };
    a.on('error', fail);
    b.on('error', fail);
    a.once('close', finish);
    b.once('close', finish);
    a.pipe(b);
    b.pipe(a);
  });
}
