/**
 * StdoutSink: one line per event, `${subject}\t${exact JSON body}\n` (the codec's bytes, untouched), for
 * running without NATS. Lines are coalesced into chunks of up to 64 KiB; when the stream asks to wait
 * (write() returned false), publish() waits for 'drain'. A chunk is handed to the stream as a view of the
 * coalescing buffer, which is reused only when the stream is known to be done with it (see writesThrough).
 */
import { Socket } from 'node:net';
import { lookup, type EncodedBatch, type Publishable, type RegistryEntry } from '@md/event-types';
import type { EventSink, SinkStats } from './publisher.js';
import { RowReader } from './publisher-rows.js';

const TAB = 0x09;
const NL = 0x0a;
const CHUNK = 64 * 1024;
const te = new TextEncoder();

export class StdoutSink implements EventSink {
  private buf: Uint8Array = new Uint8Array(CHUNK);
  private len = 0;
  private needDrain = false;
  private drainWaiters: (() => void)[] = [];
  private closed = false;
  private error: Error | null = null;
  private scheduled = false;
  private readonly subjectBytes = new Map<string, Uint8Array>();
  private readonly registry = new Map<string, RegistryEntry>();
  private readonly counters = { published: 0, acked: 0, duplicates: 0, retried: 0, failed: 0 };
  private unwritten = 0;
  private readonly rowReader = new RowReader();

  /**
   * whether the stream has copied a chunk out (to the kernel) when write() returns and nothing is pending: stdout
   * to a file (fs.writeSync) or a socket / pipe / TTY whose write completed at once
   */
  private readonly writesThrough: boolean;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {
    this.writesThrough = out instanceof Socket || out.constructor?.name === 'SyncWriteStream';
    out.on('drain', () => this.onDrain());
    out.on('error', (e: Error) => {
      this.error = e;
      this.onDrain();
    });
  }

  get stats(): SinkStats {
    return { ...this.counters, pending: this.unwritten };
  }

  publish(p: Publishable): Promise<void> {
    let body: Uint8Array;
    try {
      let reg = this.registry.get(p.subject);
      if (!reg) {
        reg = lookup(p.subject);
        this.registry.set(p.subject, reg);
      }
      body = reg.encode(p.event as never);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.writeLine(p.subject, body);
  }

  /** Write an already-encoded body as one line. */
  writeLine(subject: string, body: Uint8Array): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.closed) return Promise.reject(new Error('StdoutSink is closed'));
    let sb = this.subjectBytes.get(subject);
    if (!sb) {
      sb = te.encode(subject);
      this.subjectBytes.set(subject, sb);
    }
    const need = sb.length + 1 + body.length + 1;
    if (this.len + need > this.buf.length) {
      this.writeOut();
      if (need > this.buf.length) this.buf = new Uint8Array(need);
    }
    const b = this.buf;
    b.set(sb, this.len);
    this.len += sb.length;
    b[this.len++] = TAB;
    b.set(body, this.len);
    this.len += body.length;
    b[this.len++] = NL;
    this.counters.published++;
    this.unwritten++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.writeOut();
      });
    }
    if (this.needDrain) return new Promise<void>((r) => this.drainWaiters.push(r));
    return Promise.resolve();
  }

  /** EventSink.tryPublishRow: the row's line written now (straight from `b.bytes`), or false while the stream asks to wait */
  tryPublishRow(b: EncodedBatch, row: number): boolean {
    if (this.error || this.closed || this.needDrain) return false;
    this.writeRow(b, row);
    return true;
  }

  /** EventSink.publishRow: the row's line written; resolves when the stream has room again */
  publishRow(b: EncodedBatch, row: number): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.closed) return Promise.reject(new Error('StdoutSink is closed'));
    this.writeRow(b, row);
    if (this.needDrain) return new Promise<void>((r) => this.drainWaiters.push(r));
    return Promise.resolve();
  }

  private writeRow(b: EncodedBatch, row: number): void {
    const sb = this.rowReader.subjectBytesOf(b, row);
    const need = sb.length + 2 + ((b.bodyEnd[row] as number) - (b.bodyStart[row] as number));
    if (this.len + need > this.buf.length) {
      this.writeOut();
      if (need > this.buf.length) this.buf = new Uint8Array(need);
    }
    const buf = this.buf;
    buf.set(sb, this.len);
    this.len += sb.length;
    buf[this.len++] = TAB;
    this.len += this.rowReader.copyBody(b, row, buf, this.len);
    buf[this.len++] = NL;
    this.counters.published++;
    this.unwritten++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.writeOutCb);
    }
  }

  private readonly writeOutCb = () => {
    this.scheduled = false;
    this.writeOut();
  };

  private writeOut(): void {
    if (this.len === 0) return;
    const chunk = this.buf.subarray(0, this.len);
    this.len = 0;
    const n = this.unwritten;
    this.unwritten = 0;
    this.counters.acked += n;
    const ok = this.out.write(chunk);
    if (!ok) this.needDrain = true;
    // the stream may keep the chunk (queued, or a Writable that holds on to it): the next lines go to a new buffer,
    // unless the stream is one that is done with the bytes once write() returns with nothing pending
    if (!(this.writesThrough && (this.out as { writableLength?: number }).writableLength === 0)) this.buf = new Uint8Array(CHUNK);
  }

  private onDrain(): void {
    this.needDrain = false;
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }

  /** Everything accepted has been handed to the stream and the stream has drained. */
  async flush(): Promise<void> {
    this.writeOut();
    if (this.needDrain && !this.error) await new Promise<void>((r) => this.drainWaiters.push(r));
    if (this.error) throw this.error;
  }

  /** flush(); the stream itself is not ended (stdout stays usable for the final statistics). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }
}
