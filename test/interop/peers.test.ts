// The interop suite needs the real peers; when they are missing it must fail and say exactly what is missing
// (never skip). .ci/install-peers installs both.
import { describe, expect, it } from 'vitest';
import { hasPeers, requirePeers } from '../helpers/receptor.js';

describe('interop peers', () => {
  it('interop peers - receptor 1.6.5 and receptorctl 1.6.5 are installed', () => {
    const paths = requirePeers();
    expect(paths.receptorVersion.replace(/^v/, '')).toBe('1.6.5');
    expect(paths.receptorctlVersion).toBe('1.6.5');
    expect(hasPeers().missing).toEqual([]);
  });
});
