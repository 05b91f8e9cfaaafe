import { getEventListeners } from 'node:events';
import { describe, expect, test } from 'vitest';
import { Dialer } from '../../../src/node/mesh/dialer.js';
import type { NodeLogger } from '../../../src/node/logger.js';

const quiet = { error() {}, warning() {}, info() {}, debug() {} } as unknown as NodeLogger;

describe('dialer', () => {
  // Regression: each backoff wait added an abort listener to the dialer's signal and never removed it, so a peer
  // that stayed down collected one per redial (MaxListenersExceededWarning after ~10 attempts).
  test('dialer - a peer that stays down leaves no abort listener per redial', async () => {
    let attempts = 0;
    let listenersSeen = 0;
    let signalSeen: AbortSignal | undefined;
    const d = new Dialer({
      label: 'test',
      redial: true,
      initialDelayMs: 1,
      maxDelayMs: 2,
      async dial(signal) {
        signalSeen = signal;
        attempts++;
        listenersSeen = Math.max(listenersSeen, getEventListeners(signal, 'abort').length);
        throw Object.assign(new Error('connect: connection refused'), { code: 'ECONNREFUSED' });
      },
      attach() {
        throw new Error('never dialled');
      },
      logger: quiet,
      onError() {},
    });
    while (attempts < 40) await new Promise((r) => setTimeout(r, 5));
    expect(listenersSeen).toBe(0);
    expect(getEventListeners(signalSeen!, 'abort').length).toBeLessThanOrEqual(1);
    await d.close();
    expect(getEventListeners(signalSeen!, 'abort').length).toBe(0);
  });
});
