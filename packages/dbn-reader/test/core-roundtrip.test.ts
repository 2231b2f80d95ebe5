/**
 * Round trips: decode -> DbnEncoder -> decode for every fixture (byte-identical output for the
 * v3 files, and for v1/v2 re-encoded in their own version), and encode -> decode for random
 * records of every record type and DBN version, with sentinels, plain and zstd, with and without
 * ts_out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '@md/test-support';
import { decompress as zstdDecompress } from 'zstd-napi';
import {
  DbnEncodeError,
  DbnEncoder,
  decodeDbn,
  decodeRecord,
  encodeRecord,
  toV3Record,
  UNDEF_PRICE,
  UNDEF_TIMESTAMP,
  type AnyDbnRecord,
  type DbnMetadataInput,
  type TradeMsg,
} from '../src/index.js';
import {
  decodeAll,
  HAVE_FIXTURES,
  knownRtypes,
  listFixtures,
  plainBytesOf,
  randomRecord,
  rawWalk,
  warnIfNoFixtures,
} from './helpers-core.js';
import { nth } from './narrow.js';

warnIfNoFixtures('core-roundtrip');
const tmp = mkdtempSync(join(tmpdir(), 'dbn-core-rt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixtures = listFixtures();

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

describe.skipIf(!HAVE_FIXTURES)('fixtures: decode -> encode -> decode', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_n, f) => {
    const fragOpts = f.fragment ? { version: f.version } : {};
    const orig = await decodeAll(f.path, { ...fragOpts, upgradePolicy: 'as-is' });
    expect(orig.error).toBeUndefined();
    const meta = orig.metadata;
    const plainIn = plainBytesOf(f.path);

    // 1. in the file's own version and layout (as-is): same records, same metadata, same bytes
    for (const compression of ['none', 'zstd'] as const) {
      const bytes = await DbnEncoder.toBytes(meta, orig.records, { version: f.version, compression });
      const back = await decodeAll(bytes, { ...fragOpts, upgradePolicy: 'as-is' });
      expect(back.error).toBeUndefined();
      expect(back.records).toEqual(orig.records);
      expect(back.metadata).toEqual(meta);
      const plainOut = compression === 'none' ? bytes : new Uint8Array(zstdDecompress(bytes));
      expect(plainOut.length).toBe(plainIn.length);
      if (f.version === 1 && f.family === 'definition') {
        // Databento's v1 definitions hold 0x7FFFFFFF in the 4 reserved bytes at 156 (a field of an
        // older layout); reserved bytes are not decoded and are written as zeros. Everything else
        // is identical.
        const walk = rawWalk(plainIn, f.fragment ? 1 : undefined);
        const masked = (b: Uint8Array) => {
          const c = b.slice();
          for (const r of walk.records) c.fill(0, r.offset + 156, r.offset + 160);
          return c;
        };
        expect(hex(masked(plainOut))).toBe(hex(masked(plainIn)));
        expect(hex(plainOut)).not.toBe(hex(plainIn));
      } else {
        expect(hex(plainOut)).toBe(hex(plainIn));
      }
    }

    // 2. upgraded to v3 and written as v3: decodes to the same upgraded records
    const up = await decodeAll(f.path, fragOpts);
    const v3 = await DbnEncoder.toBytes(up.metadata, up.records, { compression: 'zstd' });
    const back3 = await decodeAll(v3, f.fragment ? { version: 3 } : {});
    expect(back3.error).toBeUndefined();
    expect(back3.records).toEqual(up.records);
    if (meta) {
      expect(back3.metadata).toEqual({ ...up.metadata, sourceVersion: 3 });
    }
    // 3. the legacy-shaped (as-is) records given to a v3 encoder are upgraded on the way in
    const v3b = await DbnEncoder.toBytes(up.metadata, orig.records);
    expect((await decodeAll(v3b, f.fragment ? { version: 3 } : {})).records).toEqual(up.records);
  });
});

// ---------------------------------------------------------------------------------------------

const META: DbnMetadataInput = {
  dataset: 'GLBX.MDP3',
  schema: null,
  start: 1609160400000000000n,
  end: 1609200000000000000n,
  stypeIn: 'raw_symbol',
  stypeOut: 'instrument_id',
  symbols: ['ESH1', 'ESM1'],
  mappings: [{ rawSymbol: 'ESH1', intervals: [{ startDate: '2020-12-28', endDate: '2020-12-29', symbol: '5482' }] }],
};

describe('generated records of every type: encode -> decode', () => {
  for (const version of [1, 2, 3] as const) {
    const rtypes = knownRtypes(version);
    it(`v${version}: ${rtypes.length} rtypes`, () => {
      // every rtype of dbn-format.md §6.1
      expect(rtypes).toEqual([
        0x00, 0x01, 0x0a, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x20, 0x21, 0x22, 0x23, 0x24, 0xa0, 0xb1, 0xc0, 0xc1, 0xc2, 0xc3,
        0xc4,
      ]);
    });
    for (const tsOut of [false, true]) {
      for (const compression of ['none', 'zstd'] as const) {
        it(`v${version}, ts_out ${tsOut}, ${compression}: 40 random records per rtype, shuffled`, async () => {
          const rng = new Rng(1000 * version + (tsOut ? 10 : 0) + (compression === 'zstd' ? 1 : 0));
          const recs: AnyDbnRecord[] = [];
          for (const rt of rtypes) for (let i = 0; i < 40; i++) recs.push(randomRecord(rng, rt, version, tsOut));
          for (let i = recs.length - 1; i > 0; i--) {
            const j = rng.int(0, i);
            [recs[i], recs[j]] = [nth(recs, j), nth(recs, i)];
          }
          const bytes = await DbnEncoder.toBytes({ ...META, tsOut }, recs, { version, compression });
          const asIs = await decodeAll(bytes, { upgradePolicy: 'as-is' });
          expect(asIs.error).toBeUndefined();
          expect(asIs.metadata?.tsOut).toBe(tsOut);
          expect(asIs.records.length).toBe(recs.length);
          for (let i = 0; i < recs.length; i++) expect(asIs.records[i]).toStrictEqual(recs[i]);
          // upgraded: what compat's upgrade functions make of them
          const up = await decodeAll(bytes);
          expect(up.records).toStrictEqual(recs.map((r) => toV3Record(r)));
          // and as a fragment (no metadata)
          const frag = await DbnEncoder.toBytes(null, recs, { version, compression, tsOut });
          const fr = await decodeAll(frag, { version, tsOut, upgradePolicy: 'as-is' });
          expect(fr.error).toBeUndefined();
          expect(fr.records).toStrictEqual(recs);
        });
      }
    }
  }

  it('sentinels and extremes survive exactly (no JS number on the way)', async () => {
    const t: TradeMsg = {
      hd: { length: 14, rtype: 0, publisher_id: 65535, instrument_id: 4294967295, ts_event: UNDEF_TIMESTAMP },
      price: UNDEF_PRICE,
      size: 4294967295,
      action: 'T',
      side: 'N',
      flags: 255,
      depth: 255,
      ts_recv: 2n ** 63n - 1n,
      ts_in_delta: -2147483648,
      sequence: 4294967295,
      ts_out: 9007199254740993n, // 2^53 + 1: not representable as a double
      rtype: 0,
    };
    const neg = { ...t, price: -9223372036854775808n, ts_recv: 0n, ts_out: UNDEF_TIMESTAMP };
    const small = { ...t, price: -1n, ts_recv: 1609160400099150057n, ts_out: 1609160400099150059n };
    const bytes = await DbnEncoder.toBytes({ ...META, tsOut: true }, [t, neg, small], { compression: 'zstd' });
    const { records } = await decodeAll(bytes);
    expect(records).toStrictEqual([t, neg, small]);
  });

  it('encodeRecord / decodeRecord: one record, every version', () => {
    const rng = new Rng(7);
    for (const version of [1, 2, 3] as const) {
      for (const rt of knownRtypes(version)) {
        for (const tsOut of [false, true]) {
          const r = randomRecord(rng, rt, version, tsOut);
          const b = encodeRecord(r, { version, tsOut });
          expect(b.length).toBe(r.hd.length * 4);
          expect(decodeRecord(b, 0, { version, tsOut, upgradePolicy: 'as-is' })).toStrictEqual(r);
          // at an offset inside a bigger buffer
          const big = new Uint8Array(b.length + 24);
          big.set(b, 16);
          expect(decodeRecord(big, 16, { version, tsOut })).toStrictEqual(toV3Record(r));
        }
      }
    }
    expect(decodeRecord(new Uint8Array([4, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeNull();
  });

  it("v1 gateway records upgrade with the crate's defaults (stype 0xFF, code 0xFF, is_last 0xFF, heartbeat code 0)", async () => {
    const hd = (rtype: number) => ({ length: 20, rtype, publisher_id: 2, instrument_id: 3, ts_event: 4n });
    const v1 = [
      { hd: hd(0x16), stype_in_symbol: 'ES.c.0', stype_out_symbol: 'ESH4', start_ts: 5n, end_ts: UNDEF_TIMESTAMP, rtype: 0x16 },
      { hd: hd(0x15), err: 'Authentication failed.', rtype: 0x15 },
      { hd: hd(0x17), msg: 'Heartbeat', rtype: 0x17 },
      { hd: hd(0x17), msg: 'Subscription request 1 for mbp-1 data succeeded', rtype: 0x17 },
    ] as unknown as AnyDbnRecord[];
    const bytes = await DbnEncoder.toBytes(null, v1, { version: 1 });
    const { records } = await decodeAll(bytes, { version: 1 });
    const up = (rtype: number, length: number) => ({ length, rtype, publisher_id: 2, instrument_id: 3, ts_event: 4n });
    expect(records).toStrictEqual([
      {
        hd: up(0x16, 44),
        stype_in: 255,
        stype_in_symbol: 'ES.c.0',
        stype_out: 255,
        stype_out_symbol: 'ESH4',
        start_ts: 5n,
        end_ts: UNDEF_TIMESTAMP,
        rtype: 0x16,
      },
      { hd: up(0x15, 80), err: 'Authentication failed.', code: 255, is_last: 255, rtype: 0x15 },
      { hd: up(0x17, 80), msg: 'Heartbeat', code: 0, rtype: 0x17 },
      { hd: up(0x17, 80), msg: 'Subscription request 1 for mbp-1 data succeeded', code: 255, rtype: 0x17 },
    ]);
  });

  it('reserved bytes are written as zeros', () => {
    const rng = new Rng(8);
    const r = randomRecord(rng, 0x12, 3, false); // StatusMsg: 7 reserved bytes at 33..39
    const b = encodeRecord(r);
    expect(Array.from(b.subarray(33, 40))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('the encoder names the field that is missing or out of range', async () => {
    const rng = new Rng(9);
    const good = randomRecord(rng, 0x00, 3, false) as TradeMsg;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...good, price: 1.5 }, 'price'],
      [{ ...good, price: 2n ** 63n }, 'price'],
      [{ ...good, size: -1 }, 'size'],
      [{ ...good, size: 2 ** 32 }, 'size'],
      [{ ...good, ts_recv: -1n }, 'ts_recv'],
      [{ ...good, action: 'TT' }, 'action'],
      [{ ...good, sequence: undefined }, 'sequence'],
      [{ ...good, hd: { ...good.hd, instrument_id: 1.25 } }, 'hd.instrument_id'],
    ];
    for (const [bad, field] of cases) {
      let err: unknown;
      try {
        encodeRecord(bad as unknown as AnyDbnRecord);
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(DbnEncodeError);
      expect((err as DbnEncodeError).field).toBe(field);
      expect((err as Error).message).toContain(field);
    }
    // ts_out required when the output has ts_out
    expect(() => encodeRecord(good, { tsOut: true })).toThrow(DbnEncodeError);
    // text longer than its field
    const def = randomRecord(rng, 0x13, 3, false) as unknown as Record<string, unknown>;
    expect(() => encodeRecord({ ...def, raw_symbol: 'X'.repeat(72) } as unknown as AnyDbnRecord)).toThrow(/raw_symbol/);
    // an rtype without a layout
    expect(() => encodeRecord({ ...good, hd: { ...good.hd, rtype: 0x55 } } as unknown as AnyDbnRecord)).toThrow(DbnEncodeError);
  });

  it('writes that are not awaited, with the record object reused, still come out complete and in order', async () => {
    const rng = new Rng(11);
    const expected = Array.from({ length: 3000 }, () => randomRecord(rng, 0x0a, 3, false));
    for (const sink of ['file', 'function'] as const) {
      const path = join(tmp, `noawait-${sink}.dbn.zst`);
      const parts: Uint8Array[] = [];
      const enc = new DbnEncoder(
        sink === 'file'
          ? path
          : async (c: Uint8Array) => {
              await new Promise((r) => setTimeout(r, 1)); // a slow sink
              parts.push(c);
            },
        META,
        { bufferSize: 4096, compression: 'zstd' },
      );
      const scratch = structuredClone(expected[0]) as unknown as Record<string, unknown>;
      const pending: Array<Promise<void>> = [];
      for (const r of expected) {
        Object.assign(scratch, structuredClone(r)); // the same object, overwritten for every record
        const p = enc.write(scratch as unknown as AnyDbnRecord);
        if (p) pending.push(p);
      }
      expect(pending.length).toBeGreaterThan(100);
      await enc.close();
      const bytes = sink === 'file' ? path : Buffer.concat(parts);
      const back = await decodeAll(bytes);
      expect(back.error).toBeUndefined();
      expect(back.records).toStrictEqual(expected);
    }
  });

  it('a failing sink: the error comes back from write/close, not as an unhandled rejection', async () => {
    const enc = new DbnEncoder(
      async () => {
        throw new Error('sink is gone');
      },
      META,
      { bufferSize: 4096 },
    );
    const rng = new Rng(12);
    let err: unknown;
    try {
      for (let i = 0; i < 1000; i++) {
        const p = enc.write(randomRecord(rng, 0x00, 3, false));
        if (p) await p;
      }
    } catch (e) {
      err = e;
    }
    expect((err as Error)?.message).toBe('sink is gone');
    expect(() => enc.write(randomRecord(rng, 0x00, 3, false))).toThrow('sink is gone');
    await expect(enc.close()).rejects.toThrow('sink is gone');
  });

  it('a stream sink and a file sink get the same bytes as toBytes', async () => {
    const rng = new Rng(10);
    const recs = Array.from({ length: 5000 }, () => randomRecord(rng, rng.pick([0x00, 0x0a, 0x13]), 3, false));
    const expected = await DbnEncoder.toBytes(META, recs, { bufferSize: 4096 });
    const path = join(tmp, 'sink.dbn');
    const enc = new DbnEncoder(path, META, { bufferSize: 4096 });
    await enc.writeAll(recs);
    await enc.close();
    expect(hex(plainBytesOf(path))).toBe(hex(expected));
    const { PassThrough } = await import('node:stream');
    const pt = new PassThrough();
    const chunks: Buffer[] = [];
    pt.on('data', (c: Buffer) => chunks.push(c));
    const enc2 = new DbnEncoder(pt, META, { compression: 'zstd' });
    await enc2.writeAll(recs);
    await enc2.close();
    const back = decodeDbn(Buffer.concat(chunks));
    const got: AnyDbnRecord[] = [];
    for await (const b of back.batches()) got.push(...b);
    expect(got).toStrictEqual(recs);
    expect(enc2.records).toBe(5000);
  });
});
