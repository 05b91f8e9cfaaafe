// goMeshStatus: the mesh status as Receptor's Go json.Marshal would print it.
import { describe, expect, it } from 'vitest';
import { goMarshal } from '../../../src/protocol/go-json.js';
import { goMeshStatus } from '../../../src/node/mesh/status-go.js';

describe('mesh status for the control service', () => {
  it('status - structs keep Receptor field order, maps are sorted, costs print as Go floats', () => {
    const text = goMarshal(
      goMeshStatus({
        NodeID: 'b',
        Connections: [{ NodeID: 'c', Cost: 1 }],
        RoutingTable: { c: 'c', a: 'a' },
        Advertisements: [
          { NodeID: 'b', Service: 'control', Time: '2024-01-02T03:04:05.5Z', ConnType: 1, Tags: { type: 'Control Service' }, WorkCommands: [{ WorkType: 'echo', Secure: false }] },
          { NodeID: 'c', Service: 'x', Time: '2024-01-02T03:04:05Z', ConnType: 2, Tags: null, WorkCommands: null },
        ],
        KnownConnectionCosts: { c: { b: 1.5 }, b: { c: 1.5 } },
      }),
    );
    // The top level is a map (Receptor's status reply is a map[string]interface{}): keys sorted.
    expect(text).toBe(
      '{"Advertisements":[{"NodeID":"b","Service":"control","Time":"2024-01-02T03:04:05.5Z","ConnType":1,"Tags":{"type":"Control Service"},"WorkCommands":[{"WorkType":"echo","Secure":false}]},' +
        '{"NodeID":"c","Service":"x","Time":"2024-01-02T03:04:05Z","ConnType":2,"Tags":null,"WorkCommands":null}],' +
        '"Connections":[{"NodeID":"c","Cost":1}],' +
        '"KnownConnectionCosts":{"b":{"c":1.5},"c":{"b":1.5}},"RoutingTable":{"a":"a","c":"c"}}',
    );
  });
});
