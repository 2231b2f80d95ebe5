/**
 * `dbn FILE... -J|-C|-T [options]`: Databento's form of the command (its crate dbn-cli). The inputs are decoded
 * as-is (or upgraded with -u), merged by index timestamp when there are several (src/cli-merge.ts), filtered
 * (--schema), limited (-l) and written as NDJSON (src/cli-json.ts) or CSV/TSV (src/cli-csv.ts) to stdout or -o
 * FILE (src/cli-output.ts). Streams: one decoded batch per input at a time, output written with backpressure.
 */
import { SCHEMA_NAMES, schemaId, type SchemaName } from './constants.js';
import { csvHeader, csvRow, type CsvOptions } from './cli-csv.js';
import { metadataToDbnJson, recordToDbnJson } from './cli-json.js';
import { indexTs, mergeMetadata, mergeRecordBatches } from './cli-merge.js';
import type { DbnTranscodeArgs } from './cli-options.js';
import { openOutput, type Out } from './cli-output.js';
import { decodeDbn, type DbnStream } from './decode/stream.js';
import { layoutTable } from './layouts.js';
import type { DbnMetadata } from './metadata.js';
import type { AnyDbnRecord } from './records.js';
import { SymbolMap } from './symbology.js';

/** The record type of each schema (Databento's `RType::from(Schema)`), in SCHEMA_NAMES order. */
const SCHEMA_RTYPES: readonly number[] = [
  0xa0, 0x01, 0x0a, 0x01, 0x00, 0x20, 0x21, 0x22, 0x23, 0x13, 0x18, 0x12, 0x14, 0x24, 0xb1, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4,
];

export function schemaRtype(schema: SchemaName): number {
  return SCHEMA_RTYPES[SCHEMA_NAMES.indexOf(schema)]!;
}

/** CSV holds one record type: a second one (a mixed-schema file or merge) is an error, as in Databento's encoder. */
export class CsvMixedSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvMixedSchemaError';
  }
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** Databento's `--pretty` JSON: the same object indented by 4 spaces (64-bit values are strings: exact). */
function indent(json: string): string {
  return JSON.stringify(JSON.parse(json), null, 4);
}

async function closeAll(streams: DbnStream<AnyDbnRecord>[]): Promise<void> {
  await Promise.all(streams.map((s) => s.close().catch(() => undefined)));
}

/** Runs the Databento form; errors are thrown (decoder errors name the file and byte offset). */
export async function runTranscode(args: DbnTranscodeArgs): Promise<void> {
  const names = args.files.map((f) => (f === '-' ? '<stdin>' : f));
  const fragVersion = args.isFragment ? (args.inputDbnVersion ?? 3) : undefined;
  const streams = args.files.map(
    (f, i) =>
      decodeDbn(f === '-' ? process.stdin : f, {
        upgradePolicy: args.upgrade ? 'upgrade' : 'as-is',
        version: fragVersion,
        fileName: names[i],
      }) as DbnStream<AnyDbnRecord>,
  );
  try {
    let meta: DbnMetadata | null = null;
    if (!args.isFragment) {
      const metas: DbnMetadata[] = [];
      for (const s of streams) metas.push((await s.metadata())!);
      meta = mergeMetadata(metas, names);
      if (args.schema !== undefined) meta = { ...meta, schema: args.schema, schemaId: schemaId(args.schema) };
    }
    const out = await openOutput(args.output, { force: args.force, zstd: args.compress });
    try {
      if (args.metadata) {
        const m = metadataToDbnJson(meta!, args.pretty);
        await out.line(args.pretty ? indent(m) : m);
        return;
      }
      await writeRecords(args, streams, meta, fragVersion ?? 3, out);
    } finally {
      await out.end();
    }
  } finally {
    await closeAll(streams);
  }
}

async function writeRecords(
  args: DbnTranscodeArgs,
  streams: DbnStream<AnyDbnRecord>[],
  meta: DbnMetadata | null,
  fragVersion: number,
  out: Out,
): Promise<void> {
  const version = args.upgrade ? 3 : (meta?.version ?? fragVersion);
  const table = layoutTable(version);
  const only = args.schema !== undefined ? schemaRtype(args.schema) : undefined;
  const symbols = args.mapSymbols ? SymbolMap.fromMetadata(meta) : undefined;
  const limit = args.limit ?? Infinity;
  const csv: CsvOptions | undefined =
    args.encoding === 'json'
      ? undefined
      : { delimiter: args.encoding === 'tsv' ? '\t' : ',', pretty: args.pretty, tsOut: meta?.tsOut ?? false, withSymbol: args.mapSymbols };
  // CSV: the record type of the schema (its header is written even for 0 records); fragments: the first record's
  let csvRtype: number | undefined;
  if (csv !== undefined && meta !== null) {
    if (meta.schema === null) throw new CsvMixedSchemaError("can't encode a CSV with mixed schemas (pass --schema to pick one)");
    csvRtype = schemaRtype(meta.schema);
    if (!args.omitHeader) await out.line(csvHeader(table[csvRtype]!, csv));
  }
  let n = 0;
  for await (const batch of mergeRecordBatches(streams.map((s) => s.batches()))) {
    for (const rec of batch) {
      const rt = rec.hd.rtype;
      if (only !== undefined && rt !== only) continue;
      const layout = table[rt];
      if (layout === undefined) continue;
      const sym = symbols?.symbolFor(rec.hd.instrument_id, indexTs(rec));
      if (csv === undefined) {
        const line = recordToDbnJson(rec, version, args.pretty, symbols === undefined ? undefined : (sym ?? null));
        await out.line(args.pretty ? indent(line) : line);
      } else {
        if (csvRtype === undefined) {
          csvRtype = rt;
          if (!args.omitHeader) await out.line(csvHeader(layout, csv));
        } else if (rt !== csvRtype)
          throw new CsvMixedSchemaError(
            `schema indicated rtype ${hex(csvRtype)}, but record #${n} has rtype ${hex(rt)}; mixed schemas cannot be encoded in CSV (pass --schema to pick one)`,
          );
        await out.line(csvRow(rec, layout, csv, sym));
      }
      if (++n >= limit) return;
    }
  }
}
