/**
 * The sans-I/O DBN parser: a state machine fed chunks of plain DBN bytes, in order, by whoever reads
 * them (stream.ts). It knows nothing of files, streams or zstd. Protocol:
 *
 *   start(firstChunk)               once: DBN prelude, or a fragment of the caller-given version
 *   begin(chunk, out)               per chunk: prelude/metadata bytes, and a record split across chunks
 *   drain(out, max) until true      per chunk: up to `max` whole records into `out`
 *   end()                           at the end of the input: throws if it was cut short
 *
 * Phases: 'prelude' (the 8-byte prelude, then the metadata accumulated until `8 + metadata_length`
 * bytes, see docs/dbn-format.md), then 'records'. Records are decoded straight from a DataView over the
 * current chunk; only a record split across two chunks is copied (into a 1 KiB carry buffer). Errors are
 * DbnError subclasses naming the file and the decompressed byte offset.
 */
import { MAX_RECORD_LEN, RECORD_HEADER_LEN } from '../constants.js';
import {
  DbnBadMagicError,
  DbnBadRecordLengthError,
  type DbnError,
  DbnMetadataError,
  DbnTruncatedError,
  DbnUnsupportedVersionError,
} from '../errors.js';
import type { RecordDecoder } from '../layouts.js';
import { parseMetadata, PRELUDE_LEN, type DbnMetadata } from '../metadata.js';
import type { AnyDbnRecord } from '../records.js';
import type { ZstdPosition } from '../zstd.js';
import { byteAt, intAt } from '../indexing.js';
import { decoderTable, hex1 } from './record.js';

export interface DbnStats {
  /** records delivered (decoded) so far */
  records: number;
  /** records of an unknown rtype, skipped by their length */
  skippedUnknown: number;
  /** decompressed bytes consumed so far (prelude and metadata included) */
  bytes: number;
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

const DBN_MAGIC = [0x44, 0x42, 0x4e] as const;

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ') || '(nothing)';
}

export class Parser {
  phase: 'prelude' | 'records' = 'prelude';
  version = 0;
  tsOut = false;
  metadata: DbnMetadata | null = null;
  metaKnown = false;
  /** absolute (decompressed) offset of the first byte not yet consumed */
  offset = 0;
  readonly stats: DbnStats = { records: 0, skippedUnknown: 0, bytes: 0 };
  /** set by the reader for zstd input: the compressed position, for error messages */
  compressed?: ZstdPosition;
  /** set when the raw callback asked to stop */
  stopped = false;
  /** raw callback only: a drain() call stops after about this many bytes of records (a tick's worth, drive()) */
  rawBudget = Infinity;

  private metaBuf: Uint8Array | null = null;
  private metaLen = 0;
  /** prelude + metadata_length, once the prelude is known (PRELUDE_LEN before) */
  private metaTarget = PRELUDE_LEN;
  private readonly carry = new Uint8Array(MAX_RECORD_LEN + 4);
  private readonly carryDv = new DataView(this.carry.buffer);
  private carryLen = 0;
  private decoders: ReadonlyArray<RecordDecoder | undefined> = [];
  /** per rtype: the smallest valid record size (0 until the version is known) */
  private minSize: Int32Array = new Int32Array(256);
  private index = 0;
  private readonly raw: RawRecord;

  // the chunk being decoded (valid until the source is pulled again)
  private cur: Uint8Array = new Uint8Array(0);
  private curDv: DataView = new DataView(new ArrayBuffer(0));
  private curPos = 0;

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

  private err(
    Cls: new (m: string, o: { file?: string; offset: number; compressedOffset?: number }) => DbnError,
    msg: string,
    offset: number,
  ): DbnError {
    return new Cls(msg, { file: this.file, offset, compressedOffset: this.compressed?.compressed });
  }

  private setup(version: number, tsOut: boolean): void {
    this.version = version;
    this.tsOut = tsOut;
    this.raw.version = version;
    this.raw.tsOut = tsOut;
    const t = decoderTable(version, tsOut, this.upgrade);
    this.decoders = t.decoders;
    this.minSize = t.minSize;
    this.phase = 'records';
  }

  /** The first bytes decide: DBN prelude, or a fragment of the caller-given version. */
  start(head: Uint8Array): void {
    const isDbn = head.length >= 3 && DBN_MAGIC.every((b, i) => head[i] === b);
    if (!isDbn) {
      if (this.fragVersion !== undefined) {
        this.metaKnown = true;
        this.setup(this.fragVersion, this.fragTsOut);
        return;
      }
      if (head.length < 3 && head.length > 0 && DBN_MAGIC.slice(0, head.length).every((b, i) => head[i] === b)) {
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
      // the carry holds at least a whole header from here on
      const size = byteAt(c, 0) << 2;
      const recStart = this.offset;
      if (size < RECORD_HEADER_LEN) throw this.badLength(size, byteAt(c, 1), recStart);
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
   * Decodes up to `max` whole records of the current chunk into `out` (with the raw callback: hands them to it,
   * stopping after `rawBudget` bytes). Returns true when the chunk is used up (a trailing partial record is kept
   * in the carry buffer).
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
      // every byteAt below reads inside the record header, which the loop condition puts inside the chunk
      while (len - pos >= RECORD_HEADER_LEN) {
        const size = byteAt(u8, pos) << 2;
        if (pos + size > len) break;
        if (size < RECORD_HEADER_LEN) throw this.badLength(size, byteAt(u8, pos + 1), this.offset + (pos - startPos));
        if (raw) {
          this.one(u8, dv, pos, size, this.offset + (pos - startPos), out);
          pos += size;
          if (this.stopped) return true;
          if (pos - startPos >= this.rawBudget) break;
          continue;
        }
        const rtype = byteAt(u8, pos + 1);
        const dec = decoders[rtype];
        if (dec === undefined) {
          stats.skippedUnknown++;
        } else {
          if (size < intAt(minSize, rtype)) throw this.tooShort(size, rtype, this.offset + (pos - startPos));
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
    if (len - pos >= RECORD_HEADER_LEN && pos + (byteAt(u8, pos) << 2) <= len) return false;
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
    const rtype = byteAt(u8, o + 1);
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
        if (size < intAt(this.minSize, rtype)) throw this.tooShort(size, rtype, streamOffset);
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
    if (size < intAt(this.minSize, rtype)) throw this.tooShort(size, rtype, streamOffset);
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
      `record of rtype 0x${hex1(rtype)} is ${size} bytes, too short for its DBN v${this.version} layout (${intAt(this.minSize, rtype)} bytes${this.tsOut ? ' with ts_out' : ''})`,
      size,
      rtype,
      { file: this.file, offset: at, compressedOffset: this.compressed?.compressed },
    );
  }

  /** Accumulates prelude + metadata; returns how many bytes of `chunk` it used. */
  private feedPrelude(chunk: Uint8Array): number {
    let pos = 0;
    let buf: Uint8Array;
    if (this.metaBuf === null) {
      buf = this.metaBuf = new Uint8Array(PRELUDE_LEN);
      this.metaLen = 0;
      this.metaTarget = PRELUDE_LEN;
    } else buf = this.metaBuf;
    const need = (target: number): boolean => {
      const take = Math.min(target - this.metaLen, chunk.length - pos);
      if (this.metaLen + take > buf.length) {
        // grow with the data actually received (a corrupt metadata_length must not make us
        // allocate up to maxMetadataBytes for a file that is far shorter)
        const grown = new Uint8Array(Math.min(target, Math.max(buf.length * 2, this.metaLen + take)));
        grown.set(buf.subarray(0, this.metaLen), 0);
        buf = this.metaBuf = grown;
      }
      buf.set(chunk.subarray(pos, pos + take), this.metaLen);
      this.metaLen += take;
      pos += take;
      return this.metaLen >= target;
    };
    if (this.metaLen < PRELUDE_LEN) {
      if (!need(PRELUDE_LEN)) {
        this.stats.bytes += pos;
        return pos;
      }
      // the whole 8-byte prelude is in buf from here on
      if (!DBN_MAGIC.every((b, i) => buf[i] === b)) {
        throw this.err(DbnBadMagicError, `not DBN data: starts with ${hex(buf.subarray(0, 4))}`, 0);
      }
      const version = byteAt(buf, 3);
      if (version < 1 || version > 3) {
        throw new DbnUnsupportedVersionError(version, { file: this.file, offset: 3, compressedOffset: this.compressed?.compressed });
      }
      const metaLength = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(4, true);
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
    const full = buf.length === this.metaTarget ? buf : buf.subarray(0, this.metaTarget);
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
      // a whole header is in the carry (checked just above)
      const size = byteAt(this.carry, 0) << 2;
      throw this.err(
        DbnTruncatedError,
        `truncated record: rtype 0x${hex1(byteAt(this.carry, 1))} declares ${size} bytes but the data ends after ${this.carryLen}`,
        this.offset,
      );
    }
  }
}
