/**
 * From the replay's options and the data root's contents to the list of (date, kinds) to replay. Everything that
 * makes a replay impossible is a ReplayPlanError here, before anything connects, reads an event or publishes.
 */
import { existsSync, statSync } from 'node:fs';
import { REPLAY_DEFAULTS, type IncludeKinds } from './defaults.js';
import { ReplayPlanError } from './errors.js';
import type { ReplaySource } from './source.js';
import { KINDS, type ReplayKind } from './stats.js';
import { resolveTime, type TimeSpec } from './time.js';

/** what to replay; every field left out takes REPLAY_DEFAULTS (the latest date, every kind, the whole day) */
export interface ReplayPlanOptions extends Partial<IncludeKinds> {
  /** dates to replay (YYYY-MM-DD); empty: the latest available date (or every date with `continuous`) */
  dates?: readonly string[];
  /** every available date in order, one clock throughout */
  continuous?: boolean;
  /** replay [start, end) of each date on ts_event */
  start?: TimeSpec | null;
  end?: TimeSpec | null;
}

export interface ReplayPlan {
  dates: string[];
  kinds: IncludeKinds;
  /** kinds that will actually be read, per date */
  perDate: Record<string, ReplayKind[]>;
  start: (date: string) => bigint | null;
  end: (date: string) => bigint | null;
  warnings: string[];
}

export const LAYOUT_HINT =
  'expected trades/glbx-mdp3-YYYYMMDD.trades.dbn[.zst], MBP-10/glbx-mdp3-YYYYMMDD.mbp-10.dbn[.zst] or options/opra-pillar-YYYYMMDD.trades.dbn[.zst]';

export function checkDataRootDir(dir: string): void {
  if (!existsSync(dir)) throw new ReplayPlanError('DATA_ROOT_NOT_FOUND', `data root ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new ReplayPlanError('DATA_ROOT_NOT_A_DIRECTORY', `data root ${dir} is not a directory`);
}

/** the last element of a list known not to be empty */
function lastOf<T>(xs: readonly T[]): T {
  const x = xs[xs.length - 1];
  if (x === undefined) throw new RangeError('lastOf: empty list');
  return x;
}

export async function planReplay(opts: ReplayPlanOptions, source: ReplaySource, rootName: string): Promise<ReplayPlan> {
  const kinds: IncludeKinds = {
    trades: opts.trades ?? REPLAY_DEFAULTS.include.trades,
    mbp10: opts.mbp10 ?? REPLAY_DEFAULTS.include.mbp10,
    options: opts.options ?? REPLAY_DEFAULTS.include.options,
  };
  const byKind: Record<ReplayKind, Set<string>> = { trades: new Set(), options: new Set(), mbp10: new Set() };
  for (const k of KINDS) for (const d of await source.availableDates(k)) byKind[k].add(d);
  const all = [...new Set(KINDS.flatMap((k) => [...byKind[k]]))].sort();
  if (all.length === 0) throw new ReplayPlanError('NO_DBN_FILES', `data root ${rootName} has no DBN files (${LAYOUT_HINT})`);

  const usable = (d: string) => KINDS.filter((k) => kinds[k] !== false && byKind[k].has(d));
  const wantedDates = opts.dates ?? [];
  let dates: string[];
  if (wantedDates.length) {
    for (const d of wantedDates) {
      if (!all.includes(d)) {
        throw new ReplayPlanError(
          'DATE_NOT_FOUND',
          `no DBN files for ${d} under data root ${rootName} (available: ${all.length > 6 ? `${all.slice(0, 3).join(', ')} ... ${all.slice(-3).join(', ')}` : all.join(', ')})`,
        );
      }
    }
    dates = [...wantedDates].sort();
  } else if (opts.continuous) {
    dates = all.filter((d) => usable(d).length > 0);
  } else {
    const candidates = all.filter((d) => usable(d).length > 0);
    dates = [lastOf(candidates.length ? candidates : all)];
  }
  const warnings: string[] = [];
  const perDate: Record<string, ReplayKind[]> = {};
  for (const d of dates) {
    if (kinds.options === true && !byKind.options.has(d))
      throw new ReplayPlanError(
        'NO_OPTIONS_FILE',
        `--options: no options file for ${d} under ${rootName} (options/opra-pillar-${d.replace(/-/g, '')}.trades.dbn[.zst])`,
      );
    const ks = usable(d);
    if (ks.length === 0)
      throw new ReplayPlanError(
        'NOTHING_TO_REPLAY',
        `nothing to replay for ${d} under ${rootName}: no file of the included kinds (${KINDS.filter((k) => kinds[k] !== false).join(', ')})`,
      );
    for (const k of ['trades', 'mbp10'] as const)
      if (kinds[k] === true && !byKind[k].has(d)) warnings.push(`${d}: no ${k} file: replaying without it`);
    perDate[d] = ks;
  }
  const start = opts.start ?? null;
  const end = opts.end ?? null;
  if (start && end) {
    for (const d of dates) {
      if (resolveTime(end, d) <= resolveTime(start, d))
        throw new ReplayPlanError('EMPTY_TIME_WINDOW', `--end (${end.text}) is not after --start (${start.text}) on ${d}`);
    }
  }
  return {
    dates,
    kinds,
    perDate,
    start: (d) => (start ? resolveTime(start, d) : null),
    end: (d) => (end ? resolveTime(end, d) : null),
    warnings,
  };
}
