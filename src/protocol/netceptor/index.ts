// Receptor's netceptor wire protocol (docs/netceptor-wire.md), pure: framing per backend, the four message
// types, node name hashing. No sockets here.
export * from './framing.js';
export * from './highwayhash.js';
export * from './messages.js';
export * from './names.js';
export { parseJsonLossless, type JsonValue } from './json.js';
export * from './handshake.js';
