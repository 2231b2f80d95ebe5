// --- dbn-core (decoding/encoding) ---
export * from './constants.js';
export * from './errors.js';
export * from './records.js';
export * from './metadata.js';
export * from './decoder.js';
export * from './encoder.js';
export { toV3Record, upgradeInstrumentDef, upgradeStat, upgradeSymbolMapping, upgradeError, upgradeSystem } from './compat.js';
// --- dbn-events (symbology, mapping, data root, CLI) ---
export * from './symbology.js';
export * from './mapping.js';
export * from './data-root.js';
export * from './sample.js';
