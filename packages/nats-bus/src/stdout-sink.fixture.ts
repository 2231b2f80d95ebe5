/**
 * Rows for StdoutSink's tests (stdout-sink.test.ts) and the child process one of them runs (`run`: the rows to
 * process.stdout, which the test redirects to a file).
 */
import type { EncodedBatch } from '@md/event-types';
import { StdoutSink } from './stdout-sink.js';

export const SUBJECTS = ['market.futures.trades', 'market.futures.mbp10'];

/** `n` rows (bodies of varied length naming their row; ids after them), subjects alternating in runs */
export function batch(n: number, seed: number): EncodedBatch {
  const parts: string[] = [];
  const subject = new Uint8Array(n);
  const bodyStart = new Int32Array(n);
  const bodyEnd = new Int32Array(n);
  const idEnd = new Int32Array(n);
  let off = 0;
  for (let i = 0; i < n; i++) {
    subject[i] = (i >> 3) & 1;
    const body = `{"row":${seed}.${i},"pad":"${'x'.repeat((i * 37 + seed) % 900)}"}`;
    const id = `id-${seed}-${i}`;
    bodyStart[i] = off;
    off += body.length;
    bodyEnd[i] = off;
    off += id.length;
    idEnd[i] = off;
    parts.push(body, id);
  }
  const zeros = new Uint32Array(n);
  const b = {
    length: n,
    bytes: Buffer.from(parts.join(''), 'latin1'),
    subjects: SUBJECTS,
    subject,
    bodyStart,
    bodyEnd,
    idStart: bodyEnd,
    idEnd,
  };
  return { ...b, keyHi: zeros, keyLo: zeros, tsHi: zeros, tsLo: zeros, source: 'replay' };
}

/** what the sink must write for `bs`: `${subject}\t${body}\n` per row */
export function expected(bs: EncodedBatch[]): Buffer {
  const lines: string[] = [];
  for (const b of bs) {
    const t = Buffer.from(b.bytes).toString('latin1');
    for (let i = 0; i < b.length; i++) lines.push(`${SUBJECTS[b.subject[i] as number]}\t${t.slice(b.bodyStart[i], b.bodyEnd[i])}\n`);
  }
  return Buffer.from(lines.join(''), 'latin1');
}

/** the fast lane's way: tryPublishRow, publishRow (awaited) when it says no */
export async function writeAll(sink: StdoutSink, bs: EncodedBatch[]): Promise<number> {
  let waited = 0;
  for (const b of bs)
    for (let r = 0; r < b.length; r++) {
      if (sink.tryPublishRow(b, r)) continue;
      waited++;
      await sink.publishRow(b, r);
    }
  await sink.close();
  return waited;
}

export const BATCHES = [batch(4000, 1), batch(3000, 2), batch(5000, 3)]; // ~7 MB: > 100 chunks of 64 KiB

/** the child's side: BATCHES to process.stdout through a StdoutSink (the stream's kind to stderr) */
export async function run(): Promise<void> {
  process.stderr.write(`stdout: ${process.stdout.constructor.name}\n`);
  await writeAll(new StdoutSink(), BATCHES);
}
