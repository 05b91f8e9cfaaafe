// Minimal raw control-session helpers for test set-up (not the code under test): open a session, read the
// greeting, send one line, read one reply line.
import { connect } from 'node:net';

export async function rawCommand(socketPath: string, line: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = '';
    let greeted = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply to '${line}' within ${timeoutMs} ms (got '${buf}')`));
    }, timeoutMs);
    sock.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        const got = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!greeted) {
          greeted = true;
          sock.write(`${line}\n`);
          continue;
        }
        clearTimeout(timer);
        sock.destroy();
        resolve(got);
        return;
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** `work status` as an object, or the ERROR text. */
export async function workStatus(socketPath: string, unitId: string): Promise<Record<string, unknown> | string> {
  const line = await rawCommand(socketPath, `work status ${unitId}`);
  return line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : line;
}

/** Polls until the unit is in one of `states` (or unknown when `states` includes 'gone'). */
export async function waitForState(
  socketPath: string,
  unitId: string,
  states: (number | 'gone')[],
  timeoutMs = 30_000,
): Promise<Record<string, unknown> | string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await workStatus(socketPath, unitId);
    if (typeof st === 'string' ? states.includes('gone') : states.includes(st.State as number)) return st;
    if (Date.now() > deadline) throw new Error(`unit ${unitId} did not reach ${states.join('/')}: ${JSON.stringify(st)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
