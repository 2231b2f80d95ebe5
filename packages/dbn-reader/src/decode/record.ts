/**
 * Record decoders by DBN version: the compiled per-rtype decoders (layouts.ts), upgraded to the v3
 * layout when asked (compat.ts), shared by the stream parser and `decodeRecord` (one record).
 */
import { upgraderFor } from '../compat.js';
import { RECORD_HEADER_LEN } from '../constants.js';
import { DbnBadRecordLengthError, DbnTruncatedError } from '../errors.js';
import { compileDecoder, layoutTable, type Layout, type RecordDecoder } from '../layouts.js';
import type { AnyDbnRecord } from '../records.js';
import { byteAt, intAt } from '../indexing.js';

const compiled = new Map<string, RecordDecoder>();
function compileDecoderCached(l: Layout, tsOut: boolean): RecordDecoder {
  const k = `${l.name}:${tsOut}`;
  let d = compiled.get(k);
  if (d === undefined) {
    d = compileDecoder(l, tsOut);
    compiled.set(k, d);
  }
  return d;
}

/** What the parser needs per rtype (index 0..255) for one version / ts_out / upgrade combination. */
export interface DecoderTable {
  /** the decoder of each rtype; undefined for an rtype without a layout (skipped by its length) */
  readonly decoders: ReadonlyArray<RecordDecoder | undefined>;
  /** smallest valid record size of each rtype in bytes (layout + ts_out); 0 for unknown rtypes */
  readonly minSize: Int32Array;
}

const tables = new Map<string, DecoderTable>();

/** The (cached) decoder table of DBN `version` (1..3). Decoders are pure: one table serves every stream. */
export function decoderTable(version: number, tsOut: boolean, upgrade: boolean): DecoderTable {
  const key = `${version}:${tsOut}:${upgrade}`;
  let t = tables.get(key);
  if (t === undefined) {
    const minSize = new Int32Array(256);
    const decoders = layoutTable(version).map((l: Layout | undefined, rtype): RecordDecoder | undefined => {
      if (l === undefined) return undefined;
      minSize[rtype] = l.size + (tsOut ? 8 : 0);
      const dec = compileDecoderCached(l, tsOut);
      const up = upgrade ? upgraderFor(version, rtype) : undefined;
      return up === undefined ? dec : (dv: DataView, u8: Uint8Array, o: number, size: number) => up(dec(dv, u8, o, size));
    });
    t = { decoders, minSize };
    tables.set(key, t);
  }
  return t;
}

export function hex1(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/**
 * Decodes the one record at `bytes[offset]` (its header gives its size). Returns null for an
 * unknown rtype. `version` is the layout the bytes are in (default 3); with `upgradePolicy`
 * 'upgrade' (default) a v1/v2 record is returned in the v3 layout.
 */
export function decodeRecord(
  bytes: Uint8Array,
  offset = 0,
  opts: { version?: number; tsOut?: boolean; upgradePolicy?: 'upgrade' | 'as-is' } = {},
): AnyDbnRecord | null {
  const version = opts.version ?? 3;
  if (version !== 1 && version !== 2 && version !== 3) throw new RangeError(`decodeRecord: version must be 1, 2 or 3, got ${version}`);
  const tsOut = opts.tsOut ?? false;
  const { decoders, minSize } = decoderTable(version, tsOut, (opts.upgradePolicy ?? 'upgrade') === 'upgrade');
  if (bytes.length - offset < RECORD_HEADER_LEN) {
    throw new DbnTruncatedError(`decodeRecord: ${bytes.length - offset} bytes, less than a record header`, { offset });
  }
  // the header (16 bytes from offset) is there: checked just above
  const size = byteAt(bytes, offset) << 2;
  const rtype = byteAt(bytes, offset + 1);
  if (size < RECORD_HEADER_LEN) {
    throw new DbnBadRecordLengthError(`record length ${size} bytes is below the 16-byte header`, size, rtype, { offset });
  }
  if (offset + size > bytes.length) {
    throw new DbnTruncatedError(`record declares ${size} bytes but only ${bytes.length - offset} are there`, { offset });
  }
  const dec = decoders[rtype];
  if (dec === undefined) return null;
  if (size < intAt(minSize, rtype)) {
    throw new DbnBadRecordLengthError(`record of rtype 0x${hex1(rtype)} is ${size} bytes, too short for its layout`, size, rtype, {
      offset,
    });
  }
  return dec(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, offset, size);
}
