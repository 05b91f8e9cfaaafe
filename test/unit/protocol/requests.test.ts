import { describe, expect, test } from 'vitest';
import {
  connectRequest,
  pingRequest,
  reloadRequest,
  statusRequest,
  tracerouteRequest,
  workActionRequest,
  workListRequest,
  workResultsRequest,
  workStatusRequest,
  workSubmitRequest,
} from '../../../src/protocol/requests.js';
import { MeshctlError } from '../../../src/errors.js';

// Expected lines are written out literally; key names follow the InitFromJSON functions of
// pkg/controlsvc/{status,ping,traceroute,connect,reload}.go and pkg/workceptor/controlsvc.go.
describe('requests', () => {
  test('requests - simple commands are one JSON line each', () => {
    expect(statusRequest()).toBe('{"command":"status"}\n');
    expect(statusRequest(['Version'])).toBe('{"command":"status","requested_fields":["Version"]}\n');
    expect(statusRequest([])).toBe('{"command":"status","requested_fields":[]}\n');
    expect(pingRequest('hop')).toBe('{"command":"ping","target":"hop"}\n');
    expect(tracerouteRequest('x')).toBe('{"command":"traceroute","target":"x"}\n');
    expect(reloadRequest()).toBe('{"command":"reload"}\n');
    expect(connectRequest('n', 'control')).toBe('{"command":"connect","node":"n","service":"control"}\n');
    expect(connectRequest('n', 'control', 'tlsc')).toBe('{"command":"connect","node":"n","service":"control","tls":"tlsc"}\n');
  });

  test('requests - work subcommands', () => {
    expect(workListRequest()).toBe('{"command":"work","subcommand":"list"}\n');
    expect(workListRequest('u1')).toBe('{"command":"work","subcommand":"list","unitid":"u1"}\n');
    expect(workStatusRequest('u1')).toBe('{"command":"work","subcommand":"status","unitid":"u1"}\n');
    expect(workActionRequest('cancel', 'u1')).toBe('{"command":"work","subcommand":"cancel","unitid":"u1"}\n');
    expect(workActionRequest('force-release', 'u1', 'jwt')).toBe(
      '{"command":"work","subcommand":"force-release","unitid":"u1","signature":"jwt"}\n',
    );
    // startpos must be a JSON number (intFromMap rejects strings).
    expect(workResultsRequest('u1', 0)).toBe('{"command":"work","subcommand":"results","unitid":"u1","startpos":0}\n');
    expect(workResultsRequest('u1', 1234)).toBe('{"command":"work","subcommand":"results","unitid":"u1","startpos":1234}\n');
  });

  test('requests - submit: every value a string, signwork exactly "true", params after the reserved keys', () => {
    expect(workSubmitRequest({ workType: 'cat' })).toBe('{"command":"work","subcommand":"submit","node":"localhost","worktype":"cat"}\n');
    expect(
      workSubmitRequest({ workType: 'echo', node: 'exec', tlsClient: 'tc', ttl: '5m', signWork: true, params: { params: 'a b', secret_x: 's' } }),
    ).toBe(
      '{"command":"work","subcommand":"submit","node":"exec","worktype":"echo","tlsclient":"tc","ttl":"5m","signwork":"true","params":"a b","secret_x":"s"}\n',
    );
  });

  test('requests - values with spaces and newlines stay inside one JSON line', () => {
    const line = workSubmitRequest({ workType: 'cat', params: { params: 'a\nwork release x' } });
    expect(line.indexOf('\n')).toBe(line.length - 1);
  });

  test('requests - a reserved key as a work parameter is refused', () => {
    expect(() => workSubmitRequest({ workType: 'cat', params: { node: 'x' } })).toThrow(MeshctlError);
    expect(() => workSubmitRequest({ workType: 'cat', params: { node: 'x' } })).toThrow("work parameter 'node' is reserved");
  });
});
