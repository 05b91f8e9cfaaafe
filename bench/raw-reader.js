// The raw socket readers: connect (Unix socket or tls://HOST:PORT with a CA file), send one request line,
// half-close, and copy every byte received to stdout until the node closes. Like socat, they parse nothing:
// greeting and header lines are part of their output.
//   node bench/raw-reader.js SOCKET|tls://HOST:PORT UNITID [CAFILE]   (request: `work results UNITID`)
//   REQUEST='work submit localhost sink' node bench/raw-reader.js SOCKET - < payload   (sends stdin after the line)
// Two ways of reading (RAW_READER_MODE):
//   pipe (default)  socket.pipe(process.stdout): Node's default read path (a fresh 64 KiB buffer per read, the
//                   Readable machinery per chunk), what a plain Node.js client gets.
//   fast            net.connect / tls.connect `onread` into one reused 1 MiB buffer (TLS: records decrypted
//                   straight into it) and fs.writeSync to stdout, pausing reads on EAGAIN until stdout drains:
//                   the least a Node.js process can do per byte, i.e. Node's floor for a results client.
import { readFileSync, writeSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';

const [address, unitId, caFile] = process.argv.slice(2);
const request = process.env.REQUEST ?? `work results ${unitId}`;
const fast = process.env.RAW_READER_MODE === 'fast' && unitId !== '-';
let onread;
if (fast) {
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  onread = {
    buffer,
    callback: (n, buf) => {
      let off = 0;
      try {
        while (off < n) off += writeSync(1, buf, off, n - off);
        return true;
      } catch (e) {
        if (e.code !== 'EAGAIN') throw e;
        // stdout is full: hand the rest to the stream (a copy) and stop reading until it drains.
        process.stdout.write(Buffer.from(buf.subarray(off, n)));
        process.stdout.once('drain', () => sock.resume());
        return false;
      }
    },
  };
}
let sock;
if (address.startsWith('tls://')) {
  const [host, port] = address.slice(6).split(':');
  sock = tls.connect({ host, port: Number(port), ca: caFile ? readFileSync(caFile) : undefined, ...(onread ? { onread } : {}) });
} else {
  sock = net.connect({ path: address, ...(onread ? { onread } : {}) });
}
sock.on('error', (e) => {
  process.stderr.write(`raw-reader: ${e.message}\n`);
  process.exitCode = 1;
});
sock.write(request + '\n');
if (unitId === '-') process.stdin.pipe(sock);
else sock.end();
if (!fast) sock.pipe(process.stdout);
