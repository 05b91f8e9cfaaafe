// Child process for the abort tests (test/integration/client/abort.test.ts), run from source by vite-node:
// dials the address given as argv (a listener that never answers the SYN), aborts after 100 ms, prints the
// error's name and code and returns. The parent measures how long the process then takes to exit: anything the
// dial left behind (a timer, a socket) would keep the event loop alive.
import { dial } from '../../src/transport/dial.js';
import { parseAddress } from '../../src/transport/address.js';
import { MeshctlError } from '../../src/errors.js';

const address = process.argv[process.argv.length - 1]!;
const ac = new AbortController();
setTimeout(() => ac.abort(), 100);
try {
  await dial(parseAddress(address), { signal: ac.signal });
  process.stdout.write('connected\n');
} catch (err) {
  process.stdout.write(`${(err as Error).name} ${err instanceof MeshctlError ? err.code : ''}\n`);
}
