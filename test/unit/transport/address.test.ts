import { homedir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { formatAddress, parseAddress } from '../../../src/transport/address.js';

describe('address', () => {
  test.each([
    ['/tmp/r.sock', { kind: 'unix', path: '/tmp/r.sock' }],
    ['relative.sock', { kind: 'unix', path: 'relative.sock' }],
    ['unix:/tmp/r.sock', { kind: 'unix', path: '/tmp/r.sock' }],
    ['unix:///tmp/r.sock', { kind: 'unix', path: '/tmp/r.sock' }],
    ['tcp://localhost:2222', { kind: 'tcp', host: 'localhost', port: 2222 }],
    ['tcp:localhost:2222', { kind: 'tcp', host: 'localhost', port: 2222 }],
    ['TLS://node.example:443', { kind: 'tls', host: 'node.example', port: 443 }],
    ['tls://[::1]:2222', { kind: 'tls', host: '::1', port: 2222 }],
    ['tcp://::1:2222', { kind: 'tcp', host: '::1', port: 2222 }],
    ['tcp://127.0.0.1:1', { kind: 'tcp', host: '127.0.0.1', port: 1 }],
  ])('address - parses %s', (text, want) => {
    expect(parseAddress(text)).toEqual(want);
  });

  test('address - expands ~ like receptorctl', () => {
    expect(parseAddress('~/r.sock')).toEqual({ kind: 'unix', path: `${homedir()}/r.sock` });
  });

  test.each([
    ['', /empty/],
    ['tcp://host', /missing :PORT/],
    ['tcp://:22', /missing host/],
    ['tls://h:abc', /port 'abc' is not a number/],
    ['tcp://h:70000', /port 70000 is out of range/],
    ['http://h:80', /unknown scheme 'http:'/],
    ['localhost:2222', /unknown scheme 'localhost:'/],
    ['tls://[::1:2222', /expected \[IPV6\]:PORT/],
    ['unix:', /no socket path/],
  ])('address - rejects %j', (text, msg) => {
    expect(() => parseAddress(text)).toThrow(msg);
    try {
      parseAddress(text);
    } catch (e) {
      expect((e as { code: string }).code).toBe('EBADADDRESS');
    }
  });

  test('address - formats back, bracketing IPv6', () => {
    expect(formatAddress({ kind: 'tls', host: '::1', port: 2 })).toBe('tls://[::1]:2');
    expect(formatAddress({ kind: 'unix', path: '/x' })).toBe('unix:/x');
  });
});
