/**
 * Bad input: every fixture (and generated files with every record type) truncated at many
 * offsets and with random bytes flipped (seeded PRNG), plain and zstd, whole and in random
 * chunks. Each case: only DbnError subclasses, within a per-case timeout, every record before the
 * fault delivered (compared with the clean decode), the error naming the file and a byte offset.
 * Then the specific typed errors one by one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '@md/test-support';
import { compress as zstdCompress } from 'zstd-napi';
import {
  DbnBadMagicError,
  DbnBadRecordLengthError,
  DbnEncoder,
  DbnError,
  DbnMetadataError,
  DbnTruncatedError,
  DbnUnsupportedVersionError,
  DbnZstdError,
  type AnyDbnRecord,
  type DecodeOptions,
} from '../src/index.js';
import {
  chunked,
  decodeAll,
  HAVE_FIXTURES,
  knownRtypes,
  listFixtures,
  plainBytesOf,
  randomRecord,
  rawWalk,
  warnIfNoFixtures,
  withTimeout,
  type DecodeResult,
} from './helpers-core.js';
import { nth } from './narrow.js';

warnIfNoFixtures('core-badinput');

const CASE_TIMEOUT_MS = 3000;

interface Subject {
  name: string;
  /** plain DBN bytes (or fragment records) */
  plain: Uint8Array;
  /** the zstd-compressed form, when the subject is compressed */
  compressed?: Uint8Array;
  opts: DecodeOptions;
  clean: AnyDbnRecord[];
  /** end offset (in the plain bytes) of each clean record */
  ends: number[];
  recordsStart: number;
}

async function subject(name: string, plain: Uint8Array, compressed: Uint8Array | undefined, opts: DecodeOptions): Promise<Subject> {
  const walk = rawWalk(plain, opts.version);
  const r = await decodeAll(compressed ?? plain, opts);
  if (r.error) throw r.error;
  expect(r.records.length).toBe(walk.records.length);
  return {
    name,
    plain,
    compressed,
    opts,
    clean: r.records,
    ends: walk.records.map((x) => x.offset + x.size),
    recordsStart: walk.recordsStart,
  };
}

let ran = 0;
/** runs one case with a hang guard; checks the invariants that hold for any bad input */
async function runCase(s: Subject, input: Uint8Array, rng: Rng, what: string): Promise<DecodeResult> {
  const fileName = `fuzz/${s.name}`;
  // a quarter of the cases go in random chunks (records split across chunk boundaries)
  const src = rng.next() < 0.25 ? chunked(input, [rng.int(1, 9), rng.int(1, 300), rng.int(1, 5000)]) : input;
  const t0 = performance.now();
  const r = await withTimeout(decodeAll(src, { ...s.opts, fileName }), CASE_TIMEOUT_MS, `${s.name}: ${what}`);
  const dt = performance.now() - t0;
  expect(dt, `${s.name}: ${what} took ${dt} ms`).toBeLessThan(CASE_TIMEOUT_MS);
  ran++;
  if (r.error !== undefined) {
    if (!(r.error instanceof DbnError)) {
      throw new Error(`${s.name}: ${what}: not a DbnError: ${String((r.error as Error)?.stack ?? r.error)}`);
    }
    const e = r.error;
    expect(e.message, what).toContain(fileName);
    expect(e.message, what).toMatch(/at byte offset \d+/);
    expect(e.file).toBe(fileName);
    expect(Number.isInteger(e.offset) && e.offset >= 0, `${what}: offset ${e.offset}`).toBe(true);
  }
  return r;
}

function isFrameStart(c: Uint8Array, t: number): boolean {
  return t + 4 <= c.length && c[t] === 0x28 && c[t + 1] === 0xb5 && c[t + 2] === 0x2f && c[t + 3] === 0xfd;
}

/** time budgets scale with DBN_FUZZ_SCALE (e.g. 10 for a long campaign) */
const SCALE = Number(process.env.DBN_FUZZ_SCALE ?? 1);

function prefixCount(s: Subject, faultAt: number): number {
  return s.ends.filter((e) => e <= faultAt).length;
}

async function truncations(s: Subject, rng: Rng, budgetMs: number): Promise<number> {
  const len = s.plain.length;
  // every offset for small inputs, else every offset near a record boundary plus random ones
  let offsets: number[];
  if (len <= 2000) offsets = Array.from({ length: len }, (_, i) => i);
  else {
    const set = new Set<number>();
    for (let i = 0; i < Math.min(len, 200); i++) set.add(i);
    for (const e of s.ends) for (const d of [-17, -9, -8, -1, 0, 1, 8, 15, 16, 17]) if (e + d >= 0 && e + d < len) set.add(e + d);
    while (set.size < Math.min(3000, len)) set.add(rng.int(0, len - 1));
    offsets = [...set];
  }
  const t0 = performance.now();
  let n = 0;
  for (const t of offsets) {
    if (performance.now() - t0 > budgetMs) break;
    const r = await runCase(s, s.plain.subarray(0, t), rng, `plain truncated at ${t}`);
    n++;
    const k = prefixCount(s, t);
    expect(r.records.length, `truncated at ${t}`).toBe(t < s.recordsStart ? 0 : k);
    expect(r.records).toStrictEqual(s.clean.slice(0, r.records.length));
    const atBoundary = t === s.recordsStart || s.ends.includes(t) || (s.opts.version !== undefined && t === 0);
    if (atBoundary) {
      expect(r.error, `truncated at boundary ${t}`).toBeUndefined();
    } else {
      expect(r.error, `truncated at ${t}`).toBeInstanceOf(DbnTruncatedError);
      const e = r.error as DbnTruncatedError;
      // a cut record is reported at its start; a cut prelude/metadata at or before the cut
      if (t >= s.recordsStart) expect(e.offset).toBe(k === 0 ? s.recordsStart : s.ends[k - 1]);
      else expect(e.offset).toBeLessThanOrEqual(t);
    }
  }
  if (s.compressed) {
    const c = s.compressed;
    const cOffsets =
      c.length <= 400 ? Array.from({ length: c.length }, (_, i) => i) : Array.from({ length: 400 }, () => rng.int(0, c.length - 1));
    for (const t of cOffsets) {
      if (performance.now() - t0 > budgetMs * 1.5) break;
      const r = await runCase(s, c.subarray(0, t), rng, `compressed truncated at ${t}`);
      n++;
      // a cut between two zstd frames (or an empty fragment) is valid data: whole records only
      const frameBoundary = (s.opts.version !== undefined && t === 0) || (t >= 4 && isFrameStart(c, t));
      if (!frameBoundary) expect(r.error, `compressed truncated at ${t}`).toBeInstanceOf(DbnError);
      expect(r.records).toStrictEqual(s.clean.slice(0, r.records.length));
      expect(r.records.length).toBeLessThan(s.clean.length + 1);
    }
  }
  return n;
}

async function flips(s: Subject, rng: Rng, count: number, budgetMs: number): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < count && performance.now() - t0 < budgetMs; i++) {
    const useCompressed = s.compressed !== undefined && rng.next() < 0.4;
    const base = useCompressed ? s.compressed! : s.plain;
    const bad = base.slice();
    const nflips = rng.pick([1, 1, 1, 2, 3, 8]);
    let first = Infinity;
    const where: number[] = [];
    for (let k = 0; k < nflips; k++) {
      // bias toward the header bytes of records and the prelude, where flips hurt most
      const at =
        rng.next() < 0.3 && s.ends.length > 0 && !useCompressed
          ? rng.pick([0, ...s.ends.slice(0, -1)]) + rng.int(0, 1)
          : rng.int(0, bad.length - 1);
      if (at >= bad.length) continue;
      bad[at] = nth(bad, at) ^ rng.int(1, 255);
      first = Math.min(first, at);
      where.push(at);
    }
    const r = await runCase(s, bad, rng, `${useCompressed ? 'compressed' : 'plain'} flipped at ${where.join(',')}`);
    n++;
    if (!useCompressed) {
      // every record that ends before the first flipped byte is delivered, unchanged
      const k = first >= s.recordsStart ? prefixCount(s, first) : 0;
      expect(r.records.length, `flipped at ${where}`).toBeGreaterThanOrEqual(k);
      expect(r.records.slice(0, k)).toStrictEqual(s.clean.slice(0, k));
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------

const fixtures = listFixtures();

describe.skipIf(!HAVE_FIXTURES)('fuzz: Databento fixtures truncated and flipped', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))(
    '%s',
    async (_n, f) => {
      const rng = new Rng(f.name.length * 7919 + f.path.charCodeAt(f.path.length - 5));
      const raw = new Uint8Array(readFileSync(f.path));
      const s = await subject(f.name, plainBytesOf(f.path), f.zstd ? raw : undefined, f.fragment ? { version: f.version } : {});
      const nt = await truncations(s, rng, 400 * SCALE);
      const nf = await flips(s, rng, 300 * SCALE, 300 * SCALE);
      expect(nt + nf).toBeGreaterThan(100);
    },
    60_000,
  );
});

describe('fuzz: generated files with every record type', () => {
  for (const version of [1, 2, 3] as const) {
    for (const tsOut of [false, true]) {
      it(`v${version}${tsOut ? ' with ts_out' : ''}: 2 records of each of the ${knownRtypes(version).length} rtypes, plain and zstd`, async () => {
        const rng = new Rng(version * 31 + (tsOut ? 1 : 0));
        const recs: AnyDbnRecord[] = [];
        for (const rt of knownRtypes(version)) for (let i = 0; i < 2; i++) recs.push(randomRecord(rng, rt, version, tsOut));
        const plain = await DbnEncoder.toBytes({ dataset: 'GLBX.MDP3', start: 0n, schema: null, tsOut, symbols: ['ESH1'] }, recs, {
          version,
        });
        const s = await subject(`gen-v${version}-${tsOut}.dbn`, plain, undefined, {});
        const sz = await subject(`gen-v${version}-${tsOut}.dbn.zst`, plain, new Uint8Array(zstdCompress(plain)), {});
        const n =
          (await truncations(s, rng, 1200 * SCALE)) +
          (await flips(s, rng, 1000 * SCALE, 1000 * SCALE)) +
          (await flips(sz, rng, 300 * SCALE, 400 * SCALE));
        expect(n).toBeGreaterThan(500);
      }, 60_000);
    }
  }

  it('ran thousands of cases in all', () => {
    console.log(`core-badinput: ${ran} fuzz cases`);
    expect(ran).toBeGreaterThan(HAVE_FIXTURES ? 8_000 : 3_000);
  });
});

// ---------------------------------------------------------------------------------------------

async function one(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<DecodeResult> {
  return withTimeout(decodeAll(bytes, { fileName: 'bad.dbn', ...opts }), CASE_TIMEOUT_MS, 'one');
}

async function sample(): Promise<{ recs: AnyDbnRecord[]; plain: Uint8Array; walk: ReturnType<typeof rawWalk> }> {
  const rng = new Rng(5);
  const recs = Array.from({ length: 10 }, () => randomRecord(rng, 0x00, 3, false));
  const plain = await DbnEncoder.toBytes({ dataset: 'GLBX.MDP3', start: 0n, schema: 'trades' }, recs);
  return { recs, plain, walk: rawWalk(plain) };
}

describe('specific typed errors', () => {
  it('bad magic', async () => {
    const r = await one(new TextEncoder().encode('PK\x03\x04 this is a zip file, not DBN'));
    expect(r.error).toBeInstanceOf(DbnBadMagicError);
    expect((r.error as DbnError).offset).toBe(0);
    expect((r.error as Error).message).toMatch(/bad\.dbn at byte offset 0/);
    expect((r.error as Error).message).toMatch(/50 4b 03 04/);
  });

  it('a zstd stream that starts with a skippable frame (legacy DBZ) is refused', async () => {
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]);
    const frame = new Uint8Array(zstdCompress(Buffer.from('not dbn at all')));
    const both = new Uint8Array([...skippable, ...frame]);
    const r = await one(both);
    expect(r.error).toBeInstanceOf(DbnBadMagicError);
    expect((r.error as Error).message).toMatch(/DBZ/);
  });

  it('unknown version', async () => {
    const { plain } = await sample();
    for (const v of [0, 4, 255]) {
      const b = plain.slice();
      b[3] = v;
      const r = await one(b);
      expect(r.error).toBeInstanceOf(DbnUnsupportedVersionError);
      expect((r.error as DbnUnsupportedVersionError).version).toBe(v);
      expect((r.error as DbnError).offset).toBe(3);
      expect(r.records).toEqual([]);
    }
  });

  it('zero record length: the records before it are delivered, then DbnBadRecordLengthError at its offset', async () => {
    const { plain, walk, recs } = await sample();
    const b = plain.slice();
    b[nth(walk.records, 4).offset] = 0;
    const r = await one(b);
    expect(r.error).toBeInstanceOf(DbnBadRecordLengthError);
    expect((r.error as DbnError).offset).toBe(nth(walk.records, 4).offset);
    expect(r.records).toStrictEqual(recs.slice(0, 4));
    // the same in 1-byte chunks and zstd-compressed
    const r1 = await withTimeout(decodeAll(chunked(b, 1), { fileName: 'bad.dbn' }), CASE_TIMEOUT_MS, 'chunked');
    expect(r1.error).toBeInstanceOf(DbnBadRecordLengthError);
    expect(r1.records).toStrictEqual(recs.slice(0, 4));
    const rz = await one(new Uint8Array(zstdCompress(b)));
    expect(rz.error).toBeInstanceOf(DbnBadRecordLengthError);
    expect((rz.error as DbnError).offset).toBe(nth(walk.records, 4).offset);
    expect(rz.records).toStrictEqual(recs.slice(0, 4));
  });

  it('a record length below its layout (a 16-byte trade) is a DbnBadRecordLengthError', async () => {
    const { plain, walk, recs } = await sample();
    const b = plain.slice();
    b[nth(walk.records, 2).offset] = 4;
    const r = await one(b);
    expect(r.error).toBeInstanceOf(DbnBadRecordLengthError);
    expect((r.error as Error).message).toMatch(/too short/);
    expect(r.records).toStrictEqual(recs.slice(0, 2));
  });

  it('a record length that runs past the data: DbnTruncatedError at the record, records before delivered', async () => {
    const { plain, walk, recs } = await sample();
    const b = plain.slice();
    b[nth(walk.records, 9).offset] = 255;
    const r = await one(b);
    expect(r.error).toBeInstanceOf(DbnTruncatedError);
    expect((r.error as DbnError).offset).toBe(nth(walk.records, 9).offset);
    expect((r.error as Error).message).toMatch(/declares 1020 bytes/);
    expect(r.records).toStrictEqual(recs.slice(0, 9));
  });

  it('truncated metadata and truncated prelude', async () => {
    const { plain } = await sample();
    for (const [cut, re] of [
      [2, /prelude/],
      [6, /prelude/],
      [50, /metadata/],
      [plain.length - 10 * 48 - 1, /metadata/],
    ] as const) {
      const r = await one(plain.subarray(0, cut));
      expect(r.error, `cut ${cut}`).toBeInstanceOf(DbnTruncatedError);
      expect((r.error as Error).message).toMatch(re);
    }
  });

  it('metadata inconsistencies are DbnMetadataError', async () => {
    const { plain } = await sample();
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    // metadata length below the fixed part
    let b = plain.slice();
    dv(b).setUint32(4, 99, true);
    expect((await one(b)).error).toBeInstanceOf(DbnMetadataError);
    // a symbol count running past the metadata
    b = plain.slice();
    dv(b).setUint32(112, 1_000_000, true);
    let r = await one(b);
    expect(r.error).toBeInstanceOf(DbnMetadataError);
    expect((r.error as DbnError).offset).toBe(112);
    // a non-zero schema_definition_length
    b = plain.slice();
    dv(b).setUint32(108, 5, true);
    r = await one(b);
    expect(r.error).toBeInstanceOf(DbnMetadataError);
    expect((r.error as DbnError).offset).toBe(108);
    // a huge metadata length is refused before anything is allocated
    b = plain.slice();
    dv(b).setUint32(4, 0xfffffff0, true);
    r = await one(b);
    expect(r.error).toBeInstanceOf(DbnMetadataError);
    expect((r.error as Error).message).toMatch(/maxMetadataBytes/);
  });

  it('a symbol_cstr_len of 0 with a huge symbol count is refused (not a hang)', async () => {
    const { plain } = await sample();
    const b = plain.slice();
    const dv = new DataView(b.buffer);
    dv.setUint16(53, 0, true);
    dv.setUint32(112, 0xffffffff, true);
    const r = await one(b);
    expect(r.error).toBeInstanceOf(DbnMetadataError);
    expect((r.error as Error).message).toMatch(/symbol_cstr_len of 0/);
  });

  it('a corrupt metadata length does not allocate its size up front', async () => {
    const { plain } = await sample();
    const b = plain.slice();
    new DataView(b.buffer).setUint32(4, 200_000_000, true); // 200 MB of metadata claimed, 700 bytes there
    let peak = 0;
    async function* src() {
      for (let i = 0; i < b.length; i += 64) {
        yield b.slice(i, i + 64);
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }
    }
    const before = process.memoryUsage().arrayBuffers;
    const r = await withTimeout(decodeAll(src(), { fileName: 'bad.dbn' }), CASE_TIMEOUT_MS, 'meta');
    expect(r.error).toBeInstanceOf(DbnTruncatedError);
    expect((r.error as Error).message).toMatch(/truncated metadata: \d+ of 200000008 bytes/);
    expect(peak - before).toBeLessThan(20_000_000);
  });

  it('corrupted zstd frame: DbnZstdError with the compressed offset', async () => {
    const { plain, recs } = await sample();
    const z = new Uint8Array(zstdCompress(plain));
    // the frame header descriptor's reserved bit
    const b = z.slice();
    b[4] = nth(b, 4) | 0x08;
    let r = await one(b);
    expect(r.error).toBeInstanceOf(DbnZstdError);
    expect((r.error as DbnZstdError).compressedOffset).toBeTypeOf('number');
    expect((r.error as Error).message).toMatch(/compressed offset \d+/);
    // cut inside the frame
    r = await one(z.subarray(0, z.length - 3));
    expect(r.error).toBeInstanceOf(DbnZstdError);
    expect((r.error as Error).message).toMatch(/truncated compressed data|corrupt/);
    // garbage after a good frame: the records of the good frame are delivered first
    const bad = new Uint8Array([...z, 0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    r = await one(bad);
    expect(r.error).toBeInstanceOf(DbnZstdError);
    expect(r.records).toStrictEqual(recs);
  });

  it('a fragment needs a version; garbage as a fragment fails with a typed error, never silently', async () => {
    const { plain, walk } = await sample();
    const frag = plain.subarray(walk.recordsStart);
    expect((await one(frag)).error).toBeInstanceOf(DbnBadMagicError);
    expect((await one(frag, { version: 3 })).records.length).toBe(10);
    const r = await one(new Uint8Array(100), { version: 3 });
    expect(r.error).toBeInstanceOf(DbnBadRecordLengthError);
    expect((r.error as DbnError).offset).toBe(0);
  });

  it('a missing file is a DbnIoError naming the path', async () => {
    const r = await decodeAll('/nonexistent/dir/x.dbn.zst');
    expect(r.error).toBeInstanceOf(DbnError);
    expect((r.error as Error).message).toContain('/nonexistent/dir/x.dbn.zst');
  });
});
