/**
 * Where the `dbn` command writes: standard output, or `-o FILE` (created; an existing file is refused unless
 * `-f/--force`, as Databento's CLI does), optionally zstd-compressed (`-z/--zstd`, or a `.zst` output name).
 * Lines are buffered and written with backpressure; a closed stdout (EPIPE) is runMain's (exit 0).
 */
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { ConfigError } from '@md/app-kit';
import { ZstdCompressor } from './zstd.js';

/** An output that cannot be opened (a missing folder, no permission): exit 1. */
export class OutputFileError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause !== undefined ? { cause } : undefined);
    this.name = 'OutputFileError';
  }
}

const enc = new TextEncoder();

export class Out {
  private buf: string[] = [];
  private len = 0;
  private readonly zstd: ZstdCompressor | undefined;
  constructor(
    private readonly sink: NodeJS.WritableStream,
    opts: { zstd?: boolean; ownsSink?: boolean } = {},
  ) {
    this.zstd = opts.zstd ? new ZstdCompressor() : undefined;
    this.ownsSink = opts.ownsSink ?? false;
  }
  private readonly ownsSink: boolean;

  async line(s: string): Promise<void> {
    this.buf.push(s);
    this.len += s.length + 1;
    if (this.len >= 1 << 16) await this.flush();
  }

  async flush(mode: 'continue' | 'end' = 'continue'): Promise<void> {
    const text = this.buf.length === 0 ? '' : this.buf.join('\n') + '\n';
    this.buf = [];
    this.len = 0;
    if (this.zstd === undefined) {
      if (text !== '') await this.write(text);
      return;
    }
    if (text === '' && mode === 'continue') return;
    for (const part of this.zstd.push(enc.encode(text), mode)) await this.write(part);
  }

  private async write(chunk: string | Uint8Array): Promise<void> {
    const sink = this.sink;
    if (sink.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        sink.off('drain', done);
        sink.off('error', done);
        resolve();
      };
      sink.once('drain', done);
      sink.once('error', done);
    });
  }

  /** Flushes everything (ends the zstd frame) and, for a file, closes it. */
  async end(): Promise<void> {
    await this.flush('end');
    if (!this.ownsSink) return;
    const sink = this.sink as Writable;
    await new Promise<void>((resolve, reject) => {
      sink.once('error', reject);
      sink.end(() => resolve());
    });
  }
}

/**
 * The command's output: stdout when `path` is undefined, else the file, created new (`force`: replaced).
 * Throws a ConfigError (exit 2) for an existing file without `force`, an OutputFileError (exit 1) when the
 * file cannot be opened.
 */
export async function openOutput(path: string | undefined, opts: { force: boolean; zstd: boolean }): Promise<Out> {
  if (path === undefined) return new Out(process.stdout, { zstd: opts.zstd });
  let handle;
  try {
    handle = await open(path, opts.force ? 'w' : 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new ConfigError(`output file ${path} exists; pass -f/--force to overwrite it`, { option: '--output', value: path });
    throw new OutputFileError(`Unable to open output file '${path}': ${(e as Error).message}`, e);
  }
  return new Out(handle.createWriteStream(), { zstd: opts.zstd, ownsSink: true });
}
