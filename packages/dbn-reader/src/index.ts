/**
 * @md/dbn-reader: what a user of the library needs, named one by one. Layout tables, the parser, byte
 * helpers and format internals (prelude length, carry sizes, zstd magics) stay inside the package.
 * The deterministic sample session generator is on its own entry, `@md/dbn-reader/sample`.
 */

// --- decoding ---
export { decodeDbn, scanDbn, type DbnStream, type DecodeOptions, type ScanResult } from './decode/stream.js';
export { decodeRecord } from './decode/record.js';
export type { DbnStats, RawRecord } from './decode/parser.js';
export type { DbnInput } from './decode/source.js';
export { toV3Record } from './compat.js';

// --- encoding ---
export { DbnEncoder, encodeRecord, type DbnSink, type EncoderOptions } from './encoder.js';
export { encodeMetadata } from './metadata.js';

// --- metadata ---
export type { DbnMetadata, DbnMetadataInput, MappingInterval, SymbolMapping } from './metadata.js';

// --- records ---
export { RType } from './records.js';
export type {
  AnyDbnRecord,
  BboMsg,
  BboRType,
  BidAskPair,
  CbboMsg,
  CbboRType,
  Cmbp1Msg,
  Cmbp1RType,
  ConsolidatedBidAskPair,
  DbnRecord,
  ErrorMsg,
  ErrorMsgV1,
  ImbalanceMsg,
  InstrumentDefMsg,
  InstrumentDefMsgV1,
  InstrumentDefMsgV2,
  LegacyDbnRecord,
  MboMsg,
  Mbp10Msg,
  Mbp1Msg,
  OhlcvMsg,
  OhlcvRType,
  RecordHeader,
  RTypeValue,
  StatMsg,
  StatMsgV1,
  StatMsgV2,
  StatusMsg,
  SymbolMappingMsg,
  SymbolMappingMsgV1,
  SystemMsg,
  SystemMsgV1,
  TbboMsg,
  TcbboMsg,
  TradeMsg,
} from './records.js';

// --- constants: sentinels, flags and names of the format ---
// UNDEF_PRICE / FIXED_PRICE_SCALE have one definition, in @md/event-types; records carry raw prices, so
// they are re-exported here for the user comparing a price to the null sentinel.
export { FIXED_PRICE_SCALE, UNDEF_PRICE } from '@md/event-types';
export {
  ACTION,
  DBN_VERSION,
  FLAGS,
  SCHEMA_NAMES,
  SIDE,
  STYPE_NAMES,
  UNDEF_ORDER_SIZE,
  UNDEF_STAT_QUANTITY,
  UNDEF_STAT_QUANTITY_V1,
  UNDEF_TIMESTAMP,
  type SchemaName,
  type STypeName,
} from './constants.js';

// --- errors ---
export {
  DbnBadMagicError,
  DbnBadRecordLengthError,
  DbnEncodeError,
  DbnError,
  DbnIoError,
  DbnMetadataError,
  DbnTruncatedError,
  DbnUnsupportedVersionError,
  DbnZstdError,
} from './errors.js';

// --- symbology ---
export {
  dateToNs,
  loadSymbologyJson,
  nsToDate,
  parseSymbologyJson,
  SymbolMap,
  SymbologyJsonError,
  type SymbolInterval,
  type SymbolMapWarning,
  type SymbologyJson,
  type SymbologySource,
} from './symbology.js';

// --- mapping to canonical events ---
export {
  DbnMappingError,
  mapDbnFile,
  mapDbnFileBatches,
  osiToOptionTicker,
  PUBLISHER_VENUES,
  toFuturesTrade,
  toMbp10,
  toOptionTrade,
  UNMAPPED_PREFIX,
  type DbnEventKind,
  type MapContext,
  type MapFileOptions,
  type MappedEvents,
  type MapStats,
  type MapWarning,
  type TradeLike,
} from './mapping.js';
export { dbnMsgId, parseDbnMsgId, type DbnMsgIdParts } from './msg-id.js';

// --- data root ---
export {
  DATA_ROOT_KINDS,
  DATA_ROOT_LAYOUT,
  DbnDataRoot,
  DbnDataRootError,
  type DataRootOptions,
  type DateFiles,
  type EncodedReadOptions,
  type ReadOptions,
} from './data-root.js';

// --- the fast replay lane: DBN records -> EncodedBatch (issue 12) ---
export { fastEncodedBatches, type FastBatchOptions, type FastBatchStats, type FastEncodedBatches } from './fast/batches.js';
