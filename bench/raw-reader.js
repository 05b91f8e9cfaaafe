// The raw socket reader used when socat is not installed: connects (Unix socket or tls://HOST:PORT with a CA
// file), sends one request line, half-closes, and copies every byte it receives to stdout until the node closes.
// Like socat, it does not parse anything: greeting and header lines are part of its output.
//   node bench/raw-reader.js SOCKET|tls://HOST:PORT UNITID [CAFILE]   (request: `work results UNITID`)
//   REQUEST='work submit localhost sink' node bench/raw-reader.js SOCKET - < payload   (sends stdin after the line)
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';

const [address, unitId, caFile] = process.argv.slice(2);
const request = process.env.REQUEST ?? `work results ${unitId}`;
let sock;
if (address.startsWith('tls://')) {
  const [host, port] = address.slice(6).split(':');
  sock = tls.connect({ host, port: Number(port), ca: caFile ? readFileSync(caFile) : undefined });
} else {
  sock = net.connect({ path: address });
}
sock.on('error', (e) => {
  process.stderr.write(`raw-reader: ${e.message}\n`);
  process.exitCode = 1;
});
sock.write(request + '\n');
if (unitId === '-') process.stdin.pipe(sock);
else sock.end();
sock.pipe(process.stdout);
