// The embedded node's public API. The CLI (`meshctl node -c FILE`) and tests use startNode; the node
// never imports the CLI.
export { startNode, type CloseOptions, type ListenerAddress, type MeshListenerAddress, type NodeHandle, type StartNodeOptions } from './node.js';
export type { NodeFaults } from './control/context.js';
export { StreamLogger, SilentLogger, type NodeLogger } from './logger.js';
export { RECEPTOR_COMPAT_VERSION } from './version.js';
export { signWorkToken, verifyWorkToken, loadRsaPrivateKey, loadRsaPublicKey } from './work/signing.js';
export { shlexSplit, ShlexError } from './work/shlex.js';
