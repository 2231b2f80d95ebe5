/**
 * The stream API: `decodeDbn` (records as objects, one by one or in batches), `scanDbn` (the
 * zero-allocation path). Each drives an input source (source.ts) through the parser (parser.ts): pull a
 * chunk of plain bytes, let the parser decode it into batches, hand them out, pull the next one.
 *
 * Nothing holds more than one chunk, plus the metadata and the batch of records decoded from that chunk.
 */
import { DbnBadMagicError } from '../errors.js';
import type { DbnMetadata } from '../metadata.js';
import type { AnyDbnRecord, DbnRecord } from '../records.js';
import { Parser, type DbnStats, type RawRecord } from './parser.js';
import { openPlainBytes, type DbnInput } from './source.js';

export interface DecodeOptions {
  /** 'upgrade' (default): v1/v2 records are presented in the v3 layout; 'as-is': in their own layout */
  upgradePolicy?: 'upgrade' | 'as-is';
  /** DBN version of a fragment (records without the DBN prelude/metadata); required for fragments */
  version?: 1 | 2 | 3;
  /** fragments only: every record carries an 8-byte ts_out */
  tsOut?: boolean;
  /** name used in error messages (default: the path, when the input is a path) */
  fileName?: string;
  /** read size for file paths (default 1 MiB) */
  chunkSize?: number;
  /** records per batch (default 512) */
  batchSize?: number;
  /** refuse metadata larger than this (default 256 MiB): a corrupt length must not exhaust memory */
  maxMetadataBytes?: number;
}

export interface DbnStream<R = DbnRecord> extends AsyncIterable<R> {
  /** the metadata (null for fragments); reads as far as needed to know it */
  metadata(): Promise<DbnMetadata | null>;
  readonly stats: DbnStats;
  /** the same records in arrays (one per decoded chunk): much less per-record overhead */
  batches(): AsyncIterable<R[]>;
  /**
   * Stop reading and release the input now (a file path's handle is closed): for a caller that read only
   * the metadata or stops early without breaking out of a loop. Safe at any time and more than once;
   * iterating afterwards yields nothing.
   */
  close(): Promise<void>;
}

export interface ScanResult {
  metadata: DbnMetadata | null;
  stats: DbnStats;
}

const DEFAULT_CHUNK = 1 << 20;
const DEFAULT_MAX_META = 256 << 20;
/** records per batch: small batches die young (cheap GC); whole-chunk batches cost ~3x more */
const DEFAULT_BATCH = 512;

export interface Drive {
  parser: Parser;
  batches: AsyncGenerator<AnyDbnRecord[], void, undefined>;
}

/**
 * source -> (zstd) -> parser, as a generator of record batches (empty with a raw callback). With `tickBytes`
 * (raw callback only), an empty batch is yielded after about every `tickBytes` bytes of records and after each
 * chunk: a pull-based consumer of the callback's work (fast/batches.ts) takes what that produced at each step,
 * so its batches stay small while the file is read in large chunks.
 */
export function drive(input: DbnInput, opts: DecodeOptions, onRaw?: (r: RawRecord) => void | boolean, tickBytes?: number): Drive {
  const file = opts.fileName ?? (typeof input === 'string' ? input : undefined);
  const parser = new Parser(
    file,
    (opts.upgradePolicy ?? 'upgrade') === 'upgrade',
    opts.version,
    opts.tsOut ?? false,
    opts.maxMetadataBytes ?? DEFAULT_MAX_META,
    onRaw,
  );
  const tick = onRaw !== undefined && tickBytes !== undefined;
  if (tick) parser.rawBudget = Math.max(1, tickBytes);
  if (opts.version !== undefined && ![1, 2, 3].includes(opts.version)) {
    throw new RangeError(`decodeDbn: version must be 1, 2 or 3, got ${opts.version}`);
  }
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const batches = (async function* (): AsyncGenerator<AnyDbnRecord[], void, undefined> {
    // opened on the first pull: a stream closed before that never opens its file
    const src = await openPlainBytes(input, file, opts.chunkSize ?? DEFAULT_CHUNK, () => parser.offset);
    if (src.compressed !== undefined) parser.compressed = src.compressed;
    let started = false;
    const it = src.chunks[Symbol.asyncIterator]();
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        const chunk = r.value;
        if (!started) {
          started = true;
          try {
            parser.start(chunk);
          } catch (e) {
            if (src.skippableStart && e instanceof DbnBadMagicError) {
              throw new DbnBadMagicError(
                'zstd data starting with a skippable frame and no "DBN" prelude: legacy DBZ (DBN version 0) is not supported',
                { file, offset: 0, compressedOffset: parser.compressed?.compressed },
              );
            }
            throw e;
          }
        }
        let out: AnyDbnRecord[] = [];
        let failure: unknown;
        let done = false;
        try {
          parser.begin(chunk, out);
          if (parser.stopped) done = true;
        } catch (e) {
          failure = e;
        }
        while (failure === undefined && !done) {
          // `begin` may already have put the record completed from the previous chunk in `out`:
          // never let a batch grow past batchSize
          if (out.length < batchSize) {
            try {
              done = parser.drain(out, batchSize - out.length);
            } catch (e) {
              failure = e;
            }
          }
          if (out.length >= batchSize || (out.length > 0 && (done || failure !== undefined))) {
            yield out;
            out = [];
          } else if (tick && !done && failure === undefined) {
            yield out; // a tick's worth of records went to the callback
          }
        }
        // every record before a fault is delivered before the error is thrown
        if (out.length > 0 || tick) yield out;
        if (failure !== undefined) throw failure;
        if (parser.stopped) return;
      }
      if (!started) parser.start(new Uint8Array(0));
      parser.end();
    } finally {
      await it.return?.();
    }
  })();
  return { parser, batches };
}

class Stream<R> implements DbnStream<R> {
  private readonly d: Drive;
  private readonly pending: R[][] = [];
  private claimed = false;
  private finished = false;
  private error: unknown;
  private hasError = false;

  constructor(input: DbnInput, opts: DecodeOptions) {
    this.d = drive(input, opts);
  }

  get stats(): DbnStats {
    return this.d.parser.stats;
  }

  /** pulls one batch; false at the end */
  private async pull(): Promise<boolean> {
    if (this.finished) return false;
    try {
      const r = await this.d.batches.next();
      if (r.done) {
        this.finished = true;
        return false;
      }
      this.pending.push(r.value as R[]);
      return true;
    } catch (e) {
      this.finished = true;
      this.error = e;
      this.hasError = true;
      throw e;
    }
  }

  async metadata(): Promise<DbnMetadata | null> {
    const p = this.d.parser;
    while (!p.metaKnown) {
      if (this.hasError) throw this.error;
      if (!(await this.pull())) break;
    }
    if (!p.metaKnown && this.hasError) throw this.error;
    return p.metadata;
  }

  batches(): AsyncIterable<R[]> {
    this.claim();
    const self = this;
    return {
      [Symbol.asyncIterator]() {
        return {
          async next(): Promise<IteratorResult<R[]>> {
            for (;;) {
              const b = self.pending.shift();
              if (b !== undefined) return { value: b, done: false };
              if (self.hasError) {
                const e = self.error;
                self.hasError = false;
                throw e;
              }
              if (!(await self.pull())) return { value: undefined, done: true };
            }
          },
          async return(): Promise<IteratorResult<R[]>> {
            await self.close();
            return { value: undefined, done: true };
          },
        };
      },
    };
  }

  private claim(): void {
    if (this.claimed) throw new Error('decodeDbn: a DbnStream can be iterated only once');
    this.claimed = true;
  }

  async close(): Promise<void> {
    this.finished = true;
    this.pending.length = 0;
    await this.d.batches.return(undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<R> {
    this.claim();
    let cur: R[] = [];
    let i = 0;
    const self = this;
    const more = async (): Promise<IteratorResult<R>> => {
      for (;;) {
        const b = self.pending.shift();
        if (b !== undefined) {
          // the driver yields only non-empty batches; an empty one would just be skipped
          const first = b[0];
          if (first === undefined) continue;
          cur = b;
          i = 1;
          return { value: first, done: false };
        }
        if (self.hasError) {
          const e = self.error;
          self.hasError = false;
          throw e;
        }
        if (!(await self.pull())) return { value: undefined, done: true };
      }
    };
    return {
      next(): Promise<IteratorResult<R>> {
        // in range: checked against cur.length
        if (i < cur.length) return Promise.resolve({ value: cur[i++] as R, done: false });
        return more();
      },
      async return(): Promise<IteratorResult<R>> {
        cur = [];
        await self.close();
        return { value: undefined, done: true };
      },
    };
  }
}

/**
 * Decodes a DBN stream: a file path, a Uint8Array, a Node readable stream or any (async) iterable
 * of byte chunks; plain or zstd (detected by magic); v1, v2 or v3; or a fragment when `version`
 * is given. Records come out as plain objects (see records.ts); with the default 'upgrade' policy
 * in the v3 layout. Errors are DbnError subclasses naming the file and byte offset; every record
 * before the fault is delivered before the error is thrown.
 */
export function decodeDbn(input: DbnInput, opts: DecodeOptions & { upgradePolicy: 'as-is' }): DbnStream<AnyDbnRecord>;
export function decodeDbn(input: DbnInput, opts?: DecodeOptions): DbnStream<DbnRecord>;
export function decodeDbn(input: DbnInput, opts: DecodeOptions = {}): DbnStream<AnyDbnRecord> {
  return new Stream<AnyDbnRecord>(input, opts);
}

/**
 * The fast path: calls `onRecord` for every record in place, without building objects. The
 * `RawRecord` passed is reused and its bytes are valid only during the call (use
 * `decodeRecord(raw.bytes, raw.offset, ...)` to materialise one, or read fields from `raw.view`
 * at `raw.offset + fieldOffset`). Return `false` to stop early. Unknown rtypes are passed too
 * (and counted in `stats.skippedUnknown`). Records are never upgraded here (`raw.version`).
 */
export async function scanDbn(
  input: DbnInput,
  onRecord: (r: RawRecord) => void | boolean,
  opts: Omit<DecodeOptions, 'upgradePolicy'> = {},
): Promise<ScanResult> {
  const d = drive(input, { ...opts, upgradePolicy: 'as-is' }, onRecord);
  for await (const _ of d.batches) void _;
  return { metadata: d.parser.metadata, stats: d.parser.stats };
}
