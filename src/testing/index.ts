// meshctl/testing: embedded Receptor nodes as test fixtures, in this process. See docs/testing.md.
//
//   import { startNode, startMesh } from 'meshctl/testing';
//   const mesh = await startMesh({ nodes: ['a', 'b'], links: [['a', 'b']] });
//   const status = await mesh.client('a').status();
//   await mesh.stop();
export {
  startNode,
  FAST_MESH_TIMERS,
  FAST_REMOTE_WORK,
  type NodeOptions,
  type NodeConfigInput,
  type NodeState,
  type TestNode,
  type CutResultsOptions,
  type ResultsCut,
  type WaitOptions,
} from './node.js';
export {
  startMesh,
  type MeshTopology,
  type MeshNodeSpec,
  type MeshLink,
  type DropLinkOptions,
  type LinkDrop,
  type TestMesh,
  type WaitForRoutesOptions,
} from './mesh.js';
export type { ReceptorConfig, ReceptorEntry, WorkCommandOptions, ConfigOptions } from './config.js';
export { waitUntil } from './wait.js';
export type { ListenerAddress, MeshListenerAddress, NodeHandle, StartNodeOptions, NodeFaults } from '../node/index.js';
export type { ControlClient } from '../client/control-client.js';
