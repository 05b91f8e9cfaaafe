// A stand-in control service for bench/big-reply.js: `node bench/big-reply-server.js SOCKET REPLYFILE`.
// Listens on the Unix socket SOCKET, greets each connection as Receptor does (`Receptor Control, node NAME`), and
// answers `work list` (as text or as receptorctl's and meshctl's JSON) with the bytes of REPLYFILE, read into memory
// once, so the clients are timed on reading and parsing the reply, not on a node making it. receptorctl's version
// query gets 1.6.5, any other line receptor's `ERROR: Unknown command`. As receptor, it keeps a session open for
// more lines and ends it when the client half-closes (socat) or closes (meshctl, receptorctl). Prints `ready` on
// stdout once listening.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';

const [socket, replyFile] = process.argv.slice(2);
if (!socket || !replyFile) {
  process.stderr.write('usage: node bench/big-reply-server.js SOCKET REPLYFILE\n');
  process.exit(2);
}
const reply = readFileSync(replyFile);

/** receptorctl asks every node its version first (receptorctl/cli.py): `{"command":"status","requested_fields":["Version"]}`. */
function isVersionQuery(line) {
  try {
    const req = JSON.parse(line);
    return req.command === 'status' && Array.isArray(req.requested_fields) && req.requested_fields.join() === 'Version';
  } catch {
    return false;
  }
}

function answer(line) {
  if (isWorkList(line)) return reply;
  if (isVersionQuery(line)) return '{"Version":"1.6.5"}\n';
  return 'ERROR: Unknown command\n';
}

function isWorkList(line) {
  const text = line.trim();
  if (text === 'work list') return true;
  if (!text.startsWith('{')) return false;
  try {
    const req = JSON.parse(text);
    return req.command === 'work' && req.subcommand === 'list' && req.unitid === undefined;
  } catch {
    return false;
  }
}

const server = net.createServer({ allowHalfOpen: true }, (sock) => {
  sock.on('error', () => sock.destroy());
  sock.write('Receptor Control, node bigreply\n');
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      // The reply file ends with its newline, as receptor's json.Marshal + "\n" does.
      sock.write(answer(line));
    }
  });
  // The client's half-close: finish what is being written, then end (socat then sees EOF and exits).
  sock.on('end', () => sock.end());
});
server.listen(socket, () => process.stdout.write('ready\n'));
const stop = () => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
