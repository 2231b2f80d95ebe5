/**
 * @md/bronze-reader: streams the Bronze Parquet lake (the hive-partitioned pyarrow files of the system this
 * repository replaces) as canonical market-data events, for the replay.
 */
export { readBronze, type BronzeReadOptions, type BronzeStream } from './read.js';
export { readBronzeEncoded, ENCODED_TABLES, type BronzeEncodedOptions, type BronzeEncodedStream } from './encoded/read.js';
export { listBronzeDates, listBronzeFiles, bronzeDir, partitionDir, type BronzeDateFiles, type BronzeHour } from './discovery.js';
export {
  readBronzeFile,
  fileWindows,
  newStats,
  type FileWindow,
  type BronzeStats,
  type FileReadContext,
  type InvalidRow,
} from './file-reader.js';
export { BronzeError, type BronzeErrorCode } from './errors.js';
export {
  BRONZE_TABLES,
  TABLE_SPECS,
  tableSpec,
  MIN_TS_NS,
  MAX_TS_NS,
  UNDEF_PRICE_FLOAT,
  type BronzeTable,
  type TableSpec,
  type ColumnSpec,
  type ColumnKind,
} from './tables.js';
export { bronzeMsgId, Fingerprint } from './msg-id.js';
