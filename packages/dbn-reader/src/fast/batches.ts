/**
 * A DBN file -> EncodedBatch (@md/event-types), one batch per FAST_BATCH_BYTES of records: the fast replay
 * lane's producer (issue 12). Pull-based: records are encoded when the consumer asks for the next batch; nothing
 * holds more than one read chunk and the batch made from it; breaking out of the loop closes the file.
 *
 * Exactly what the object path publishes for the same file and options (mapping.ts's mapDbnFile with
 * `kind`, `start`/`end`/`filterOn`/`endSlackNs`, `unmapped`, `symbols`, then @md/event-types `encode` of each
 * event): the same rows in the same order, byte-identical bodies and message ids, the same warnings (symbology
 * problems of the metadata, one per unmapped instrument, invalid records), the same early stop. Records the
 * codec refuses (a timestamp above INT64_MAX, an empty symbol: the object path lets them through the mapping
 * and the publish fails) are absent from the batches and go to `onRefused` with their message id and the
 * EncodeError's text.
 */
import { basename } from 'node:path';
import type { EncodedBatch, EventSource } from '@md/event-types';
import type { RawRecord } from '../decode/parser.js';
import { decodeRecord } from '../decode/record.js';
import type { DbnInput } from '../decode/source.js';
import { drive } from '../decode/stream.js';
import { layoutTable } from '../layouts.js';
import type { DbnMetadata } from '../metadata.js';
import { UNMAPPED_PREFIX, type DbnEventKind, type MapStats, type MapWarning } from '../mapping.js';
import { dbnMsgId } from '../msg-id.js';
import type { SymbolMappingMsg } from '../records.js';
import { SymbolMap } from '../symbology.js';
import { BatchBuilder } from './builder.js';
import { FAST_SUBJECTS, FastEncoder } from './encode.js';
import { FastSymbols } from './symbols.js';
import { below, fastWindow } from './window.js';

export interface FastBatchOptions {
  kind: DbnEventKind;
  /** name used in message ids (default: the path's base name; required for non-path inputs) */
  fileBaseName?: string;
  /** extra symbology consulted after the file's own (metadata + SymbolMappingMsg), e.g. a symbology.json */
  symbols?: SymbolMap | null;
  /** the key of each row (keyHi / keyLo): ts_event (default) or ts_recv; tsHi / tsLo are always ts_event */
  order?: 'ts_event' | 'ts_recv';
  /** the bodies' `source` (default 'replay'; 'sim' for the generated sample session) */
  source?: EventSource;
  /** keep events with key >= start (Unix ns); see MapFileOptions */
  start?: bigint;
  /** keep events with key < end (Unix ns) */
  end?: bigint;
  /** timestamp start/end apply to (default 'ts_event') */
  filterOn?: 'ts_event' | 'ts_recv';
  /** see MapFileOptions.endSlackNs (default 60 s) */
  endSlackNs?: bigint;
  /** see MapFileOptions.unmapped */
  unmapped?: 'fallback' | 'skip';
  /** the object path's warnings, the same objects and messages */
  onWarning?: (w: MapWarning) => void;
  /** a record the codec refuses: its message id and the EncodeError's message */
  onRefused?: (msgId: string, message: string) => void;
  /** read size for file paths (default FAST_READ_SIZE, 64 KiB) */
  chunkSize?: number;
  /** a batch ends after about this many bytes of records (default FAST_BATCH_BYTES, 16 KiB) */
  batchBytes?: number;
}

/** MapStats of the file so far, plus the records the codec refused (not in any batch) */
export interface FastBatchStats extends MapStats {
  refused: number;
}

/** What `fastEncodedBatches` returns: the batches (once), with running stats. */
export interface FastEncodedBatches extends AsyncIterable<EncodedBatch> {
  readonly stats: FastBatchStats;
}

/**
 * How many bytes of DBN records make one batch by default (~340 trades or ~44 MBP-10 books, ~100 KB of bodies and
 * ids), whatever the read size. Small batches die young: the scavenger frees them, the malloc arena reuses their
 * memory, and they stay in the CPU caches. With one batch per 1 MiB read (~5.5 MB of bytes for trades) each one
 * outlived the young generation and waited in old space for a full collection (V8 lets ~64 MB of dead
 * ArrayBuffers pile up before one), and the freed blocks fragmented the arena: a 10M-event replay to stdout
 * peaked at ~212 MB RSS; with 16 KiB batches ~95 MB.
 */
export const FAST_BATCH_BYTES = 16 * 1024;
/**
 * The fast lane's read size: a read is one thread-pool round trip (16 KiB reads: ~7% of a replay's samples, 1.6 s
 * of system time for 10M events; 64 KiB: 0.9 s). Larger reads (1 MiB) were no faster and left the peak RSS of a
 * 10M-event replay at ~165 MB instead of ~96 MB (measured, not understood: the read buffers are reused).
 */
export const FAST_READ_SIZE = 64 * 1024;

/** records with a layout (the object path numbers these); rtypes outside it are unknown and not counted */
const KNOWN: boolean[] = layoutTable(3).map((l) => l !== undefined);

/** See the module comment. The file is opened on the first pull. */
export function fastEncodedBatches(input: DbnInput, opts: FastBatchOptions): FastEncodedBatches {
  if (typeof input !== 'string' && opts.fileBaseName === undefined) {
    throw new TypeError('fastEncodedBatches: fileBaseName is required when the input is not a file path (message ids name the file)');
  }
  const kind = opts.kind;
  if (kind !== 'trades' && kind !== 'mbp10' && kind !== 'options') {
    throw new TypeError(`fastEncodedBatches: kind must be 'trades', 'mbp10' or 'options', got ${String(kind)}`);
  }
  const stats: FastBatchStats = { records: 0, events: 0, filtered: 0, unmapped: 0, skipped: 0, symbolMappings: 0, invalid: 0, refused: 0 };
  let claimed = false;
  return {
    stats,
    [Symbol.asyncIterator](): AsyncIterator<EncodedBatch> {
      if (claimed) throw new Error('fastEncodedBatches: the batches can be iterated only once');
      claimed = true;
      return run(input, opts, stats);
    },
  };
}

async function* run(input: DbnInput, o: FastBatchOptions, stats: FastBatchStats): AsyncGenerator<EncodedBatch, void, undefined> {
  const kind = o.kind;
  const file = o.fileBaseName ?? basename(input as string);
  const fileName = typeof input !== 'string' ? file : undefined;
  const warn = o.onWarning;
  const onRefused = o.onRefused;
  const skipUnmapped = o.unmapped === 'skip';
  const win = fastWindow(o);
  const { start, end, onRecv, stopAt } = win;
  const filtering = start !== null || end !== null;
  const builder = new BatchBuilder(o.order === 'ts_recv', o.source ?? 'replay');
  const warnedIds = new Set<number>();
  // set up once the metadata is known (before the first record)
  let enc: FastEncoder | null = null;
  let symbols: FastSymbols | null = null;
  let index = 0;
  let stopped = false;

  const init = (meta: DbnMetadata | null): void => {
    const map = SymbolMap.fromMetadata(meta);
    if (o.symbols) map.fallback = o.symbols;
    if (warn) for (const w of map.warnings) warn({ kind: 'symbology', message: w.message, file });
    symbols = new FastSymbols(map);
    enc = new FastEncoder({ kind, fileBaseName: file, dataset: meta?.dataset ?? null, source: o.source ?? 'replay' });
  };

  const onRaw = (raw: RawRecord): boolean => {
    const rt = raw.rtype;
    if (KNOWN[rt] !== true) return true;
    if (enc === null) init(d.parser.metadata);
    const idx = index++;
    if (rt === 0x16) {
      (symbols as FastSymbols).apply(decodeRecord(raw.bytes, raw.offset, { version: raw.version, tsOut: raw.tsOut }) as SymbolMappingMsg);
      stats.symbolMappings++;
      return true;
    }
    // the kind's rtypes, as the mapping selects them
    if (kind === 'mbp10' ? rt !== 0x0a : rt !== 0x00 && !(kind === 'options' && rt === 0x01)) {
      stats.skipped++;
      return true;
    }
    const v = raw.view;
    const at = raw.offset;
    const rvLo = v.getUint32(at + 32, true);
    const rvHi = v.getUint32(at + 36, true);
    if (stopAt !== null && !below(rvHi, rvLo, stopAt)) {
      stopped = true;
      return false;
    }
    const evLo = v.getUint32(at + 8, true);
    const evHi = v.getUint32(at + 12, true);
    if (filtering) {
      const kHi = onRecv ? rvHi : evHi;
      const kLo = onRecv ? rvLo : evLo;
      if ((start !== null && below(kHi, kLo, start)) || (end !== null && !below(kHi, kLo, end))) {
        stats.filtered++;
        return true;
      }
    }
    const id = v.getUint32(at + 4, true);
    const fs = symbols as FastSymbols;
    let sym = fs.symbolFor(id, rvHi, rvLo);
    if (sym === null) {
      stats.unmapped++;
      if (!warnedIds.has(id)) {
        warnedIds.add(id);
        warn?.({
          kind: 'unmapped',
          message: `instrument ${id} has no symbol mapping at ts_recv ${u64(rvHi, rvLo)}${skipUnmapped ? '; its records are skipped' : `; published as ${UNMAPPED_PREFIX}${id}`}`,
          file,
          recordIndex: idx,
          instrumentId: id,
        });
      }
      if (skipUnmapped) return true;
      sym = fs.unmappedSymbol(id);
    }
    const e = enc as FastEncoder;
    const r = e.encode(raw, idx, sym, builder.out);
    if (r === null) {
      if (e.reason === 'invalid') {
        stats.invalid++;
        warn?.({ kind: 'invalid', message: e.message(), file, recordIndex: idx, instrumentId: id });
      } else if (e.reason === 'refused') {
        stats.refused++;
        if (onRefused !== undefined) {
          const subject = FAST_SUBJECTS[kind === 'trades' ? 0 : kind === 'options' ? 1 : 2] as string;
          const msgId = dbnMsgId(subject, id, u64(rvHi, rvLo), v.getUint32(at + 44, true), { fileBaseName: file, recordIndex: idx });
          onRefused(msgId, e.message());
        }
      }
      return true;
    }
    builder.push(r, evHi, evLo, rvHi, rvLo);
    return true;
  };

  const d = drive(
    input,
    { fileName, chunkSize: o.chunkSize ?? FAST_READ_SIZE, upgradePolicy: 'as-is' },
    onRaw,
    o.batchBytes ?? FAST_BATCH_BYTES,
  );
  const take = (): EncodedBatch | null => {
    stats.records = index;
    const b = builder.finish();
    if (b !== null) stats.events += b.length;
    return b;
  };
  try {
    for (;;) {
      let r: IteratorResult<unknown>;
      try {
        r = await d.batches.next();
      } catch (err) {
        // every event before a fault is delivered before the error is thrown
        const b = take();
        if (b !== null) yield b;
        throw err;
      }
      if (r.done) break;
      if (enc === null && d.parser.metaKnown) init(d.parser.metadata);
      const b = take();
      if (b !== null) yield b;
      if (stopped) return;
    }
    if (enc === null) init(d.parser.metadata);
    const b = take();
    if (b !== null) yield b;
  } finally {
    await d.batches.return(undefined);
  }
}

/** the exact value of two u32 halves (for messages and ids off the hot path) */
function u64(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}
