/**
 * One table's date as one stream, for both readers (read.ts: event objects, encoded/read.ts: EncodedBatches):
 * the date-level part files and the hours (each hour's part files merged, hours outside [startNs, endNs) and
 * empty hours skipped and counted), a file that cannot be read recorded as a BronzeError (or handed to
 * onFileError) after the rows it gave, and the walk stopped after the hour of the first broken file.
 */
import type { BronzeDateFiles } from './discovery.js';
import { BronzeError } from './errors.js';
import type { BronzeStats } from './file-reader.js';

const HOUR_NS = 3_600_000_000_000n;

export function dayStartNs(date: string): bigint {
  return BigInt(Date.parse(`${date}T00:00:00Z`)) * 1_000_000n;
}

export interface DayWalk<B> {
  listing: BronzeDateFiles;
  table: string;
  date: string;
  /** `<partition key>=<value> date=<date>`, for warnings */
  where: string;
  startNs?: bigint;
  endNs?: bigint;
  stats: BronzeStats;
  warn?: (msg: string) => void;
  onFileError?: (e: BronzeError) => void;
  readFile(path: string): AsyncIterable<B>;
  merge(inputs: AsyncIterable<B>[]): AsyncIterable<B>;
}

/** the merged stream of the date, and the errors of broken files met on the way (read once the stream ended) */
export function walkDay<B>(w: DayWalk<B>): { merged: AsyncIterable<B>; errors: BronzeError[] } {
  const { listing, stats, warn, onFileError } = w;
  const errors: BronzeError[] = [];
  async function* safeFile(path: string): AsyncGenerator<B, void, undefined> {
    try {
      yield* w.readFile(path);
    } catch (e) {
      const err =
        e instanceof BronzeError ? e : new BronzeError('corrupt', path, `cannot read the file: ${(e as Error).message}`, { cause: e });
      stats.failedFiles++;
      if (onFileError) onFileError(err);
      else errors.push(err);
    }
  }
  const day0 = dayStartNs(w.date);
  async function* hours(): AsyncGenerator<B, void, undefined> {
    for (const h of listing.hours) {
      const h0 = day0 + BigInt(Number(h.hour)) * HOUR_NS;
      if ((w.startNs !== undefined && h0 + HOUR_NS <= w.startNs) || (w.endNs !== undefined && h0 >= w.endNs)) continue;
      stats.hours++;
      if (h.files.length === 0) {
        stats.emptyHours++;
        warn?.(`Bronze ${w.table} ${w.where} hour=${h.hour} has no part files (${h.dir})`);
        continue;
      }
      yield* w.merge(h.files.map(safeFile));
      if (errors.length > 0) return; // stop after the hour of the first broken file
    }
  }
  const merged = listing.dateLevelFiles.length === 0 ? hours() : w.merge([...listing.dateLevelFiles.map(safeFile), hours()]);
  return { merged, errors };
}
