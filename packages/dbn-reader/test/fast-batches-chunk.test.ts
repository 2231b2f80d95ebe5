/**
 * fastEncodedBatches' batch size (FAST_BATCH_BYTES of records, whatever the read size): a plain file comes out as
 * many small batches, so the replay's working set does not depend on the file's size; every record still comes
 * out once, in file order, for reads larger than the file, of the default 1 MiB, and smaller than one batch.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halvesToBigInt } from '@md/event-types';
import { FAST_BATCH_BYTES } from '../src/fast/batches.js';
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
    expect(FAST_BATCH_BYTES).toBeGreaterThanOrEqual(4096);
    expect(FAST_BATCH_BYTES).toBeLessThanOrEqual(64 * 1024);
    expect(FAST_BATCH_BYTES).toBeLessThan(1 << 20); // the default read size: a read makes many batches
  });

  for (const [kind, chunkSize] of [
    ['trades', undefined],
    ['mbp10', undefined],
    ['trades', 4 << 20],
    ['mbp10', 1000],
  ] as const) {
    it(`${kind}, reads of ${chunkSize ?? 'the default'} bytes: every row once, in file order, in batches of at most FAST_BATCH_BYTES of records`, async () => {
      let rows = 0;
      let batches = 0;
      let most = 0;
      let bytes = 0;
      const ids = new Set<string>();
      let prevRecord = -1;
      for await (const b of fastEncodedBatches(plain[kind] as string, { kind, order: 'ts_recv', chunkSize })) {
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
      // a batch: records up to FAST_BATCH_BYTES and the one crossing it (+1: one completed from the previous read)
      expect(most).toBeLessThanOrEqual(Math.ceil(FAST_BATCH_BYTES / RECORD[kind]) + 1);
      expect(batches).toBeGreaterThanOrEqual(Math.floor((rows * RECORD[kind]) / FAST_BATCH_BYTES));
      expect(bytes).toBeLessThan(512 * 1024);
    });
  }
});
