// Polling for conditions a test waits on (routes converged, a unit's state...).

/** Polls `cond` every 20 ms until it returns something truthy; fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(cond: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
