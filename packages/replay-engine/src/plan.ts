/**
 * From the replay's options and the data root's contents to the list of (date, kinds) to replay. Everything that
 * makes a replay impossible is a ReplayPlanError here, before anything connects, reads an event or publishes.
 */
import { existsSync, statSync } from 'node:fs';
import { REPLAY_DEFAULTS, type IncludeKinds, type ReplaySession } from './defaults.js';
import { ReplayPlanError } from './errors.js';
import type { ReplaySource } from './source.js';
import { isoNs, KINDS, type ReplayKind } from './stats.js';
import { resolveTime, sessionStartNs, type TimeSpec } from './time.js';

/** what to replay; every field left out takes REPLAY_DEFAULTS (every date, futures trades + MBP-10, the whole day) */
export interface ReplayPlanOptions extends Partial<IncludeKinds> {
  /** dates to replay (YYYY-MM-DD); empty: every available date in ascending order (`latest`: the latest only) */
  dates?: readonly string[];
  /** no dates given: only the latest available date (the behaviour before the seed's defaults) */
  latest?: boolean;
  /** every available date in order, one clock throughout */
  continuous?: boolean;
  /** replay [start, end) of each date on ts_event */
  start?: TimeSpec | null;
  end?: TimeSpec | null;
  /** where each date starts: 'full' (the whole day), 'rth' (09:30 New York), 'premarket' (04:00 New York) */
  session?: ReplaySession;
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

const KIND_TEXT: Record<ReplayKind, string> = {
  trades: 'trades',
  stockTrades: 'stock trades',
  options: 'options',
  stockQuotes: 'stock quotes',
  mbp10: 'mbp10',
};

/** the included kinds, every one left out taking REPLAY_DEFAULTS */
export function includeKinds(opts: Partial<IncludeKinds>): Required<IncludeKinds> {
  const d = REPLAY_DEFAULTS.include;
  return {
    trades: opts.trades ?? d.trades,
    mbp10: opts.mbp10 ?? d.mbp10,
    options: opts.options ?? d.options,
    stockTrades: opts.stockTrades ?? d.stockTrades,
    stockQuotes: opts.stockQuotes ?? d.stockQuotes,
  };
}

export async function planReplay(opts: ReplayPlanOptions, source: ReplaySource, rootName: string): Promise<ReplayPlan> {
  const kinds = includeKinds(opts);
  await source.check?.();
  const byKind: Record<ReplayKind, Set<string>> = {
    trades: new Set(),
    stockTrades: new Set(),
    options: new Set(),
    stockQuotes: new Set(),
    mbp10: new Set(),
  };
  for (const k of KINDS) for (const d of await source.availableDates(k)) byKind[k].add(d);
  const all = [...new Set(KINDS.flatMap((k) => [...byKind[k]]))].sort();
  if (all.length === 0)
    throw new ReplayPlanError(
      'NO_DBN_FILES',
      `data root ${rootName} has no DBN files (${LAYOUT_HINT})${source.bronzeHint ? ' and no Bronze data of the included tables' : ''}`,
    );

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
    dates = [...new Set(wantedDates)].sort();
  } else {
    const candidates = all.filter((d) => usable(d).length > 0);
    const latest = opts.latest ?? (opts.continuous ? false : REPLAY_DEFAULTS.dates === 'latest');
    dates = latest ? [lastOf(candidates.length ? candidates : all)] : candidates.length ? candidates : [lastOf(all)];
  }
  if (kinds.options === true && !dates.some((d) => byKind.options.has(d))) {
    const d = dates[0] ?? '';
    throw new ReplayPlanError(
      'NO_OPTIONS_FILE',
      `--options: no options file for ${dates.length > 1 ? `any of ${dates[0]} .. ${lastOf(dates)}` : d} under ${rootName} ` +
        `(options/opra-pillar-${d.replace(/-/g, '')}.trades.dbn[.zst]${source.bronzeHint ? `, or ${source.bronzeHint('options', d)}` : ''})`,
    );
  }
  const warnings: string[] = [];
  const perDate: Record<string, ReplayKind[]> = {};
  for (const d of dates) {
    const ks = usable(d);
    if (ks.length === 0)
      throw new ReplayPlanError(
        'NOTHING_TO_REPLAY',
        `nothing to replay for ${d} under ${rootName}: no file of the included kinds (${KINDS.filter((k) => kinds[k] !== false)
          .map((k) => KIND_TEXT[k])
          .join(', ')})`,
      );
    // a date missing a kind that was asked for replays what it has: one warning per date
    const missing = KINDS.filter((k) => kinds[k] === true && !byKind[k].has(d)).map((k) => KIND_TEXT[k]);
    if (missing.length) warnings.push(`${d}: no ${missing.join(', no ')} file: replaying without it`);
    perDate[d] = ks;
  }
  const session = opts.session ?? REPLAY_DEFAULTS.session;
  const given = opts.start ?? null;
  const end = opts.end ?? null;
  /** --start, or the session start, whichever is later */
  const startOf = (d: string): bigint | null => {
    const a = given ? resolveTime(given, d) : null;
    const b = sessionStartNs(d, session);
    if (a === null) return b;
    if (b === null) return a;
    return a > b ? a : b;
  };
  if (end) {
    for (const d of dates) {
      const s = startOf(d);
      if (s !== null && resolveTime(end, d) <= s)
        throw new ReplayPlanError(
          'EMPTY_TIME_WINDOW',
          `--end (${end.text}) is not after ${given && (session === 'full' || startOf(d) === resolveTime(given, d)) ? `--start (${given.text})` : `the ${session} session start (${isoNs(s)})`} on ${d}`,
        );
    }
  }
  return {
    dates,
    kinds,
    perDate,
    start: startOf,
    end: (d) => (end ? resolveTime(end, d) : null),
    warnings,
  };
}
