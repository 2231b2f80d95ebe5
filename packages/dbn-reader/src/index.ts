// --- dbn-core (decoding/encoding) ---
export * from './constants.js';
export * from './errors.js';
export * from './records.js';
export * from './metadata.js';
export * from './decoder.js';
// --- dbn-events (symbology, mapping, data root, CLI) ---
