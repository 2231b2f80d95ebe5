/**
 * readBronze (the object path, then @md/event-types `encode`) against readBronzeEncoded on the same options:
 * everything a consumer can see, row by row.
 */
import { encode, halvesToBigInt, type EncodedBatch, type Publishable } from '@md/event-types';
import { expect } from 'vitest';
import { BronzeError, readBronze, readBronzeEncoded, type BronzeReadOptions, type BronzeStats, type InvalidRow } from '../src/index.ts';

export interface Side {
  rows: { subject: string; body: string; bytes: Uint8Array; id: string; ts: bigint; key: bigint }[];
  invalid: InvalidRow[];
  warnings: string[];
  error: unknown;
  stats: BronzeStats;
}

const td = new TextDecoder();

export async function objectSide(o: BronzeReadOptions, order: 'ts_event' | 'ts_recv' = 'ts_event'): Promise<Side> {
  const invalid: InvalidRow[] = [];
  const warnings: string[] = [];
  const s = readBronze({ ...o, onInvalid: (r) => invalid.push(r), onWarn: (m) => warnings.push(m) });
  const rows: Side['rows'] = [];
  let error: unknown = null;
  try {
    for await (const b of s) {
      for (const p of b as Publishable[]) {
        const bytes = encode(p.event, p.subject).slice();
        const key = order === 'ts_recv' ? p.event.ts_recv_ns : p.event.ts_event_ns;
        rows.push({ subject: p.subject, body: td.decode(bytes), bytes, id: p.msgId, ts: p.event.ts_event_ns, key });
      }
    }
  } catch (e) {
    error = e;
  }
  return { rows, invalid, warnings, error, stats: { ...s.stats } };
}

export async function encodedSide(
  o: BronzeReadOptions,
  order: 'ts_event' | 'ts_recv' = 'ts_event',
): Promise<Side & { batches: EncodedBatch[] }> {
  const invalid: InvalidRow[] = [];
  const warnings: string[] = [];
  const { source: _source, ...rest } = o;
  const s = readBronzeEncoded({ ...rest, order, onInvalid: (r) => invalid.push(r), onWarn: (m) => warnings.push(m) });
  const rows: Side['rows'] = [];
  const batches: EncodedBatch[] = [];
  let error: unknown = null;
  try {
    for await (const b of s) {
      batches.push(b);
      expect(b.length).toBeGreaterThan(0);
      expect(b.length).toBeLessThanOrEqual(o.batchSize ?? 4096);
      expect(b.source).toBe('replay');
      for (let i = 0; i < b.length; i++) {
        const bytes = b.bytes.slice(b.bodyStart[i], b.bodyEnd[i]);
        rows.push({
          subject: b.subjects[b.subject[i] as number] as string,
          body: td.decode(bytes),
          bytes,
          id: td.decode(b.bytes.subarray(b.idStart[i], b.idEnd[i])),
          ts: halvesToBigInt(b.tsHi[i] as number, b.tsLo[i] as number),
          key: halvesToBigInt(b.keyHi[i] as number, b.keyLo[i] as number),
        });
      }
    }
  } catch (e) {
    error = e;
  }
  return { rows, invalid, warnings, error, stats: { ...s.stats }, batches };
}

/** both paths on `o`; expects them equal; returns the object side (for the caller's own expectations) */
export async function expectSame(o: BronzeReadOptions, order: 'ts_event' | 'ts_recv' = 'ts_event'): Promise<Side> {
  const a = await objectSide(o, order);
  const b = await encodedSide(o, order);
  expect(b.rows.length).toBe(a.rows.length);
  for (let i = 0; i < a.rows.length; i++) {
    const x = a.rows[i] as Side['rows'][number];
    const y = b.rows[i] as Side['rows'][number];
    if (x.body !== y.body || x.id !== y.id || x.subject !== y.subject || x.ts !== y.ts || x.key !== y.key) {
      expect({ row: i, ...y, bytes: undefined }).toEqual({ row: i, ...x, bytes: undefined });
    }
    if (Buffer.compare(Buffer.from(x.bytes), Buffer.from(y.bytes)) !== 0) expect([i, y.bytes]).toEqual([i, x.bytes]);
  }
  expect(b.invalid).toEqual(a.invalid);
  expect(b.warnings).toEqual(a.warnings);
  expect(b.stats).toEqual(a.stats);
  if (a.error === null) expect(b.error).toBe(null);
  else {
    expect(b.error).toBeInstanceOf(BronzeError);
    const ea = a.error as BronzeError;
    const eb = b.error as BronzeError;
    expect([eb.code, eb.file, eb.column, eb.rowGroup, eb.message]).toEqual([ea.code, ea.file, ea.column, ea.rowGroup, ea.message]);
  }
  return a;
}
