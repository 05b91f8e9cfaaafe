// The embedded node's public API. The CLI (`meshctl node -c FILE`) and tests use startNode; the node
// never imports the CLI.
export { startNode, type ListenerAddress, type NodeHandle, type StartNodeOptions } from './node.js';
export { StreamLogger, SilentLogger, type NodeLogger } from './logger.js';
export { RECEPTOR_COMPAT_VERSION } from './version.js';
export { signWorkToken, verifyWorkToken, loadRsaPrivateKey, loadRsaPublicKey } from './work/signing.js';
export { shlexSplit, ShlexError } from './work/shlex.js';
