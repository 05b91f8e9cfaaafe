// The mesh's status fields as values for goMarshal: Go structs (ConnStatus, ServiceAdvertisement,
// WorkCommand) keep Receptor's field order, maps (RoutingTable, KnownConnectionCosts, Tags) are sorted by
// goMarshal as Go sorts map keys. The control service's `status` can return these as they are.
import { goStruct, type GoStruct } from '../../protocol/go-json.js';
import type { MeshStatus } from './mesh.js';

export interface GoMeshStatusFields {
  Connections: GoStruct[];
  RoutingTable: Record<string, string>;
  Advertisements: GoStruct[];
  KnownConnectionCosts: Record<string, Record<string, number>>;
}

export function goMeshStatus(s: MeshStatus): GoMeshStatusFields {
  return {
    Connections: s.Connections.map((c) => goStruct({ NodeID: c.NodeID, Cost: c.Cost })),
    RoutingTable: s.RoutingTable,
    Advertisements: s.Advertisements.map((a) =>
      goStruct({
        NodeID: a.NodeID,
        Service: a.Service,
        Time: a.Time,
        ConnType: a.ConnType,
        Tags: a.Tags,
        WorkCommands: a.WorkCommands === null ? null : a.WorkCommands.map((w) => goStruct({ WorkType: w.WorkType, Secure: w.Secure })),
      }),
    ),
    KnownConnectionCosts: s.KnownConnectionCosts,
  };
}
