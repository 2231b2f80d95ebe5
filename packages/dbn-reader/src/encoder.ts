/**
 * Streaming DBN encoder: metadata + records of every type the decoder reads, DBN version 3 by
 * default (1 and 2 for tests and compatibility), plain or zstd. Records are encoded into one
 * buffer that is handed to the sink in ~1 MiB pieces (a fresh buffer takes its place, so bytes in
 * flight are never overwritten), so files of any size can be generated with
 * flat memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { toV3Record } from './compat.js';
import { DbnEncodeError } from './errors.js';
import { compileEncoder, layoutTable, type Layout, type RecordEncoder } from './layouts.js';
import { encodeMetadata, type DbnMetadataInput } from './metadata.js';
import type { AnyDbnRecord } from './records.js';
import { ZstdCompressor } from './zstd.js';

export type DbnSink = string | NodeJS.WritableStream | ((chunk: Uint8Array) => void | Promise<void>);

export interface EncoderOptions {
  /** DBN version to write (default 3). v1/v2 output needs records in that version's layout. */
  version?: 1 | 2 | 3;
  /** 'zstd' compresses the whole output (one zstd frame) */
  compression?: 'none' | 'zstd';
  /** zstd level (default 3) */
  zstdLevel?: number;
  /** fragments (no metadata) only: every record gets a ts_out; with metadata its `tsOut` decides */
  tsOut?: boolean;
  /** size of the record buffer flushed to the sink (default 1 MiB) */
  bufferSize?: number;
}

interface EncEntry {
  layout: Layout;
  encode: RecordEncoder;
}

const encoderCache = new Map<Layout, RecordEncoder>();

function encodersFor(version: number): Array<EncEntry | undefined> {
  return layoutTable(version).map((layout) => {
    if (layout === undefined) return undefined;
    let encode = encoderCache.get(layout);
    if (encode === undefined) {
      encode = compileEncoder(layout);
      encoderCache.set(layout, encode);
    }
    return { layout, encode };
  });
}

const tableByVersion: Array<Array<EncEntry | undefined>> = [];
function table(version: number): Array<EncEntry | undefined> {
  return (tableByVersion[version] ??= encodersFor(version));
}

/**
 * Encodes `rec` at `buf[o]` (which must have room for it); returns the record size.
 * Reserved bytes are zeroed. Legacy-shaped records are upgraded first when `version` is 3.
 */
export function encodeRecordInto(rec: AnyDbnRecord, buf: Uint8Array, dv: DataView, o: number, version: number, tsOut: boolean): number {
  if (rec === null || typeof rec !== 'object' || rec.hd === null || typeof rec.hd !== 'object') {
    throw new DbnEncodeError('not a DBN record (no hd header object)', 'hd');
  }
  let r = rec;
  if (version === 3) r = toV3Record(rec);
  const rtype = r.hd.rtype;
  const e = typeof rtype === 'number' ? table(version)[rtype] : undefined;
  if (e === undefined) {
    throw new DbnEncodeError(`no DBN v${version} layout for rtype ${String(rtype)}`, 'hd.rtype');
  }
  const size = e.layout.size + (tsOut ? 8 : 0);
  if (o + size > buf.length) throw new RangeError('encodeRecordInto: buffer too small');
  buf.fill(0, o, o + size);
  e.encode(r, dv, buf, o);
  buf[o] = size >> 2;
  if (tsOut) {
    const t = r.ts_out;
    if (typeof t !== 'bigint' || t < 0n || t > 0xffffffffffffffffn) {
      throw new DbnEncodeError(`${e.layout.name}: the output has ts_out but the record's ts_out is missing or out of range`, 'ts_out');
    }
    dv.setBigUint64(o + size - 8, t, true);
  }
  return size;
}

/** Encodes one record to fresh bytes (DBN v3 layout unless `version` says otherwise). */
export function encodeRecord(rec: AnyDbnRecord, opts: { version?: 1 | 2 | 3; tsOut?: boolean } = {}): Uint8Array {
  const buf = new Uint8Array(1032);
  const n = encodeRecordInto(rec, buf, new DataView(buf.buffer), 0, opts.version ?? 3, opts.tsOut ?? false);
  return buf.slice(0, n);
}

/**
 * Writes a DBN stream to a file path, a Node writable stream or a callback.
 *
 * ```ts
 * const enc = new DbnEncoder('out.dbn.zst', metadata, { compression: 'zstd' });
 * for (const r of records) await enc.write(r);
 * await enc.close();
 * ```
 * `metadata` null writes a fragment (records only). `write` resolves at once unless the buffer
 * was flushed to the sink (then it waits for the sink: backpressure).
 */
export class DbnEncoder {
  readonly version: 1 | 2 | 3;
  readonly tsOut: boolean;
  private buf: Uint8Array;
  private dv: DataView;
  private readonly bufSize: number;
  private pos = 0;
  private readonly zstd?: ZstdCompressor;
  private fh?: FileHandle;
  private opening?: Promise<void>;
  private closed = false;
  private failed: unknown;
  /** every hand-off to the sink runs after the previous one: output order = write order */
  private chain: Promise<void> = Promise.resolve();
  private pendingMeta?: Uint8Array;
  /** bytes handed to the sink (compressed size with zstd) */
  bytesWritten = 0;
  /** records encoded */
  records = 0;

  constructor(
    private readonly sink: DbnSink,
    metadata: DbnMetadataInput | null,
    opts: EncoderOptions = {},
  ) {
    this.version = opts.version ?? 3;
    if (![1, 2, 3].includes(this.version)) throw new RangeError(`DbnEncoder: version must be 1, 2 or 3`);
    this.tsOut = metadata !== null ? (metadata.tsOut ?? false) : (opts.tsOut ?? false);
    this.bufSize = Math.max(opts.bufferSize ?? 1 << 20, 4096);
    this.buf = new Uint8Array(this.bufSize);
    this.dv = new DataView(this.buf.buffer);
    if (opts.compression === 'zstd') this.zstd = new ZstdCompressor(opts.zstdLevel ?? 3);
    if (metadata !== null) {
      const meta = encodeMetadata(metadata, this.version);
      if (meta.length <= this.bufSize) {
        this.buf.set(meta, 0);
        this.pos = meta.length;
      } else {
        this.pendingMeta = meta;
      }
    }
  }

  /**
   * Appends one record. It is encoded at once (the object may be reused right after the call).
   * Returns a promise only when a full buffer was handed to the sink: await it for backpressure.
   * Throws DbnEncodeError (synchronously) for a record that cannot be encoded.
   */
  write(rec: AnyDbnRecord): void | Promise<void> {
    if (this.closed) throw new Error('DbnEncoder: write after close');
    if (this.failed !== undefined) throw this.failed;
    let p: Promise<void> | undefined;
    if (this.pendingMeta !== undefined || this.bufSize - this.pos < 1032) p = this.flush();
    this.writeNow(rec);
    return p;
  }

  private writeNow(rec: AnyDbnRecord): void {
    this.pos += encodeRecordInto(rec, this.buf, this.dv, this.pos, this.version, this.tsOut);
    this.records++;
  }

  /** Writes every record of a (async) iterable. */
  async writeAll(records: Iterable<AnyDbnRecord> | AsyncIterable<AnyDbnRecord>): Promise<void> {
    for await (const r of records as AsyncIterable<AnyDbnRecord>) {
      const p = this.write(r);
      if (p !== undefined) await p;
    }
  }

  /**
   * Hands the buffered bytes to the sink. The buffer is detached at once (a fresh one takes its
   * place), so records written before the returned promise settles never touch bytes in flight.
   */
  flush(): Promise<void> {
    return this.handOff(false);
  }

  private handOff(end: boolean): Promise<void> {
    const meta = this.pendingMeta;
    this.pendingMeta = undefined;
    const data = this.pos > 0 ? this.buf.subarray(0, this.pos) : undefined;
    if (data !== undefined && !this.closed) {
      this.buf = new Uint8Array(this.bufSize);
      this.dv = new DataView(this.buf.buffer);
    }
    this.pos = 0;
    const p = this.chain.then(async () => {
      if (this.failed !== undefined) throw this.failed;
      if (meta !== undefined) await this.emit(meta, false);
      if (data !== undefined || end) await this.emit(data ?? new Uint8Array(0), end);
    });
    // keep the chain going (a failure is sticky in this.failed); never an unhandled rejection
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async emit(bytes: Uint8Array, end: boolean): Promise<void> {
    try {
      if (this.zstd !== undefined) {
        for (const c of this.zstd.push(bytes, end ? 'end' : 'continue')) await this.out(c);
      } else if (bytes.length > 0) {
        await this.out(bytes);
      }
    } catch (e) {
      this.failed ??= e;
      throw e;
    }
  }

  private async out(chunk: Uint8Array): Promise<void> {
    this.bytesWritten += chunk.length;
    const sink = this.sink;
    if (typeof sink === 'string') {
      if (this.fh === undefined) {
        this.opening ??= open(sink, 'w').then((fh) => {
          this.fh = fh;
        });
        await this.opening;
      }
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await this.fh!.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
    } else if (typeof sink === 'function') {
      await sink(chunk);
    } else {
      const ok = sink.write(chunk);
      if (!ok) {
        await new Promise<void>((resolve, reject) => {
          const s = sink as NodeJS.WritableStream;
          const onDrain = (): void => {
            s.removeListener('error', onError);
            resolve();
          };
          const onError = (e: unknown): void => {
            s.removeListener('drain', onDrain);
            reject(e);
          };
          s.once('drain', onDrain);
          s.once('error', onError);
        });
      }
    }
  }

  /**
   * Flushes, ends the zstd frame and closes a file sink. A stream sink is ended too unless
   * `endStream` is false. Rejects with the sink's error if any hand-off failed.
   */
  async close(opts: { endStream?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.handOff(this.zstd !== undefined);
      if (typeof this.sink === 'string' && this.fh === undefined && this.bytesWritten === 0) {
        // empty output still creates the file
        this.fh = await open(this.sink, 'w');
      }
    } finally {
      if (this.fh !== undefined) await this.fh.close();
      else if (typeof this.sink !== 'string' && typeof this.sink !== 'function' && opts.endStream !== false) {
        const s = this.sink as NodeJS.WritableStream;
        await new Promise<void>((resolve) => s.end(() => resolve()));
      }
    }
  }

  /** Encodes metadata + records to one byte array (small data, tests). */
  static async toBytes(
    metadata: DbnMetadataInput | null,
    records: Iterable<AnyDbnRecord> | AsyncIterable<AnyDbnRecord>,
    opts: EncoderOptions = {},
  ): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    const enc = new DbnEncoder((c) => void parts.push(c), metadata, opts);
    await enc.writeAll(records);
    await enc.close();
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
