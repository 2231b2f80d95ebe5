/**
 * zstd through zstd-napi's native binding (its streaming DCtx/CCtx): one reusable output
 * buffer, every frame of a multi-frame input, skippable frames passed over by libzstd.
 */
import { createRequire } from 'node:module';
import type * as ZstdBinding from 'zstd-napi/binding';
import { ZSTD_MAGIC, ZSTD_SKIPPABLE_MAGIC, ZSTD_SKIPPABLE_MASK } from './constants.js';
import { DbnZstdError } from './errors.js';
import { byteAt } from './indexing.js';

type Binding = typeof ZstdBinding;
let cached: Binding | undefined;

function binding(): Binding {
  if (cached === undefined) {
    const req = createRequire(import.meta.url);
    cached = req('zstd-napi/binding.js') as Binding;
  }
  return cached;
}

/** the first 4 bytes as a little-endian u32 (the caller checked there are 4) */
function magicOf(b: Uint8Array): number {
  return (byteAt(b, 0) | (byteAt(b, 1) << 8) | (byteAt(b, 2) << 16) | (byteAt(b, 3) << 24)) >>> 0;
}

/** true if `b` (at least 4 bytes) starts a zstd frame or a zstd skippable frame */
export function isZstdMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const m = magicOf(b);
  return m === ZSTD_MAGIC || (m & ZSTD_SKIPPABLE_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC;
}

/** true if `b` starts with a zstd skippable frame (legacy DBZ kept its metadata in one) */
export function isZstdSkippable(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  return (magicOf(b) & ZSTD_SKIPPABLE_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC;
}

export interface ZstdPosition {
  /** compressed bytes consumed so far */
  compressed: number;
}

/**
 * Decompresses a stream of zstd chunks (any number of frames) into chunks of plain bytes.
 * The yielded chunk is a view of ONE reused buffer: it is valid until the next pull.
 * Throws DbnZstdError on corrupt data or when the input ends inside a frame.
 */
export async function* zstdDecompressChunks(
  src: AsyncIterable<Uint8Array>,
  pos: ZstdPosition,
  file: string | undefined,
  plainOffset: () => number,
  outSize = 1 << 18,
): AsyncGenerator<Uint8Array, void, undefined> {
  const b = binding();
  const dctx = new b.DCtx();
  const out = new Uint8Array(Math.max(outSize, b.dStreamOutSize()));
  let inFrame = false;
  for await (const chunk of src) {
    let input = chunk;
    for (;;) {
      let ret: number;
      let produced: number;
      let consumed: number;
      try {
        [ret, produced, consumed] = dctx.decompressStream(out, input);
      } catch (e) {
        throw new DbnZstdError(`corrupt zstd data: ${(e as Error).message}`, {
          file,
          offset: plainOffset(),
          compressedOffset: pos.compressed,
          cause: e,
        });
      }
      pos.compressed += consumed;
      input = input.subarray(consumed);
      inFrame = ret !== 0;
      if (produced > 0) yield out.subarray(0, produced);
      if (input.length === 0 && produced < out.length) break;
      if (consumed === 0 && produced === 0) {
        throw new DbnZstdError('zstd decompressor made no progress', {
          file,
          offset: plainOffset(),
          compressedOffset: pos.compressed,
        });
      }
    }
  }
  if (inFrame) {
    throw new DbnZstdError('input ends inside a zstd frame (truncated compressed data)', {
      file,
      offset: plainOffset(),
      compressedOffset: pos.compressed,
    });
  }
}

/** Streaming zstd compressor: feed bytes, collect compressed chunks (fresh buffers). */
export class ZstdCompressor {
  private readonly cctx: InstanceType<Binding['CCtx']>;
  private readonly b: Binding;
  private out: Uint8Array;

  constructor(level = 3) {
    this.b = binding();
    this.cctx = new this.b.CCtx();
    this.cctx.setParameter(this.b.CParameter.compressionLevel, level);
    this.out = new Uint8Array(this.b.cStreamOutSize());
  }

  /** Compresses `data`; `end` finishes the frame. Returns the compressed bytes produced. */
  push(data: Uint8Array, mode: 'continue' | 'flush' | 'end' = 'continue'): Uint8Array[] {
    const res: Uint8Array[] = [];
    const op = this.b.EndDirective[mode];
    let input = data;
    for (;;) {
      const [remaining, produced, consumed] = this.cctx.compressStream2(this.out, input, op);
      input = input.subarray(consumed);
      if (produced > 0) {
        res.push(this.out.subarray(0, produced));
        this.out = new Uint8Array(this.out.length);
      }
      if (input.length === 0 && (mode === 'continue' || remaining === 0)) break;
    }
    return res;
  }
}

/** One-shot helpers (tests, small data). */
export function zstdCompress(data: Uint8Array, level = 3): Uint8Array {
  const parts = new ZstdCompressor(level).push(data, 'end');
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const r = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    r.set(p, o);
    o += p.length;
  }
  return r;
}
