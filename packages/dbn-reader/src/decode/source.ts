/**
 * Input sources of the decoder: a file path, bytes in memory, a Node readable stream or any (async)
 * iterable of byte chunks, turned into one stream of plain DBN bytes (zstd input, recognised by its
 * magic, is decompressed here). The parser (parser.ts) never sees where the bytes come from.
 *
 * Memory is bounded: files are read in chunks (1 MiB by default) into two reused buffers and zstd
 * output goes through one reused 256 KiB buffer, so a chunk is valid only until the next pull.
 */
import { open } from 'node:fs/promises';
import { DbnError, DbnIoError } from '../errors.js';
import { isZstdMagic, isZstdSkippable, zstdDecompressChunks, type ZstdPosition } from '../zstd.js';

export type DbnInput = string | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | NodeJS.ReadableStream;

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return x != null && typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
function isIterable(x: unknown): x is Iterable<unknown> {
  return x != null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** Reads a file in chunks into two reused buffers (each chunk is valid until the next pull). */
async function* fileChunks(path: string, chunkSize: number): AsyncGenerator<Uint8Array, void, undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new DbnIoError(`cannot open: ${(e as Error).message}`, { file: path, offset: 0, cause: e });
  }
  // two buffers: the next chunk is read while the consumer decodes the current one (a chunk is
  // valid until the next pull, so the buffer it lives in is only reused after that pull)
  const bufs: [Uint8Array, Uint8Array] = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
  let pos = 0;
  let which: 0 | 1 = 0;
  const readInto = (buf: Uint8Array) =>
    fh.read(buf, 0, chunkSize, null).then(
      (r) => r.bytesRead,
      (e: unknown) => e as Error,
    );
  // the read in flight; undefined only between taking its result and starting the next one
  let pending: Promise<number | Error> | undefined = readInto(bufs[0]);
  try {
    for (;;) {
      const n: number | Error = await pending;
      pending = undefined;
      if (n instanceof Error) throw new DbnIoError(`read failed: ${n.message}`, { file: path, offset: pos, cause: n });
      if (n === 0) return;
      const cur = bufs[which];
      which = which === 0 ? 1 : 0;
      pos += n;
      pending = readInto(bufs[which]);
      yield cur.subarray(0, n);
    }
  } finally {
    if (pending !== undefined) await pending;
    await fh.close().catch(() => undefined);
  }
}

/** The chunks of a Node stream or an (async) iterable, checked to be bytes; empty chunks are dropped. */
async function* iterChunks(
  src: AsyncIterable<unknown> | Iterable<unknown>,
  file: string | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
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

async function* bytesChunks(input: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  if (input.length > 0) yield input;
}

function sourceOf(input: DbnInput, file: string | undefined, chunkSize: number): AsyncIterable<Uint8Array> {
  if (typeof input === 'string') return fileChunks(input, chunkSize);
  if (input instanceof Uint8Array) return bytesChunks(input);
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
  const first = parts[0];
  if (parts.length === 1 && first !== undefined) head = first;
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

/** The plain (decompressed) DBN bytes of an input. */
export interface PlainBytes {
  /** chunks of plain bytes; each is valid until the next pull */
  chunks: AsyncIterable<Uint8Array>;
  /** for zstd input: the compressed bytes consumed so far (for error offsets); undefined for plain input */
  compressed: ZstdPosition | undefined;
  /** the zstd input starts with a skippable frame (legacy DBZ kept its metadata in one) */
  skippableStart: boolean;
}

/**
 * Opens `input` (a file is opened here, on the first call) and returns its plain bytes: zstd input
 * (a zstd or skippable frame magic in the first 4 bytes) is decompressed, anything else passes through.
 * `plainOffset` gives the current decompressed offset for zstd error messages.
 */
export async function openPlainBytes(
  input: DbnInput,
  file: string | undefined,
  chunkSize: number,
  plainOffset: () => number,
): Promise<PlainBytes> {
  const { head, rest } = await sniff(sourceOf(input, file, chunkSize));
  if (!isZstdMagic(head)) return { chunks: rest, compressed: undefined, skippableStart: false };
  const compressed: ZstdPosition = { compressed: 0 };
  return { chunks: zstdDecompressChunks(rest, compressed, file, plainOffset), compressed, skippableStart: isZstdSkippable(head) };
}
