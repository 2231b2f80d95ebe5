/**
 * Shared helpers of the core-*.test.ts suites: the fixture directory, a tiny independent DBN reader
 * (plain DataView reads at the offsets of docs/dbn-format.md, no code shared with src/), random record
 * generators driven by the layout tables (with @md/test-support's seeded Rng), and byte sources.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decompress as zstdOneShot } from 'zstd-napi';
import type { Rng } from '@md/test-support';
import {
  decodeDbn,
  DbnError,
  UNDEF_PRICE,
  UNDEF_TIMESTAMP,
  type AnyDbnRecord,
  type DbnMetadata,
  type DecodeOptions,
} from '../src/index.js';
import { layoutTable, type Layout } from '../src/layouts.js';
import { nth } from './narrow.js';

const here = dirname(fileURLToPath(import.meta.url));
/** DBN_FIXTURES_DIR, else ../../../shared/fixtures/dbn relative to the package */
export const FIXTURES_DIR = process.env.DBN_FIXTURES_DIR ?? resolve(here, '..', '..', '..', '..', 'shared', 'fixtures', 'dbn');
export const HAVE_FIXTURES = existsSync(FIXTURES_DIR);
export function warnIfNoFixtures(suite: string): void {
  if (!HAVE_FIXTURES) {
    console.warn(`${suite}: skipped, DBN fixtures not found at ${FIXTURES_DIR} (set DBN_FIXTURES_DIR)`);
  }
}

export interface Fixture {
  name: string;
  path: string;
  /** schema part of the name, e.g. 'trades', 'mbp-10', 'definition' */
  family: string;
  /** DBN version: from the prelude for full files, from the name for fragments (untagged fragment = v2) */
  version: 1 | 2 | 3;
  zstd: boolean;
  fragment: boolean;
  multiFrame: boolean;
}

export function listFixtures(): Fixture[] {
  if (!HAVE_FIXTURES) return [];
  return readdirSync(FIXTURES_DIR)
    .filter((f) => /\.dbn(\.frag)?(\.zst)?$/.test(f))
    .sort()
    .map((name) => {
      const path = join(FIXTURES_DIR, name);
      const fragment = name.includes('.dbn.frag');
      const zstd = name.endsWith('.zst');
      const m = /\.v(\d)\.dbn/.exec(name);
      let version: number;
      if (!fragment) version = nth(plainBytesOf(path), 3, 'version byte');
      else version = m ? Number(m[1]) : 2;
      const family = name.replace(/^(test_data|multi-frame)\./, '').replace(/\.(v\d\.)?dbn.*$/, '');
      return {
        name,
        path,
        family,
        version: version as 1 | 2 | 3,
        zstd,
        fragment,
        multiFrame: name.startsWith('multi-frame'),
      };
    });
}

/** The file's bytes, decompressed (with zstd-napi's one-shot API, not src/zstd.ts) when .zst */
export function plainBytesOf(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (raw.length >= 4 && raw.readUInt32LE(0) === 0xfd2fb528) return new Uint8Array(zstdOneShot(raw));
  return new Uint8Array(raw);
}

// ---------------------------------------------------------------------------------------------
// independent reader: walks a plain DBN byte array with DataView at the documented offsets

export interface RawWalk {
  version: number;
  metadataLength: number;
  /** offset of the first record */
  recordsStart: number;
  /** [offset, size, rtype] of each record */
  records: Array<{ offset: number; size: number; rtype: number }>;
}

/** Walks the records of plain bytes (`fragmentVersion` given: no prelude). Throws on malformed data. */
export function rawWalk(bytes: Uint8Array, fragmentVersion?: number): RawWalk {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let version = fragmentVersion ?? 0;
  let metadataLength = 0;
  if (fragmentVersion === undefined) {
    if (String.fromCharCode(dv.getUint8(0), dv.getUint8(1), dv.getUint8(2)) !== 'DBN') throw new Error('no DBN prelude');
    version = dv.getUint8(3);
    metadataLength = dv.getUint32(4, true);
    pos = 8 + metadataLength;
  }
  const recordsStart = pos;
  const records: RawWalk['records'] = [];
  while (pos < bytes.length) {
    const size = dv.getUint8(pos) * 4;
    if (size < 16 || pos + size > bytes.length) throw new Error(`bad record at ${pos}`);
    records.push({ offset: pos, size, rtype: dv.getUint8(pos + 1) });
    pos += size;
  }
  return { version, metadataLength, recordsStart, records };
}

const td = new TextDecoder();
/** NUL-terminated text of an N-byte field */
export function rawStr(bytes: Uint8Array, at: number, n: number): string {
  let e = at;
  while (e < at + n && bytes[e] !== 0) e++;
  return td.decode(bytes.subarray(at, e));
}

/** Trade/MBP-1/MBP-10 fields read directly at the offsets of docs/dbn-format.md §3, §5.1 */
export function rawMbp(bytes: Uint8Array, o: number, levels: number): Record<string, unknown> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r: Record<string, unknown> = {
    length: bytes[o],
    rtype: bytes[o + 1],
    publisher_id: dv.getUint16(o + 2, true),
    instrument_id: dv.getUint32(o + 4, true),
    ts_event: dv.getBigUint64(o + 8, true),
    price: dv.getBigInt64(o + 16, true),
    size: dv.getUint32(o + 24, true),
    action: String.fromCharCode(dv.getUint8(o + 28)),
    side: String.fromCharCode(dv.getUint8(o + 29)),
    flags: bytes[o + 30],
    depth: bytes[o + 31],
    ts_recv: dv.getBigUint64(o + 32, true),
    ts_in_delta: dv.getInt32(o + 40, true),
    sequence: dv.getUint32(o + 44, true),
  };
  if (levels > 0) {
    const lv: Array<Record<string, unknown>> = [];
    for (let i = 0; i < levels; i++) {
      const b = o + 48 + 32 * i;
      lv.push({
        bid_px: dv.getBigInt64(b, true),
        ask_px: dv.getBigInt64(b + 8, true),
        bid_sz: dv.getUint32(b + 16, true),
        ask_sz: dv.getUint32(b + 20, true),
        bid_ct: dv.getUint32(b + 24, true),
        ask_ct: dv.getUint32(b + 28, true),
      });
    }
    r.levels = lv;
  }
  return r;
}

/** the decoder's record flattened to the shape of rawMbp (header fields at the top) */
export function flatMbp(rec: AnyDbnRecord): Record<string, unknown> {
  const { hd, rtype: _r, ...rest } = rec as unknown as { hd: Record<string, unknown>; rtype: number } & Record<string, unknown>;
  void _r;
  return { ...hd, ...rest };
}

// ---------------------------------------------------------------------------------------------
// decoding helpers

export interface DecodeResult {
  records: AnyDbnRecord[];
  metadata: DbnMetadata | null;
  error: unknown;
  skippedUnknown: number;
}

/** Decodes everything, collecting the records delivered before any error (never throws). */
export async function decodeAll(input: Parameters<typeof decodeDbn>[0], opts: DecodeOptions = {}): Promise<DecodeResult> {
  const s = decodeDbn(input, opts as DecodeOptions & { upgradePolicy: 'as-is' });
  const records: AnyDbnRecord[] = [];
  let error: unknown;
  try {
    for await (const r of s) records.push(r);
  } catch (e) {
    error = e;
  }
  let metadata: DbnMetadata | null = null;
  try {
    metadata = await s.metadata();
  } catch {
    metadata = null;
  }
  return { records, metadata, error, skippedUnknown: s.stats.skippedUnknown };
}

/** Rejects after `ms` (a hang guard around one async case) */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** yields `bytes` in pieces of `size` (or of sizes cycling through `size` when it is an array) */
export async function* chunked(bytes: Uint8Array, size: number | number[]): AsyncGenerator<Uint8Array> {
  const sizes = Array.isArray(size) ? size : [size];
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = nth(sizes, k++ % sizes.length, 'chunk size');
    // fresh copies: a source may reuse nothing the decoder keeps
    yield bytes.slice(i, i + n);
    i += n;
  }
}

export function isDbnError(e: unknown): e is DbnError {
  return e instanceof DbnError;
}

// ---------------------------------------------------------------------------------------------
// random records of every type, from the layout tables

const STR_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .-_/:';

function randomValue(rng: Rng, type: string): unknown {
  switch (type) {
    case 'u8':
      return rng.pick([0, 255, rng.int(0, 255)]);
    case 'i8':
      return rng.pick([-128, 127, rng.int(-128, 127)]);
    case 'u16':
      return rng.pick([0, 65535, rng.int(0, 65535)]);
    case 'i16':
      return rng.pick([-32768, 32767, rng.int(-32768, 32767)]);
    case 'u32':
      return rng.pick([0, 4294967295, rng.u32()]);
    case 'i32':
      return rng.pick([-2147483648, 2147483647, rng.u32() | 0]);
    case 'u64':
      return rng.pick([0n, UNDEF_TIMESTAMP, 2n ** 63n - 1n, 1609160400099150057n + BigInt(rng.u32()), rng.u64()]);
    case 'i64':
      return rng.pick([
        UNDEF_PRICE,
        -(2n ** 63n),
        -3720250000000n,
        3720250000000n + BigInt(rng.int(-1000, 1000)) * 250000000n,
        BigInt.asIntN(64, rng.u64()),
      ]);
    case 'c':
      return rng.pick(['\0', 'A', 'B', 'N', 'T', '~', String.fromCharCode(rng.int(32, 126))]);
    default: {
      const n = Number(type.slice(1));
      const len = rng.pick([0, n, rng.int(0, n)]);
      let s = '';
      for (let i = 0; i < len; i++) s += STR_ALPHABET[rng.int(0, STR_ALPHABET.length - 1)];
      return s;
    }
  }
}

function randomLevel(rng: Rng, consolidated: boolean): Record<string, unknown> {
  const base = {
    bid_px: randomValue(rng, 'i64'),
    ask_px: randomValue(rng, 'i64'),
    bid_sz: randomValue(rng, 'u32'),
    ask_sz: randomValue(rng, 'u32'),
  };
  return consolidated
    ? { ...base, bid_pb: randomValue(rng, 'u16'), ask_pb: randomValue(rng, 'u16') }
    : { ...base, bid_ct: randomValue(rng, 'u32'), ask_ct: randomValue(rng, 'u32') };
}

/** A random record of `rtype` in the DBN `version` layout, shaped exactly as the decoder yields it. */
export function randomRecord(rng: Rng, rtype: number, version: 1 | 2 | 3, tsOut: boolean): AnyDbnRecord {
  const layout: Layout | undefined = layoutTable(version)[rtype];
  if (layout === undefined) throw new Error(`no layout for rtype ${rtype}`);
  const rec: Record<string, unknown> = {
    hd: {
      length: (layout.size + (tsOut ? 8 : 0)) / 4,
      rtype,
      publisher_id: randomValue(rng, 'u16'),
      instrument_id: randomValue(rng, 'u32'),
      ts_event: randomValue(rng, 'u64'),
    },
  };
  for (const [name, type] of layout.fields) {
    if (type === 'ba1' || type === 'ba10' || type === 'cba1') {
      const n = type === 'ba10' ? 10 : 1;
      rec[name] = Array.from({ length: n }, () => randomLevel(rng, type === 'cba1'));
    } else rec[name] = randomValue(rng, type);
  }
  if (tsOut) rec.ts_out = randomValue(rng, 'u64');
  rec.rtype = rtype;
  return rec as unknown as AnyDbnRecord;
}

/** every rtype that has a layout in DBN `version` */
export function knownRtypes(version: 1 | 2 | 3): number[] {
  const out: number[] = [];
  layoutTable(version).forEach((l, r) => {
    if (l !== undefined) out.push(r);
  });
  return out;
}
