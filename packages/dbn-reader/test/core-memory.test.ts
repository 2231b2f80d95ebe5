/**
 * Memory stays flat whatever the file size: 2,000,000 trades written to os.tmpdir() (plain,
 * 96 MB, and zstd), decoded record by record while heapUsed / RSS are sampled. The bound is
 * generous (100 MB of growth) because the machine is shared and GC timing varies; a decoder that
 * held the file or its records would grow by hundreds of MB here.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbnEncoder, decodeDbn, type TradeMsg } from '../src/index.js';

const N = 2_000_000;
const dir = mkdtempSync(join(tmpdir(), 'dbn-core-mem-'));
const plainPath = join(dir, 'big.trades.dbn');
const zstdPath = join(dir, 'big.trades.dbn.zst');

beforeAll(async () => {
  const meta = { dataset: 'GLBX.MDP3', schema: 'trades', start: 1609160400000000000n, symbols: ['ESH1'] };
  const plain = new DbnEncoder(plainPath, meta);
  const zstd = new DbnEncoder(zstdPath, meta, { compression: 'zstd', zstdLevel: 1 });
  const rec: TradeMsg = {
    hd: { length: 12, rtype: 0, publisher_id: 1, instrument_id: 5482, ts_event: 0n },
    price: 3720250000000n,
    size: 1,
    action: 'T',
    side: 'A',
    flags: 129,
    depth: 0,
    ts_recv: 0n,
    ts_in_delta: 20000,
    sequence: 0,
    rtype: 0,
  };
  let ts = 1609160400000000000n;
  for (let i = 0; i < N; i++) {
    ts += 1000n;
    rec.hd.ts_event = ts;
    rec.ts_recv = ts + 500n;
    rec.sequence = i;
    rec.size = (i % 50) + 1;
    const a = plain.write(rec);
    if (a) await a;
    const b = zstd.write(rec);
    if (b) await b;
  }
  await plain.close();
  await zstd.close();
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('memory stays bounded on a large file', () => {
  it.each([
    ['plain', plainPath],
    ['zstd', zstdPath],
  ])(
    '%s: 2,000,000 records, per-record iteration',
    async (_k, path) => {
      expect(statSync(plainPath).size).toBeGreaterThan(N * 48); // 96 MB: far more than the allowed growth
      const base = process.memoryUsage();
      let maxHeap = base.heapUsed;
      let maxRss = base.rss;
      let n = 0;
      let sizeSum = 0;
      let lastSeq = -1;
      const s = decodeDbn(path);
      for await (const r of s) {
        if (r.rtype !== 0) throw new Error('not a trade');
        sizeSum += r.size;
        if (r.sequence !== lastSeq + 1) throw new Error(`sequence ${r.sequence} after ${lastSeq}`);
        lastSeq = r.sequence;
        if (++n % 100_000 === 0) {
          const m = process.memoryUsage();
          maxHeap = Math.max(maxHeap, m.heapUsed);
          maxRss = Math.max(maxRss, m.rss);
        }
      }
      expect(n).toBe(N);
      expect(s.stats.records).toBe(N);
      expect(sizeSum).toBe((N / 50) * ((50 * 51) / 2));
      const heapGrowthMB = (maxHeap - base.heapUsed) / 1e6;
      const rssGrowthMB = (maxRss - base.rss) / 1e6;
      console.log(
        `core-memory ${_k}: heapUsed growth ${heapGrowthMB.toFixed(1)} MB, RSS growth ${rssGrowthMB.toFixed(1)} MB over ${N} records`,
      );
      expect(heapGrowthMB).toBeLessThan(100);
      expect(rssGrowthMB).toBeLessThan(100);
    },
    60_000,
  );
});
