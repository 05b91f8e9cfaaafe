// The least a Node.js client can do for `meshctl status` (bench/startup.js, "Node floor" row): CommonJS (no ES-module
// loader), only `net`; connect to the Unix socket, send the JSON status request, print the reply line, exit.
// Whatever meshctl's fast path costs above this row is meshctl's; this row above `node -e 0` is Node's own.
'use strict';
const net = require('node:net');
const sock = net.connect(process.argv[2]);
let buf = '';
sock.setEncoding('utf8');
sock.on('connect', () => sock.write('{"command":"status"}\n'));
sock.on('data', (d) => {
  buf += d;
  const lines = buf.split('\n');
  // The greeting, then the reply line.
  if (lines.length > 2) {
    process.stdout.write(lines[1] + '\n');
    sock.destroy();
  }
});
sock.on('error', (e) => {
  process.stderr.write(`floor-client: ${e.message}\n`);
  process.exitCode = 1;
});
