// The certificate library: pure functions over PEM strings (file I/O lives in src/commands/cert).
// Importing this module is cheap: @peculiar/x509 is loaded on the first call that needs it.
export { createCa } from './ca.js';
export { createRequest } from './request.js';
export { signRequest } from './sign.js';
export { inspect, inspectAll, inspectCertificate } from './inspect.js';
export { nodeIdsFromCertificate, namesFromCertificate, namesFromRequest } from './node-ids.js';
export {
  RECEPTOR_NODE_ID_OID,
  encodeSubjectAltName,
  decodeSubjectAltName,
  normalizeIp,
  type SubjectNames,
  type DecodedSubjectNames,
} from './san.js';
export { generateRsaKey, parsePrivateKey, privateKeyToPem, DEFAULT_BITS } from './keys.js';
export { pemBlocks, toPem } from './pem.js';
export type * from './types.js';
