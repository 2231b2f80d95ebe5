/**
 * Rows of an EncodedBatch being filled: the body and id bytes go to `out` (the encoder writes them), the row's
 * offsets and 64-bit keys to the columns. `take()` hands the batch on and starts new arrays (a batch is never
 * written again once handed on).
 */
import type { EncodedBatch } from '@md/event-types';
import { Bytes } from './out.js';

export class BatchBuilder {
  n = 0;
  out: Bytes;
  private subject!: Uint8Array;
  private bodyStart!: Int32Array;
  private bodyEnd!: Int32Array;
  private idStart!: Int32Array;
  private idEnd!: Int32Array;
  private tsHi!: Uint32Array;
  private tsLo!: Uint32Array;
  private recvHi!: Uint32Array | null;
  private recvLo!: Uint32Array | null;

  constructor(
    readonly capacity: number,
    /** keys from ts_recv_ns (else the keys are the ts_event_ns columns) */
    private readonly byRecv: boolean,
    private readonly subjects: readonly string[],
    private readonly source: string,
    /** bytes a row takes, about (the first buffer's size: capacity rows of it) */
    private readonly rowBytes = 480,
  ) {
    this.out = new Bytes(capacity * rowBytes);
    this.fresh();
  }

  private fresh(): void {
    const c = this.capacity;
    this.n = 0;
    this.subject = new Uint8Array(c);
    this.bodyStart = new Int32Array(c);
    this.bodyEnd = new Int32Array(c);
    this.idStart = new Int32Array(c);
    this.idEnd = new Int32Array(c);
    this.tsHi = new Uint32Array(c);
    this.tsLo = new Uint32Array(c);
    this.recvHi = this.byRecv ? new Uint32Array(c) : null;
    this.recvLo = this.byRecv ? new Uint32Array(c) : null;
  }

  get full(): boolean {
    return this.n >= this.capacity;
  }

  /** one row: its bytes are already in out [bodyStart, bodyEnd) and [idStart, idEnd) */
  row(
    subject: number,
    bodyStart: number,
    bodyEnd: number,
    idStart: number,
    idEnd: number,
    tsHi: number,
    tsLo: number,
    recvHi: number,
    recvLo: number,
  ): void {
    const i = this.n++;
    this.subject[i] = subject;
    this.bodyStart[i] = bodyStart;
    this.bodyEnd[i] = bodyEnd;
    this.idStart[i] = idStart;
    this.idEnd[i] = idEnd;
    this.tsHi[i] = tsHi;
    this.tsLo[i] = tsLo;
    if (this.recvHi !== null && this.recvLo !== null) {
      this.recvHi[i] = recvHi;
      this.recvLo[i] = recvLo;
    }
  }

  /** the rows so far as a batch (null when none), and a new one started */
  take(): EncodedBatch | null {
    const n = this.n;
    if (n === 0) return null;
    const sub = <T extends Uint8Array | Int32Array | Uint32Array>(a: T): T => (n === this.capacity ? a : (a.subarray(0, n) as T));
    const tsHi = sub(this.tsHi);
    const tsLo = sub(this.tsLo);
    const batch: EncodedBatch = {
      length: n,
      bytes: this.out.buf.subarray(0, this.out.pos),
      subjects: this.subjects,
      subject: sub(this.subject),
      bodyStart: sub(this.bodyStart),
      bodyEnd: sub(this.bodyEnd),
      idStart: sub(this.idStart),
      idEnd: sub(this.idEnd),
      keyHi: this.recvHi !== null ? sub(this.recvHi) : tsHi,
      keyLo: this.recvLo !== null ? sub(this.recvLo) : tsLo,
      tsHi,
      tsLo,
      source: this.source,
    };
    // the next batch's bytes: this one's bytes a row, for a full batch, and some room
    this.out = new Bytes(Math.ceil(this.out.pos / n) * this.capacity + 2048);
    this.fresh();
    return batch;
  }
}
