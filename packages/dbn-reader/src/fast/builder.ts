/**
 * Builds one EncodedBatch (@md/event-types) at a time: the encoder writes bodies and ids into the batch's own
 * OutBuffer, `push` records a row's offsets, key and ts_event halves in columns that double as they fill.
 * `finish` hands the batch out (views of exactly `length` rows) and starts a new one with new arrays: a batch
 * handed out is never written again (a sink may keep views of its bytes until they are confirmed).
 *
 * Each new batch is sized from the last one (rows and bytes), so a steady file allocates each array once per
 * batch and never grows it.
 */
import type { EncodedBatch } from '@md/event-types';
import { FAST_SUBJECTS, OutBuffer, type FastEncoded } from './encode.js';

const MIN_ROWS = 256;

export class BatchBuilder {
  out: OutBuffer;
  length = 0;
  private cap: number;
  private subject!: Uint8Array;
  private bodyStart!: Int32Array;
  /** a row's body ends where its id starts: bodyEnd and idStart are one array */
  private bodyEnd!: Int32Array;
  private idEnd!: Int32Array;
  private tsHi!: Uint32Array;
  private tsLo!: Uint32Array;
  private keyHi!: Uint32Array;
  private keyLo!: Uint32Array;

  /** `byRecv`: the key is ts_recv (else ts_event, and the key columns are the ts columns) */
  constructor(
    readonly byRecv: boolean,
    readonly source: string,
  ) {
    this.cap = MIN_ROWS;
    this.out = new OutBuffer(MIN_ROWS * 160);
    this.alloc(MIN_ROWS);
  }

  private alloc(cap: number): void {
    this.cap = cap;
    this.subject = new Uint8Array(cap);
    this.bodyStart = new Int32Array(cap);
    this.bodyEnd = new Int32Array(cap);
    this.idEnd = new Int32Array(cap);
    this.tsHi = new Uint32Array(cap);
    this.tsLo = new Uint32Array(cap);
    if (this.byRecv) {
      this.keyHi = new Uint32Array(cap);
      this.keyLo = new Uint32Array(cap);
    } else {
      this.keyHi = this.tsHi;
      this.keyLo = this.tsLo;
    }
  }

  private grow(): void {
    const n = this.length;
    const copy = <T extends Uint8Array | Int32Array | Uint32Array>(a: T, b: T): T => {
      b.set(a.subarray(0, n));
      return b;
    };
    const cap = this.cap * 2;
    this.subject = copy(this.subject, new Uint8Array(cap));
    this.bodyStart = copy(this.bodyStart, new Int32Array(cap));
    this.bodyEnd = copy(this.bodyEnd, new Int32Array(cap));
    this.idEnd = copy(this.idEnd, new Int32Array(cap));
    this.tsHi = copy(this.tsHi, new Uint32Array(cap));
    this.tsLo = copy(this.tsLo, new Uint32Array(cap));
    if (this.byRecv) {
      this.keyHi = copy(this.keyHi, new Uint32Array(cap));
      this.keyLo = copy(this.keyLo, new Uint32Array(cap));
    } else {
      this.keyHi = this.tsHi;
      this.keyLo = this.tsLo;
    }
    this.cap = cap;
  }

  /** one row: the encoder's offsets (into `this.out`), ts_event and ts_recv as halves */
  push(r: FastEncoded, evHi: number, evLo: number, rvHi: number, rvLo: number): void {
    if (this.length === this.cap) this.grow();
    const i = this.length++;
    this.subject[i] = r.subject;
    this.bodyStart[i] = r.bodyStart;
    this.bodyEnd[i] = r.bodyEnd;
    this.idEnd[i] = r.idEnd;
    this.tsHi[i] = evHi;
    this.tsLo[i] = evLo;
    if (this.byRecv) {
      this.keyHi[i] = rvHi;
      this.keyLo[i] = rvLo;
    }
  }

  /** the batch so far (null when empty); the next rows go into new arrays */
  finish(): EncodedBatch | null {
    const n = this.length;
    if (n === 0) return null;
    const bodyEnd = this.bodyEnd.subarray(0, n);
    const tsHi = this.tsHi.subarray(0, n);
    const tsLo = this.tsLo.subarray(0, n);
    const batch: EncodedBatch = {
      length: n,
      bytes: this.out.bytes.subarray(0, this.out.pos),
      subjects: FAST_SUBJECTS,
      subject: this.subject.subarray(0, n),
      bodyStart: this.bodyStart.subarray(0, n),
      bodyEnd,
      idStart: bodyEnd,
      idEnd: this.idEnd.subarray(0, n),
      keyHi: this.byRecv ? this.keyHi.subarray(0, n) : tsHi,
      keyLo: this.byRecv ? this.keyLo.subarray(0, n) : tsLo,
      tsHi,
      tsLo,
      source: this.source,
    };
    // the next batch: sized for one like this one (a little more), new arrays
    const bytes = this.out.pos;
    this.out = new OutBuffer(bytes + (bytes >> 3) + 4096);
    this.length = 0;
    this.alloc(Math.max(MIN_ROWS, n + (n >> 3)));
    return batch;
  }
}
