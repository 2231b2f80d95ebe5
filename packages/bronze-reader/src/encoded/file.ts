/**
 * One Bronze file -> EncodedBatch (readBronzeFile's encoded form): the same windows of rows (fileWindows), each
 * row encoded by the table's encoder. Throws BronzeError after yielding the rows read before the failure.
 */
import type { EncodedBatch, EventSource } from '@md/event-types';
import { fileWindows, WINDOW, type FileReadContext } from '../file-reader.js';
import type { BronzeTable } from '../tables.js';
import { BatchBuilder } from './batch-builder.js';
import { OptionTradesEncoder } from './option-trades.js';
import type { RowEncoder, RowEncoderOptions } from './row-encoder.js';

/** the tables with an encoded form, their subject tables and encoders */
const ENCODERS: Partial<Record<BronzeTable, { subjects: readonly string[]; make: (o: RowEncoderOptions) => RowEncoder }>> = {
  option_trades: { subjects: OptionTradesEncoder.subjects, make: (o) => new OptionTradesEncoder(o) },
};

/** the tables readBronzeEncoded reads */
export const ENCODED_TABLES: readonly BronzeTable[] = Object.freeze(Object.keys(ENCODERS) as BronzeTable[]);

export interface EncodedContext {
  /** EncodedBatch keys from ts_recv_ns (else ts_event_ns) */
  byRecv: boolean;
  source: EventSource;
  onRefused: ((msgId: string, message: string) => void) | undefined;
}

/** a builder of batches of `rows` rows of the table */
export function builderFor(ctx: FileReadContext, e: EncodedContext, rows: number): BatchBuilder {
  const enc = ENCODERS[ctx.spec.table];
  if (enc === undefined) throw new TypeError(`readBronzeEncoded: no encoded form of ${ctx.spec.table} (${ENCODED_TABLES.join(', ')})`);
  return new BatchBuilder(rows, e.byRecv, enc.subjects, e.source);
}

export async function* readBronzeFileEncoded(
  path: string,
  ctx: FileReadContext,
  e: EncodedContext,
): AsyncGenerator<EncodedBatch, void, undefined> {
  // the object path's batches exactly (a batch ends when full or at the end of a window): the files of an hour
  // are then read as far ahead as there, and their invalid rows reported in the same order
  const builder = builderFor(ctx, e, Math.min(ctx.batchSize, WINDOW));
  const enc = (ENCODERS[ctx.spec.table] as { make: (o: RowEncoderOptions) => RowEncoder }).make({
    path,
    ctx,
    builder,
    source: e.source,
    onRefused: e.onRefused,
  });
  try {
    for await (const w of fileWindows(path, ctx)) {
      enc.window(w);
      const n = w.b - w.a;
      for (let i = 0; i < n;) {
        i = enc.rows(i);
        const b = builder.take();
        if (b !== null) yield b;
      }
    }
  } catch (err) {
    const rest = builder.take();
    if (rest !== null) yield rest;
    throw err;
  }
  const rest = builder.take();
  if (rest !== null) yield rest;
}
