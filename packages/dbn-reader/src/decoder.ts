/** Streaming DBN decoder (v1/v2/v3, plain or zstd, files, Node streams, async iterables). */
import type { DbnMetadata } from './metadata.js';
import type { AnyDbnRecord, DbnRecord } from './records.js';

export type DbnInput = string | AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

export interface DecodeOptions {
  /** 'upgrade' (default): v1/v2 records are presented in the v3 layout; 'as-is': in their own layout */
  upgradePolicy?: 'upgrade' | 'as-is';
  /** DBN version of a fragment (records without the DBN prelude/metadata); required for fragments */
  version?: 1 | 2 | 3;
  /** fragments only: every record carries an 8-byte ts_out */
  tsOut?: boolean;
  /** name used in error messages (default: the path, when the input is a path) */
  fileName?: string;
}

export interface DbnStats {
  /** records delivered */
  records: number;
  /** records of an unknown rtype, skipped by their length */
  skippedUnknown: number;
  /** decompressed bytes consumed so far (prelude and metadata included) */
  bytes: number;
}

export interface DbnStream<R = DbnRecord> extends AsyncIterable<R> {
  /** the metadata (null for fragments); resolves once it has been read */
  metadata(): Promise<DbnMetadata | null>;
  readonly stats: DbnStats;
  /** the same records in arrays (one per decoded chunk): much less per-record overhead */
  batches(): AsyncIterable<R[]>;
}

export declare function decodeDbn(input: DbnInput, opts: DecodeOptions & { upgradePolicy: 'as-is' }): DbnStream<AnyDbnRecord>;
export declare function decodeDbn(input: DbnInput, opts?: DecodeOptions): DbnStream<DbnRecord>;
