/**
 * fastEncodedBatches' default read size (FAST_CHUNK_SIZE): a plain file comes out as many small batches, each
 * holding at most one chunk's records, so the replay's working set does not depend on the file's size; every
 * record still comes out once, in file order.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halvesToBigInt } from '@md/event-types';
import { FAST_CHUNK_SIZE } from '../src/fast/batches.js';
import { fastEncodedBatches } from '../src/index.js';
import { generateSampleSession } from '../src/sample.js';
import { tempDir } from './events-helpers.js';

/** DBN v3 record sizes of the kinds (TradeMsg, Mbp10Msg) */
const RECORD = { trades: 48, mbp10: 368 } as const;

describe('fastEncodedBatches: the default chunk size', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let plain: Awaited<ReturnType<typeof generateSampleSession>>;
  beforeAll(async () => {
    dir = await tempDir('fast-batches-chunk-');
    plain = await generateSampleSession({
      root: join(dir.dir, 'p'),
      seed: 5,
      trades: 20_000,
      mbp10: 3_000,
      options: 0,
      compression: 'none',
    });
  });
  afterAll(() => dir.cleanup());

  it('is small (a few hundred trades per batch)', () => {
    expect(FAST_CHUNK_SIZE).toBeGreaterThanOrEqual(4096);
    expect(FAST_CHUNK_SIZE).toBeLessThanOrEqual(64 * 1024);
  });

  for (const kind of ['trades', 'mbp10'] as const) {
    it(`${kind}: every row once, in file order, in batches of at most one chunk's records`, async () => {
      let rows = 0;
      let batches = 0;
      let most = 0;
      let bytes = 0;
      const ids = new Set<string>();
      let prevRecord = -1;
      for await (const b of fastEncodedBatches(plain[kind] as string, { kind, order: 'ts_recv' })) {
        batches++;
        rows += b.length;
        most = Math.max(most, b.length);
        bytes = Math.max(bytes, b.bytes.byteLength);
        const buf = Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
        for (let i = 0; i < b.length; i++) {
          const id = buf.toString('latin1', b.idStart[i], b.idEnd[i]);
          ids.add(id);
          // the id ends with the record's index in the file: strictly increasing across batches
          const index = Number(/(\d+)$/.exec(id)?.[1]);
          expect(index).toBeGreaterThan(prevRecord);
          prevRecord = index;
          expect(halvesToBigInt(b.tsHi[i] as number, b.tsLo[i] as number)).toBeGreaterThan(0n);
        }
      }
      expect(rows).toBe(plain.counts[kind]);
      expect(ids.size).toBe(rows);
      // a chunk holds at most FAST_CHUNK_SIZE / record size records (+1: one straddling the previous edge)
      expect(most).toBeLessThanOrEqual(Math.ceil(FAST_CHUNK_SIZE / RECORD[kind]) + 1);
      expect(batches).toBeGreaterThanOrEqual(Math.floor((rows * RECORD[kind]) / FAST_CHUNK_SIZE));
      expect(bytes).toBeLessThan(512 * 1024);
    });
  }
});
