/**
 * Streaming: the same bytes fed in chunks of 1, 7, 4093, ... bytes (records split across chunk
 * boundaries), as an async iterable, a sync iterable, a Node Readable, a file read in small
 * pieces; plain and zstd; unknown rtypes skipped by their length and counted.
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@md/test-support';
import { DbnEncoder, DbnIoError, DbnTruncatedError, decodeDbn, scanDbn, type AnyDbnRecord, type DbnMetadataInput } from '../src/index.js';
import { chunked, decodeAll, HAVE_FIXTURES, listFixtures, randomRecord, rawWalk } from './helpers-core.js';
import { nth } from './narrow.js';

const tmp = mkdtempSync(join(tmpdir(), 'dbn-core-stream-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const META: DbnMetadataInput = {
  dataset: 'GLBX.MDP3',
  schema: null,
  start: 1609160400000000000n,
  stypeIn: 'raw_symbol',
  stypeOut: 'instrument_id',
  symbols: ['ESH1'],
};

/** a mixed file: mostly trades and MBP-10, some definitions / MBO / stats / symbol mappings */
async function mixedFile(n: number, seed: number, version: 1 | 2 | 3, compression: 'none' | 'zstd', tsOut = false) {
  const rng = new Rng(seed);
  const types = [0x00, 0x00, 0x00, 0x0a, 0x0a, 0x01, 0x13, 0xa0, 0x18, 0x16, 0x17, 0x15, 0x20, 0x12, 0x14, 0xb1, 0xc3];
  const recs: AnyDbnRecord[] = [];
  for (let i = 0; i < n; i++) recs.push(randomRecord(rng, rng.pick(types), version, tsOut));
  const bytes = await DbnEncoder.toBytes({ ...META, tsOut }, recs, { version, compression });
  return { recs, bytes };
}

let small: { recs: AnyDbnRecord[]; bytes: Uint8Array };
let smallZ: { recs: AnyDbnRecord[]; bytes: Uint8Array };
let medium: { recs: AnyDbnRecord[]; bytes: Uint8Array };
let big: { recs: AnyDbnRecord[]; bytes: Uint8Array };
let bigZ: { recs: AnyDbnRecord[]; bytes: Uint8Array };
let bigV1: { recs: AnyDbnRecord[]; bytes: Uint8Array };

beforeAll(async () => {
  small = await mixedFile(300, 1, 3, 'none', true);
  smallZ = await mixedFile(300, 2, 3, 'zstd');
  medium = await mixedFile(2_000, 6, 3, 'zstd');
  big = await mixedFile(10_000, 3, 3, 'none');
  bigZ = await mixedFile(10_000, 4, 3, 'zstd');
  bigV1 = await mixedFile(5_000, 5, 1, 'zstd');
});

describe('chunked input gives identical results', () => {
  const sizes: Array<number | number[]> = [1, 2, 7, 15, 16, 17, 4093, [3, 1, 500, 13, 1021], 65537, 1 << 20];

  it.each(sizes.filter((s) => s !== 1 && s !== 2).map((s) => [JSON.stringify(s), s] as const))(
    'chunks of %s bytes: 10,000 mixed records, plain, zstd and v1 (2,000 zstd for chunks below 64 bytes)',
    async (_l, size) => {
      const files =
        typeof size === 'number' && size < 64
          ? ([[medium, {}]] as const)
          : ([
              [big, {}],
              [bigZ, {}],
              [bigV1, { upgradePolicy: 'as-is' as const }],
            ] as const);
      for (const [file, opts] of files) {
        const r = await decodeAll(chunked(file.bytes, size), opts);
        expect(r.error).toBeUndefined();
        expect(r.records.length).toBe(file.recs.length);
        expect(r.records).toStrictEqual(file.recs);
        expect(r.metadata?.symbols).toEqual(['ESH1']);
      }
    },
  );

  it.each([1, 2, 7])('chunks of %i bytes: 300 records with ts_out (plain) and zstd', async (size) => {
    for (const file of [small, smallZ]) {
      const r = await decodeAll(chunked(file.bytes, size));
      expect(r.error).toBeUndefined();
      expect(r.records).toStrictEqual(file.recs);
    }
  });

  it('random chunk sizes (seeded), 20 splits of the zstd file and of the plain file', async () => {
    const rng = new Rng(42);
    for (let k = 0; k < 20; k++) {
      const sizes = Array.from({ length: 17 }, () => rng.pick([1, rng.int(1, 64), rng.int(1, 5000), rng.int(1, 70000)]));
      const file = k % 2 === 0 ? big : bigZ;
      const r = await decodeAll(chunked(file.bytes, sizes));
      expect(r.error).toBeUndefined();
      expect(r.records.length).toBe(file.recs.length);
      expect(r.records[r.records.length - 1]).toStrictEqual(file.recs[file.recs.length - 1]);
    }
  });

  it.skipIf(!HAVE_FIXTURES)('every fixture, in chunks of 1 and 7 bytes', async () => {
    for (const f of listFixtures()) {
      const opts = f.fragment ? { version: f.version } : {};
      const ref = await decodeAll(f.path, opts);
      const raw = new Uint8Array(readFileSync(f.path));
      for (const size of [1, 7]) {
        const r = await decodeAll(chunked(raw, size), opts);
        expect(r.error, f.name).toBeUndefined();
        expect(r.records, f.name).toStrictEqual(ref.records);
        expect(r.metadata, f.name).toStrictEqual(ref.metadata);
      }
    }
  });

  it('a sync iterable of chunks and a single Buffer', async () => {
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < big.bytes.length; i += 999) pieces.push(big.bytes.subarray(i, i + 999));
    expect((await decodeAll(pieces)).records).toStrictEqual(big.recs);
    expect((await decodeAll(Buffer.from(bigZ.bytes))).records).toStrictEqual(bigZ.recs);
  });

  it('a file read 7 bytes at a time (chunkSize) and a file read whole', async () => {
    const p = join(tmp, 'medium.dbn.zst');
    writeFileSync(p, medium.bytes);
    const r = await decodeAll(p, { chunkSize: 7 });
    expect(r.records).toStrictEqual(medium.recs);
    const pb = join(tmp, 'big.dbn.zst');
    writeFileSync(pb, bigZ.bytes);
    expect((await decodeAll(pb)).records).toStrictEqual(bigZ.recs);
    const q = join(tmp, 'small.dbn');
    writeFileSync(q, small.bytes);
    expect((await decodeAll(q, { chunkSize: 17 })).records).toStrictEqual(small.recs);
  });
});

describe('Node readable streams', () => {
  it('fs.createReadStream with 7-byte and 4093-byte reads', async () => {
    const p = join(tmp, 'big.dbn');
    writeFileSync(p, big.bytes);
    const pz = join(tmp, 'medium.dbn.zst');
    writeFileSync(pz, medium.bytes);
    const ps = join(tmp, 'small.dbn');
    writeFileSync(ps, small.bytes);
    expect((await decodeAll(createReadStream(ps, { highWaterMark: 7 }))).records).toStrictEqual(small.recs);
    expect((await decodeAll(createReadStream(pz, { highWaterMark: 7 }))).records).toStrictEqual(medium.recs);
    expect((await decodeAll(createReadStream(p, { highWaterMark: 4093 }))).records).toStrictEqual(big.recs);
  });

  it('Readable.from(chunks) with records split across chunks', async () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < small.bytes.length; i += 37) chunks.push(Buffer.from(small.bytes.subarray(i, i + 37)));
    const r = await decodeAll(Readable.from(chunks, { objectMode: false }));
    expect(r.records).toStrictEqual(small.recs);
  });

  it('a stream that fails midway: records before the failure delivered, then DbnIoError naming the cause', async () => {
    const cut = 100_000;
    async function* failing() {
      yield big.bytes.subarray(0, cut);
      throw new Error('disk on fire');
    }
    const r = await decodeAll(Readable.from(failing(), { objectMode: false }), { fileName: 'stream.dbn' });
    expect(r.error).toBeInstanceOf(DbnIoError);
    expect((r.error as Error).message).toContain('disk on fire');
    expect((r.error as Error).message).toContain('stream.dbn');
    const walk = rawWalk(big.bytes);
    const whole = walk.records.filter((x) => x.offset + x.size <= cut).length;
    expect(r.records.length).toBe(whole);
    expect(r.records).toStrictEqual(big.recs.slice(0, whole));
  });

  it('a stream in text mode is refused with a clear DbnIoError', async () => {
    const r = await decodeAll(Readable.from(['DBN', 'abc']));
    expect(r.error).toBeInstanceOf(DbnIoError);
    expect((r.error as Error).message).toMatch(/bytes/);
  });
});

describe('the stream object', () => {
  it('batches() gives the same records as per-record iteration, and scanDbn visits them all', async () => {
    const s = decodeDbn(chunked(bigZ.bytes, 4093), { batchSize: 100 });
    const got: AnyDbnRecord[] = [];
    let nb = 0;
    for await (const b of s.batches()) {
      expect(b.length).toBeLessThanOrEqual(100);
      got.push(...b);
      nb++;
    }
    expect(got).toStrictEqual(bigZ.recs);
    expect(nb).toBeGreaterThanOrEqual(100);
    // batchSize 1 (the record completed across a chunk boundary must not make a batch of 2)
    const one = decodeDbn(chunked(small.bytes, 97), { batchSize: 1 });
    let n1 = 0;
    for await (const b of one.batches()) {
      expect(b.length).toBe(1);
      n1++;
    }
    expect(n1).toBe(300);
    expect(s.stats.records).toBe(10_000);
    let n = 0;
    let tradeSizeSum = 0;
    const res = await scanDbn(chunked(bigZ.bytes, 4093), (raw) => {
      if (raw.rtype === 0) tradeSizeSum += raw.view.getUint32(raw.offset + 24, true);
      n++;
    });
    expect(n).toBe(10_000);
    expect(res.stats.records).toBe(10_000);
    expect(tradeSizeSum).toBe(bigZ.recs.reduce((a, r) => a + (r.rtype === 0 ? r.size : 0), 0));
  });

  it('breaking out of the loop early ends the decoding (no hang), and a stream iterates only once', async () => {
    const s = decodeDbn(chunked(big.bytes, 4093));
    let n = 0;
    for await (const _ of s) {
      void _;
      if (++n === 10) break;
    }
    expect(n).toBe(10);
    expect(() => s[Symbol.asyncIterator]()).toThrow(/once/);
  });

  it.skipIf(!existsSync('/proc/self/fd'))('a file path: breaking early or finishing closes the file (with its read-ahead)', async () => {
    const p = join(tmp, 'fd.dbn');
    writeFileSync(p, big.bytes);
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let k = 0; k < 20; k++) {
      let n = 0;
      for await (const _ of decodeDbn(p, { chunkSize: 4096 })) {
        void _;
        if (++n === 100 + k) break;
      }
      const all = await decodeAll(p, { chunkSize: 65536 });
      expect(all.records.length).toBe(big.recs.length);
    }
    expect(fds()).toBeLessThanOrEqual(before);
  });

  it.skipIf(!existsSync('/proc/self/fd'))(
    'close() after reading only the metadata releases the file at once; the stream then yields nothing',
    async () => {
      const p = join(tmp, 'fd-meta.dbn');
      writeFileSync(p, big.bytes);
      const fds = () => readdirSync('/proc/self/fd').length;
      const before = fds();
      const streams = [];
      for (let k = 0; k < 20; k++) {
        const s = decodeDbn(p, { chunkSize: 4096 });
        expect((await s.metadata())?.dataset).toBeTruthy();
        streams.push(s);
      }
      expect(fds()).toBeGreaterThanOrEqual(before + 20); // each holds its file open until closed
      for (const s of streams) await s.close();
      expect(fds()).toBeLessThanOrEqual(before);
      const closed = nth(streams, 0);
      await closed.close(); // twice is fine
      let n = 0;
      for await (const _ of closed.batches()) n += _.length;
      expect(n).toBe(0);
    },
  );
});

describe('unknown record types', () => {
  /** inserts records of rtypes the format does not define, of 16, 24 and 1020 bytes */
  function withUnknown(bytes: Uint8Array): { bytes: Uint8Array; inserted: number } {
    const walk = rawWalk(bytes);
    const parts: Uint8Array[] = [bytes.subarray(0, walk.recordsStart)];
    let inserted = 0;
    walk.records.forEach((r, i) => {
      if (i % 3 === 0) {
        const size = nth([16, 24, 1020], i % 9 === 0 ? 2 : i % 2);
        const u = new Uint8Array(size).fill(0xab);
        u[0] = size / 4;
        u[1] = nth([0x55, 0x02, 0xfe], i % 3 === 0 ? (i / 3) % 3 : 0);
        parts.push(u);
        inserted++;
      }
      parts.push(bytes.subarray(r.offset, r.offset + r.size));
    });
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return { bytes: out, inserted };
  }

  it('are skipped by their length and counted in stats.skippedUnknown, whole or chunked', async () => {
    const { bytes, inserted } = withUnknown(small.bytes);
    expect(inserted).toBe(100);
    for (const input of [bytes, chunked(bytes, 1), chunked(bytes, 7), chunked(bytes, 4093)]) {
      const s = decodeDbn(input as Uint8Array);
      const got: AnyDbnRecord[] = [];
      for await (const r of s) got.push(r);
      expect(got).toStrictEqual(small.recs);
      expect(s.stats.skippedUnknown).toBe(inserted);
      expect(s.stats.records).toBe(small.recs.length);
      expect(s.stats.bytes).toBe(bytes.length);
    }
    // scanDbn hands them over too, and counts them
    let unknown = 0;
    const res = await scanDbn(bytes, (raw) => {
      if (![0x00, 0x0a, 0x01, 0x13, 0xa0, 0x18, 0x16, 0x17, 0x15, 0x20, 0x12, 0x14, 0xb1, 0xc3].includes(raw.rtype)) unknown++;
    });
    expect(unknown).toBe(inserted);
    expect(res.stats.skippedUnknown).toBe(inserted);
  });
});

describe('fragments', () => {
  it('records without metadata decode when the version is given; metadata() is null', async () => {
    const rng = new Rng(77);
    const recs = Array.from({ length: 500 }, () => randomRecord(rng, rng.pick([0x00, 0x0a, 0x13]), 2, false));
    for (const compression of ['none', 'zstd'] as const) {
      const frag = await DbnEncoder.toBytes(null, recs, { version: 2, compression });
      const s = decodeDbn(chunked(frag, 333), { version: 2, upgradePolicy: 'as-is' });
      expect(await s.metadata()).toBeNull();
      const got: AnyDbnRecord[] = [];
      for await (const r of s) got.push(r);
      expect(got).toStrictEqual(recs);
    }
    // an empty fragment is fine; an empty DBN input is a truncated prelude
    expect((await decodeAll(new Uint8Array(0), { version: 3 })).error).toBeUndefined();
    expect((await decodeAll(new Uint8Array(0))).error).toBeInstanceOf(DbnTruncatedError);
  });
});
