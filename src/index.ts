// Public library entry: `import { ControlClient } from 'meshctl'`. See docs/library.md.
export { ControlClient, DEFAULT_COMMAND_TIMEOUT_MS } from './client/control-client.js';
export type { ControlClientOptions, ClientTlsOptions, SubmitRequest, PayloadSource, ResultsOptions, CommandOptions } from './client/options.js';
export { ResultsStream } from './client/results-stream.js';
export {
  FollowStream,
  ResultsIncompleteError,
  type FollowOptions,
  type FollowOutcome,
  type FollowEnd,
  type ResultsSource,
} from './client/follow.js';
export { ServiceBridge } from './client/service-bridge.js';
export {
  meshStatus,
  meshWorkList,
  eachNodeStatus,
  discoverNodes,
  knownNodes,
  type MeshNode,
  type FanOutOptions,
  type NodeSummary,
  type NodeStatusResult,
  type NodeWorkListResult,
  type MeshStatusReport,
} from './client/mesh-status.js';
export { WaitTimeoutError, isFinalState, FINAL_STATES, type WaitOptions, type StatusSource } from './client/wait.js';
export * from './protocol/types.js';
export { parseAddress, formatAddress, type Address } from './transport/address.js';
export {
  MeshctlError,
  UsageError,
  ConnectionError,
  TlsError,
  ServerError,
  AbortError,
  UploadInterruptedError,
  type UploadStop,
  EXIT,
  ERROR_TABLE,
  exitCodeOf,
  type ErrorCode,
} from './errors.js';
