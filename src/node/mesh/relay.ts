// A hop's part of a stream that passes through it: two Ports, one on the link toward the opener
// (`inbound`) and one toward the destination (`outbound`). Bytes arriving on one side are queued on the
// other; credit is granted back only as they leave on the other link, so a hop holds at most one window
// per direction per stream, and a slow next link slows the previous one down (backpressure crosses
// every hop). FIN and RESET are passed on; losing either link resets the other side.
import type { Port } from './port.js';

export function joinPorts(inbound: Port, outbound: Port, onDone: () => void): void {
  let finished = 0;
  const settle = (): void => {
    if (inbound.closed && outbound.closed && finished++ === 0) onDone();
  };
  const wire = (from: Port, to: Port): void => {
    from.sink = {
      data: (chunk) => to.write(chunk),
      fin: () => {
        to.end();
        queueMicrotask(settle);
      },
      reset: (reason) => {
        to.reset(reason);
        queueMicrotask(settle);
      },
      // Bytes `from` sent were bytes `to` delivered: grant them back on `to`.
      sent: (n) => to.consumed(n),
      finSent: () => queueMicrotask(settle),
    };
  };
  wire(inbound, outbound);
  wire(outbound, inbound);
}
