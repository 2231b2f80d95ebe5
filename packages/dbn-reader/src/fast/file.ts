/**
 * A whole DBN file through the fast path: scanDbn's records in place -> FastEncoder -> a callback per event,
 * with the mapping's symbology (metadata, SymbolMappingMsg records met in the stream, a fallback map) and its
 * record numbering (records of an unknown rtype not counted). A reference wiring (what test/fast-encode.test.ts
 * and the bench run): no time filter and no `unmapped: 'skip'`; the replay's producer, with both and pull-based
 * batches, is batches.ts (`fastEncodedBatches`).
 *
 * The callback sees the reused OutBuffer and offsets: the body is `out.view(r.bodyStart, r.bodyEnd)`, the id
 * `out.view(r.idStart, r.idEnd)`; both valid until the buffer is reset, which this helper does after each call
 * unless `keep` is set (then it grows).
 */
import { basename } from 'node:path';
import type { RawRecord } from '../decode/parser.js';
import { decodeRecord } from '../decode/record.js';
import { decodeDbn, scanDbn } from '../decode/stream.js';
import { layoutTable } from '../layouts.js';
import type { DbnEventKind } from '../mapping.js';
import type { SymbolMappingMsg } from '../records.js';
import { SymbolMap } from '../symbology.js';
import { FastSymbols } from './symbols.js';
import { FastEncoder, OutBuffer, type FastEncoded, type FastReason } from './encode.js';

export interface FastFileOptions {
  kind: DbnEventKind;
  /** name used in message ids (default: the path's base name; required for non-path inputs) */
  fileBaseName?: string;
  /** consulted after the file's own symbology */
  symbols?: SymbolMap | null;
  /** the buffer to write into (default a new one) */
  out?: OutBuffer;
  /** keep every event in the buffer (no reset after each callback) */
  keep?: boolean;
  /** a record not published (invalid or refused) */
  onDrop?: (reason: FastReason, message: string, recordIndex: number) => void;
}

export interface FastFileStats {
  records: number;
  events: number;
  skipped: number;
  invalid: number;
  refused: number;
  unmapped: number;
  symbolMappings: number;
}

/** records with a layout (the mapping counts these); rtypes outside it are unknown and not counted */
const KNOWN: boolean[] = layoutTable(3).map((l) => l !== undefined);

/**
 * Encodes every event of a DBN file (a path or its bytes: the metadata is read first, then the records are
 * scanned) and calls `onEvent` for each, in file order. Returns the counts.
 */
export async function fastEncodeFile(
  input: string | Uint8Array,
  opts: FastFileOptions,
  onEvent: (out: OutBuffer, r: FastEncoded, recordIndex: number) => void,
): Promise<FastFileStats> {
  if (typeof input !== 'string' && opts.fileBaseName === undefined) {
    throw new TypeError('fastEncodeFile: fileBaseName is required when the input is not a file path (message ids name the file)');
  }
  const file = opts.fileBaseName ?? basename(input as string);
  const fileName = typeof input === 'string' ? undefined : file;
  const head = decodeDbn(input, { fileName });
  const meta = await head.metadata();
  await head.close();
  const map = SymbolMap.fromMetadata(meta);
  if (opts.symbols) map.fallback = opts.symbols;
  const symbols = new FastSymbols(map);
  const enc = new FastEncoder({ kind: opts.kind, fileBaseName: file, dataset: meta?.dataset ?? null });
  const out = opts.out ?? new OutBuffer();
  const keep = opts.keep === true;
  const kind = opts.kind;
  const stats: FastFileStats = { records: 0, events: 0, skipped: 0, invalid: 0, refused: 0, unmapped: 0, symbolMappings: 0 };
  let index = 0;
  await scanDbn(
    input,
    (raw: RawRecord): void => {
      const rt = raw.rtype;
      // the mapping numbers the records the decoder yields: unknown rtypes (no layout) are not counted
      if (KNOWN[rt] !== true) return;
      const idx = index++;
      if (rt === 0x16) {
        symbols.apply(decodeRecord(raw.bytes, raw.offset, { version: raw.version, tsOut: raw.tsOut }) as SymbolMappingMsg);
        stats.symbolMappings++;
        return;
      }
      // the kinds' rtypes, as the mapping selects them (others are skipped before any symbol lookup)
      if (kind === 'mbp10' ? rt !== 0x0a : rt !== 0x00 && !(kind === 'options' && rt === 0x01)) {
        stats.skipped++;
        return;
      }
      const v = raw.view;
      const id = v.getUint32(raw.offset + 4, true);
      let sym = symbols.symbolFor(id, v.getUint32(raw.offset + 36, true), v.getUint32(raw.offset + 32, true));
      if (sym === null) {
        stats.unmapped++;
        sym = symbols.unmappedSymbol(id);
      }
      const r = enc.encode(raw, idx, sym, out);
      if (r === null) {
        const why = enc.reason ?? 'refused';
        if (why === 'skipped') stats.skipped++;
        else {
          stats[why]++;
          opts.onDrop?.(why, enc.message(), idx);
        }
        return;
      }
      stats.events++;
      onEvent(out, r, idx);
      if (!keep) out.reset();
    },
    { fileName },
  );
  stats.records = index;
  return stats;
}
