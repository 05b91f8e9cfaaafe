// Receptor v1 YAML configuration → typed NodeConfig (see parse.ts for the rules, schema.ts for the sections).
export { loadConfigFile, parseConfig, type ParseConfigOptions } from './parse.js';
export { coerceValue, parseGoBool, parseGoFloat, parseGoInt, CoerceError } from './coerce.js';
export { SECTIONS, RECEPTOR_ONLY_SECTIONS, RELOADABLE_PREFIXES, sectionSpec, type SectionSpec, type FieldSpec } from './schema.js';
export type * from './types.js';
