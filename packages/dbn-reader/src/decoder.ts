/**
 * Streaming DBN decoder (v1/v2/v3, plain or zstd, files, Node streams, async iterables, buffers).
 *
 * Memory is bounded: input is read in chunks (1 MiB from files), zstd output goes through one
 * reused 256 KiB buffer, records are decoded straight from a DataView over the current chunk and
 * only a record split across two chunks is copied (into a 1 KiB carry buffer). Nothing holds more
 * than one chunk, plus the metadata and the batch of records decoded from that chunk.
 */
import { open } from 'node:fs/promises';
import { compileDecoder, layoutTable, type Layout, type RecordDecoder } from './layouts.js';
import { upgraderFor } from './compat.js';
import { MAX_RECORD_LEN, RECORD_HEADER_LEN } from './constants.js';
import {
  DbnBadMagicError,
  DbnBadRecordLengthError,
  DbnError,
  DbnIoError,
  DbnMetadataError,
  DbnTruncatedError,
  DbnUnsupportedVersionError,
} from './errors.js';
import { parseMetadata, PRELUDE_LEN, type DbnMetadata } from './metadata.js';
import type { AnyDbnRecord, DbnRecord } from './records.js';
import { isZstdMagic, isZstdSkippable, zstdDecompressChunks, type ZstdPosition } from './zstd.js';

export type DbnInput = string | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | NodeJS.ReadableStream;

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

export interface DbnStats {
  /** records delivered (decoded) so far */
  records: number;
  /** records of an unknown rtype, skipped by their length */
  skippedUnknown: number;
  /** decompressed bytes consumed so far (prelude and metadata included) */
  bytes: number;
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

/**
 * A record in place, for the zero-allocation path (`scanDbn`): the same object is reused for
 * every record and `bytes`/`view` are only valid during the callback. `offset` is the record's
 * position in `bytes`/`view`; `streamOffset` its position in the (decompressed) stream.
 */
export interface RawRecord {
  bytes: Uint8Array;
  view: DataView;
  offset: number;
  /** record size in bytes (`length * 4`) */
  size: number;
  rtype: number;
  /** DBN version of the record's layout (the file's, never upgraded) */
  version: number;
  tsOut: boolean;
  /** 0-based index among the records of this stream (unknown rtypes included) */
  index: number;
  streamOffset: number;
}

const DEFAULT_CHUNK = 1 << 20;
const DEFAULT_MAX_META = 256 << 20;
/** records per batch: small batches die young (cheap GC); whole-chunk batches cost ~3x more */
const DEFAULT_BATCH = 512;

// ---------------------------------------------------------------------------------------------
// byte sources

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return x != null && typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
function isIterable(x: unknown): x is Iterable<unknown> {
  return x != null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** Reads a file in chunks into ONE reused buffer (each chunk is valid until the next pull). */
async function* fileChunks(path: string, chunkSize: number): AsyncGenerator<Uint8Array, void, undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new DbnIoError(`cannot open: ${(e as Error).message}`, { file: path, offset: 0, cause: e });
  }
  // two buffers: the next chunk is read while the consumer decodes the current one (a chunk is
  // valid until the next pull, so the buffer it lives in is only reused after that pull)
  const bufs = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
  let pos = 0;
  let which = 0;
  const readInto = (buf: Uint8Array) =>
    fh.read(buf, 0, chunkSize, null).then(
      (r) => r.bytesRead,
      (e: unknown) => e as Error,
    );
  let pending: Promise<number | Error> | undefined = readInto(bufs[0]);
  try {
    for (;;) {
      const n = await pending!;
      pending = undefined;
      if (n instanceof Error) throw new DbnIoError(`read failed: ${n.message}`, { file: path, offset: pos, cause: n });
      if (n === 0) return;
      const cur = bufs[which];
      which ^= 1;
      pos += n;
      pending = readInto(bufs[which]);
      yield cur.subarray(0, n);
    }
  } finally {
    if (pending !== undefined) await pending;
    await fh.close().catch(() => undefined);
  }
}

async function* iterChunks(src: AsyncIterable<unknown> | Iterable<unknown>, file: string | undefined): AsyncGenerator<Uint8Array, void, undefined> {
  let pos = 0;
  try {
    for await (const c of src as AsyncIterable<unknown>) {
      if (!(c instanceof Uint8Array)) {
        throw new DbnIoError(
          `input chunks must be bytes (Uint8Array/Buffer), got ${typeof c === 'string' ? 'a string (stream in text mode?)' : typeof c}`,
          { file, offset: pos },
        );
      }
      if (c.length === 0) continue;
      pos += c.length;
      yield c;
    }
  } catch (e) {
    if (e instanceof DbnError) throw e;
    throw new DbnIoError(`input stream failed: ${(e as Error)?.message ?? String(e)}`, { file, offset: pos, cause: e });
  }
}

function sourceOf(input: DbnInput, file: string | undefined, chunkSize: number): AsyncIterable<Uint8Array> {
  if (typeof input === 'string') return fileChunks(input, chunkSize);
  if (input instanceof Uint8Array) {
    return (async function* () {
      if (input.length > 0) yield input;
    })();
  }
  if (isAsyncIterable(input) || isIterable(input)) return iterChunks(input as AsyncIterable<unknown>, file);
  throw new TypeError('decodeDbn: input must be a path, a Uint8Array, a Node readable stream or an (async) iterable of Uint8Array');
}

/** Peeks at the first 4 bytes, then yields them followed by the rest of the source. */
async function sniff(src: AsyncIterable<Uint8Array>): Promise<{ head: Uint8Array; rest: AsyncIterable<Uint8Array> }> {
  const it = src[Symbol.asyncIterator]();
  const parts: Uint8Array[] = [];
  let n = 0;
  let done = false;
  while (n < 4) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    // copy: a file source reuses its buffer on the next pull
    parts.push(n + r.value.length < 4 ? r.value.slice() : r.value);
    n += r.value.length;
  }
  let head: Uint8Array;
  if (parts.length === 1) head = parts[0];
  else {
    head = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      head.set(p, o);
      o += p.length;
    }
  }
  const rest = (async function* () {
    try {
      if (head.length > 0) yield head;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      if (!done) await it.return?.();
    }
  })();
  return { head, rest };
}

// ---------------------------------------------------------------------------------------------
// the parser: metadata, then records, chunk by chunk

type Emit = 'objects' | 'raw';

class Parser {
  phase: 'prelude' | 'records' = 'prelude';
  version = 0;
  tsOut = false;
  metadata: DbnMetadata | null = null;
  metaKnown = false;
  /** absolute (decompressed) offset of the first byte not yet consumed */
  offset = 0;
  readonly stats: DbnStats = { records: 0, skippedUnknown: 0, bytes: 0 };
  compressed?: ZstdPosition;

  private metaBuf: Uint8Array | null = null;
  private metaLen = 0;
  /** prelude + metadata_length, once the prelude is known (PRELUDE_LEN before) */
  private metaTarget = PRELUDE_LEN;
  private readonly carry = new Uint8Array(MAX_RECORD_LEN + 4);
  private readonly carryDv = new DataView(this.carry.buffer);
  private carryLen = 0;
  private decoders: Array<RecordDecoder | undefined> = [];
  private minSize = new Int32Array(256);
  private index = 0;
  private readonly raw: RawRecord;

  constructor(
    readonly file: string | undefined,
    readonly upgrade: boolean,
    readonly fragVersion: number | undefined,
    readonly fragTsOut: boolean,
    readonly maxMeta: number,
    readonly onRaw?: (r: RawRecord) => void | boolean,
  ) {
    this.raw = {
      bytes: this.carry,
      view: this.carryDv,
      offset: 0,
      size: 0,
      rtype: 0,
      version: 0,
      tsOut: false,
      index: 0,
      streamOffset: 0,
    };
  }

  /** set when the raw callback asked to stop */
  stopped = false;

  private err(Cls: new (m: string, o: { file?: string; offset: number; compressedOffset?: number }) => DbnError, msg: string, offset: number): DbnError {
    return new Cls(msg, { file: this.file, offset, compressedOffset: this.compressed?.compressed });
  }

  private setup(version: number, tsOut: boolean): void {
    this.version = version;
    this.tsOut = tsOut;
    this.raw.version = version;
    this.raw.tsOut = tsOut;
    const table = layoutTable(version);
    this.decoders = table.map((l: Layout | undefined, rtype) => {
      if (l === undefined) return undefined;
      this.minSize[rtype] = l.size + (tsOut ? 8 : 0);
      const dec = compileDecoderCached(l, tsOut);
      const up = this.upgrade ? upgraderFor(version, rtype) : undefined;
      return up === undefined ? dec : (dv: DataView, u8: Uint8Array, o: number, size: number) => up(dec(dv, u8, o, size));
    });
    this.phase = 'records';
  }

  /** The first bytes decide: DBN prelude, or a fragment of the caller-given version. */
  start(head: Uint8Array): void {
    const isDbn = head.length >= 3 && head[0] === 0x44 && head[1] === 0x42 && head[2] === 0x4e;
    if (!isDbn) {
      if (this.fragVersion !== undefined) {
        this.metaKnown = true;
        this.setup(this.fragVersion, this.fragTsOut);
        return;
      }
      if (head.length < 3 && head.length > 0 && [0x44, 0x42, 0x4e].slice(0, head.length).every((b, i) => head[i] === b)) {
        return; // a prefix of "DBN": decided (as truncated) at the end
      }
      if (head.length === 0) return; // empty: decided at the end
      throw this.err(
        DbnBadMagicError,
        `not DBN data: starts with ${hex(head.subarray(0, 4))}, expected "DBN" (44 42 4E) or a zstd frame; ` +
          'for a fragment (records without metadata) pass the version option',
        0,
      );
    }
  }

  // the chunk being decoded (valid until the source is pulled again)
  private cur: Uint8Array = new Uint8Array(0);
  private curDv: DataView = new DataView(new ArrayBuffer(0));
  private curPos = 0;

  /**
   * Starts on a new chunk: consumes prelude/metadata bytes and completes a record split across
   * the previous chunk (pushing it to `out`). Then call `drain` until it returns true.
   */
  begin(chunk: Uint8Array, out: AnyDbnRecord[]): void {
    const u8 = chunk;
    let pos = 0;
    const len = chunk.length;
    this.cur = chunk;
    this.curDv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.curPos = len;
    if (this.phase === 'prelude') {
      pos = this.feedPrelude(chunk);
      if (this.phase === 'prelude') return;
    }
    if (this.carryLen > 0) {
      const c = this.carry;
      if (this.carryLen < RECORD_HEADER_LEN) {
        const take = Math.min(RECORD_HEADER_LEN - this.carryLen, len - pos);
        c.set(u8.subarray(pos, pos + take), this.carryLen);
        this.carryLen += take;
        pos += take;
        this.stats.bytes += take;
        if (this.carryLen < RECORD_HEADER_LEN) return;
      }
      const size = c[0] << 2;
      const recStart = this.offset;
      if (size < RECORD_HEADER_LEN) throw this.badLength(size, c[1], recStart);
      const take = Math.min(size - this.carryLen, len - pos);
      c.set(u8.subarray(pos, pos + take), this.carryLen);
      this.carryLen += take;
      pos += take;
      this.stats.bytes += take;
      if (this.carryLen < size) return;
      this.carryLen = 0;
      this.offset += size;
      this.curPos = pos;
      this.one(c, this.carryDv, 0, size, recStart, out);
      if (this.stopped) return;
    }
    this.curPos = pos;
  }

  /**
   * Decodes up to `max` whole records of the current chunk into `out`. Returns true when the
   * chunk is used up (a trailing partial record is kept in the carry buffer).
   */
  drain(out: AnyDbnRecord[], max: number): boolean {
    const u8 = this.cur;
    const len = u8.length;
    let pos = this.curPos;
    if (pos >= len) return true;
    const dv = this.curDv;
    const decoders = this.decoders;
    const minSize = this.minSize;
    const stats = this.stats;
    const raw = this.onRaw !== undefined;
    let recs = stats.records;
    const startPos = pos;
    let n = 0;
    try {
      while (len - pos >= RECORD_HEADER_LEN) {
        const size = u8[pos] << 2;
        if (pos + size > len) break;
        if (size < RECORD_HEADER_LEN) throw this.badLength(size, u8[pos + 1], this.offset + (pos - startPos));
        if (raw) {
          this.one(u8, dv, pos, size, this.offset + (pos - startPos), out);
          pos += size;
          if (this.stopped) return true;
          continue;
        }
        const rtype = u8[pos + 1];
        const dec = decoders[rtype];
        if (dec === undefined) {
          stats.skippedUnknown++;
        } else {
          if (size < minSize[rtype]) throw this.tooShort(size, rtype, this.offset + (pos - startPos));
          out.push(dec(dv, u8, pos, size));
          recs++;
        }
        this.index++;
        pos += size;
        if (++n === max) break;
      }
    } finally {
      if (!raw) stats.records = recs;
      stats.bytes += pos - startPos;
      this.offset += pos - startPos;
      this.curPos = pos;
    }
    if (len - pos >= RECORD_HEADER_LEN && pos + (u8[pos] << 2) <= len) return false;
    // keep a partial record for the next chunk
    if (pos < len) {
      this.carry.set(u8.subarray(pos, len), 0);
      this.carryLen = len - pos;
      this.stats.bytes += len - pos;
      this.curPos = len;
    }
    return true;
  }

  /** Decodes (or hands to the raw callback) one complete record at `o`. */
  private one(u8: Uint8Array, dv: DataView, o: number, size: number, streamOffset: number, out: AnyDbnRecord[]): void {
    const rtype = u8[o + 1];
    const idx = this.index++;
    if (this.onRaw !== undefined) {
      const r = this.raw;
      r.bytes = u8;
      r.view = dv;
      r.offset = o;
      r.size = size;
      r.rtype = rtype;
      r.index = idx;
      r.streamOffset = streamOffset;
      if (this.decoders[rtype] === undefined) this.stats.skippedUnknown++;
      else {
        if (size < this.minSize[rtype]) throw this.tooShort(size, rtype, streamOffset);
        this.stats.records++;
      }
      if (this.onRaw(r) === false) this.stopped = true;
      return;
    }
    const dec = this.decoders[rtype];
    if (dec === undefined) {
      this.stats.skippedUnknown++;
      return;
    }
    if (size < this.minSize[rtype]) throw this.tooShort(size, rtype, streamOffset);
    out.push(dec(dv, u8, o, size));
    this.stats.records++;
  }

  private badLength(size: number, rtype: number, at: number): DbnError {
    return new DbnBadRecordLengthError(
      `record length ${size / 4} (${size} bytes) is below the 16-byte header (rtype 0x${hex1(rtype)})`,
      size,
      rtype,
      { file: this.file, offset: at, compressedOffset: this.compressed?.compressed },
    );
  }

  private tooShort(size: number, rtype: number, at: number): DbnError {
    return new DbnBadRecordLengthError(
      `record of rtype 0x${hex1(rtype)} is ${size} bytes, too short for its DBN v${this.version} layout (${this.minSize[rtype]} bytes${this.tsOut ? ' with ts_out' : ''})`,
      size,
      rtype,
      { file: this.file, offset: at, compressedOffset: this.compressed?.compressed },
    );
  }

  /** Accumulates prelude + metadata; returns how many bytes of `chunk` it used. */
  private feedPrelude(chunk: Uint8Array): number {
    let pos = 0;
    if (this.metaBuf === null) {
      this.metaBuf = new Uint8Array(PRELUDE_LEN);
      this.metaLen = 0;
      this.metaTarget = PRELUDE_LEN;
    }
    const need = (target: number): boolean => {
      const take = Math.min(target - this.metaLen, chunk.length - pos);
      if (this.metaLen + take > this.metaBuf!.length) {
        // grow with the data actually received (a corrupt metadata_length must not make us
        // allocate up to maxMetadataBytes for a file that is far shorter)
        const grown = new Uint8Array(Math.min(target, Math.max(this.metaBuf!.length * 2, this.metaLen + take)));
        grown.set(this.metaBuf!.subarray(0, this.metaLen), 0);
        this.metaBuf = grown;
      }
      this.metaBuf!.set(chunk.subarray(pos, pos + take), this.metaLen);
      this.metaLen += take;
      pos += take;
      return this.metaLen >= target;
    };
    if (this.metaLen < PRELUDE_LEN) {
      if (!need(PRELUDE_LEN)) {
        this.stats.bytes += pos;
        return pos;
      }
      const b = this.metaBuf;
      if (b[0] !== 0x44 || b[1] !== 0x42 || b[2] !== 0x4e) {
        throw this.err(DbnBadMagicError, `not DBN data: starts with ${hex(b.subarray(0, 4))}`, 0);
      }
      const version = b[3];
      if (version < 1 || version > 3) {
        throw new DbnUnsupportedVersionError(version, { file: this.file, offset: 3, compressedOffset: this.compressed?.compressed });
      }
      const metaLength = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4, true);
      if (metaLength < 100) {
        throw this.err(DbnMetadataError, `metadata length ${metaLength} is below the fixed part's 100 bytes`, 4);
      }
      if (metaLength > this.maxMeta) {
        throw this.err(DbnMetadataError, `metadata length ${metaLength} exceeds the limit of ${this.maxMeta} bytes (maxMetadataBytes)`, 4);
      }
      this.metaTarget = PRELUDE_LEN + metaLength;
    }
    if (!need(this.metaTarget)) {
      this.stats.bytes += pos;
      return pos;
    }
    const full = this.metaBuf.length === this.metaTarget ? this.metaBuf : this.metaBuf.subarray(0, this.metaTarget);
    const meta = parseMetadata(full, { file: this.file, baseOffset: 0, upgrade: this.upgrade });
    this.metadata = meta;
    this.metaKnown = true;
    this.offset = this.metaTarget;
    this.metaBuf = null;
    this.stats.bytes += pos;
    this.setup(meta.sourceVersion, meta.tsOut);
    return pos;
  }

  /** End of input: anything left over means the data was cut short. */
  end(): void {
    if (this.phase === 'prelude') {
      if (this.fragVersion !== undefined && this.metaLen === 0 && this.metaBuf === null) {
        // empty fragment
        this.metaKnown = true;
        return;
      }
      if (this.metaLen === 0 && this.metaBuf === null) {
        throw this.err(DbnTruncatedError, 'empty input: no DBN prelude', 0);
      }
      const want = this.metaTarget;
      throw this.err(
        DbnTruncatedError,
        `truncated ${this.metaLen < PRELUDE_LEN ? 'prelude' : 'metadata'}: ${this.metaLen} of ${want} bytes`,
        this.metaLen,
      );
    }
    if (this.carryLen > 0) {
      if (this.carryLen < RECORD_HEADER_LEN) {
        throw this.err(DbnTruncatedError, `truncated record header: ${this.carryLen} of 16 bytes at the end of the data`, this.offset);
      }
      const size = this.carry[0] << 2;
      throw this.err(
        DbnTruncatedError,
        `truncated record: rtype 0x${hex1(this.carry[1])} declares ${size} bytes but the data ends after ${this.carryLen}`,
        this.offset,
      );
    }
  }
}

const decoderCache = new Map<string, RecordDecoder>();
function compileDecoderCached(l: Layout, tsOut: boolean): RecordDecoder {
  const k = `${l.name}:${tsOut}`;
  let d = decoderCache.get(k);
  if (d === undefined) {
    d = compileDecoder(l, tsOut);
    decoderCache.set(k, d);
  }
  return d;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ') || '(nothing)';
}
function hex1(b: number): string {
  return b.toString(16).padStart(2, '0');
}

// ---------------------------------------------------------------------------------------------
// driving: source -> (zstd) -> parser

interface Drive {
  parser: Parser;
  batches: AsyncGenerator<AnyDbnRecord[], void, undefined>;
}

function drive(input: DbnInput, opts: DecodeOptions, onRaw?: (r: RawRecord) => void | boolean): Drive {
  const file = opts.fileName ?? (typeof input === 'string' ? input : undefined);
  const parser = new Parser(
    file,
    (opts.upgradePolicy ?? 'upgrade') === 'upgrade',
    opts.version,
    opts.tsOut ?? false,
    opts.maxMetadataBytes ?? DEFAULT_MAX_META,
    onRaw,
  );
  if (opts.version !== undefined && ![1, 2, 3].includes(opts.version)) {
    throw new RangeError(`decodeDbn: version must be 1, 2 or 3, got ${opts.version}`);
  }
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const batches = (async function* (): AsyncGenerator<AnyDbnRecord[], void, undefined> {
    const src = sourceOf(input, file, opts.chunkSize ?? DEFAULT_CHUNK);
    const { head, rest } = await sniff(src);
    let chunks: AsyncIterable<Uint8Array> = rest;
    let skippableStart = false;
    if (isZstdMagic(head)) {
      skippableStart = isZstdSkippable(head);
      parser.compressed = { compressed: 0 };
      chunks = zstdDecompressChunks(rest, parser.compressed, file, () => parser.offset);
    }
    let started = false;
    const it = chunks[Symbol.asyncIterator]();
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
            if (skippableStart && e instanceof DbnBadMagicError) {
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
          }
        }
        if (out.length > 0) yield out;
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
          if (b.length === 0) continue;
          cur = b;
          i = 1;
          return { value: b[0], done: false };
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
        if (i < cur.length) return Promise.resolve({ value: cur[i++], done: false });
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

export interface ScanResult {
  metadata: DbnMetadata | null;
  stats: DbnStats;
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

const layoutsByVersion: Array<Array<Layout | undefined>> = [[], layoutTable(1), layoutTable(2), layoutTable(3)];
const singleDecoders = new Map<string, Array<RecordDecoder | undefined>>();

/**
 * Decodes the one record at `bytes[offset]` (its header gives its size). Returns null for an
 * unknown rtype. `version` is the layout the bytes are in (default 3); with `upgradePolicy`
 * 'upgrade' (default) a v1/v2 record is returned in the v3 layout.
 */
export function decodeRecord(
  bytes: Uint8Array,
  offset = 0,
  opts: { version?: number; tsOut?: boolean; upgradePolicy?: 'upgrade' | 'as-is' } = {},
): AnyDbnRecord | null {
  const version = opts.version ?? 3;
  if (version !== 1 && version !== 2 && version !== 3) throw new RangeError(`decodeRecord: version must be 1, 2 or 3, got ${version}`);
  const tsOut = opts.tsOut ?? false;
  const upgrade = (opts.upgradePolicy ?? 'upgrade') === 'upgrade';
  const key = `${version}:${tsOut}:${upgrade}`;
  let decs = singleDecoders.get(key);
  if (decs === undefined) {
    decs = layoutTable(version).map((l, rtype) => {
      if (l === undefined) return undefined;
      const dec = compileDecoderCached(l, tsOut);
      const up = upgrade ? upgraderFor(version, rtype) : undefined;
      return up === undefined ? dec : (dv: DataView, u8: Uint8Array, o: number, size: number) => up(dec(dv, u8, o, size));
    });
    singleDecoders.set(key, decs);
  }
  if (bytes.length - offset < RECORD_HEADER_LEN) {
    throw new DbnTruncatedError(`decodeRecord: ${bytes.length - offset} bytes, less than a record header`, { offset });
  }
  const size = bytes[offset] << 2;
  const rtype = bytes[offset + 1];
  if (size < RECORD_HEADER_LEN) {
    throw new DbnBadRecordLengthError(`record length ${size} bytes is below the 16-byte header`, size, rtype, { offset });
  }
  if (offset + size > bytes.length) {
    throw new DbnTruncatedError(`record declares ${size} bytes but only ${bytes.length - offset} are there`, { offset });
  }
  const dec = decs[rtype];
  if (dec === undefined) return null;
  const l = layoutsByVersion[version]?.[rtype];
  if (l !== undefined && size < l.size + (tsOut ? 8 : 0)) {
    throw new DbnBadRecordLengthError(`record of rtype 0x${hex1(rtype)} is ${size} bytes, too short for its layout`, size, rtype, { offset });
  }
  return dec(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, offset, size);
}
