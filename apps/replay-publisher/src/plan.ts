/** From a parsed configuration and the data root's contents to the list of (date, kinds) to replay; config errors before anything connects. */
import { existsSync, statSync } from 'node:fs';
import { ConfigError, resolveTime, type ReplayConfig } from './config.js';
import type { IncludeKinds } from './replayer.js';
import type { ReplaySource } from './source.js';
import { KINDS, type ReplayKind } from './stats.js';

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
  if (!existsSync(dir)) throw new ConfigError(`data root ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new ConfigError(`data root ${dir} is not a directory`);
}

export async function planReplay(cfg: ReplayConfig, source: ReplaySource, rootName: string): Promise<ReplayPlan> {
  const byKind: Record<ReplayKind, Set<string>> = { trades: new Set(), options: new Set(), mbp10: new Set() };
  for (const k of KINDS) for (const d of await source.availableDates(k)) byKind[k].add(d);
  const all = [...new Set(KINDS.flatMap((k) => [...byKind[k]]))].sort();
  if (all.length === 0) throw new ConfigError(`data root ${rootName} has no DBN files (${LAYOUT_HINT})`);

  const wanted = (k: ReplayKind): boolean | 'auto' => (k === 'trades' ? cfg.trades : k === 'mbp10' ? cfg.mbp10 : cfg.options);
  const usable = (d: string) => KINDS.filter((k) => wanted(k) !== false && byKind[k].has(d));
  let dates: string[];
  if (cfg.dates.length) {
    for (const d of cfg.dates) {
      if (!all.includes(d)) {
        throw new ConfigError(`no DBN files for ${d} under data root ${rootName} (available: ${all.length > 6 ? `${all.slice(0, 3).join(', ')} ... ${all.slice(-3).join(', ')}` : all.join(', ')})`);
      }
    }
    dates = [...cfg.dates].sort();
  } else if (cfg.continuous) {
    dates = all.filter((d) => usable(d).length > 0);
  } else {
    const candidates = all.filter((d) => usable(d).length > 0);
    dates = candidates.length ? [candidates[candidates.length - 1]] : [all[all.length - 1]];
  }
  const warnings: string[] = [];
  const perDate: Record<string, ReplayKind[]> = {};
  for (const d of dates) {
    if (cfg.options === true && !byKind.options.has(d)) throw new ConfigError(`--options: no options file for ${d} under ${rootName} (options/opra-pillar-${d.replace(/-/g, '')}.trades.dbn[.zst])`);
    const ks = usable(d);
    if (ks.length === 0) throw new ConfigError(`nothing to replay for ${d} under ${rootName}: no file of the included kinds (${KINDS.filter((k) => wanted(k) !== false).join(', ')})`);
    for (const k of ['trades', 'mbp10'] as const) if (wanted(k) === true && !byKind[k].has(d)) warnings.push(`${d}: no ${k} file: replaying without it`);
    perDate[d] = ks;
  }
  const start = cfg.start;
  const end = cfg.end;
  for (const d of dates) {
    const s = start ? resolveTime(start, d) : null;
    const e = end ? resolveTime(end, d) : null;
    if (s !== null && e !== null && e <= s) throw new ConfigError(`--end (${end!.text}) is not after --start (${start!.text}) on ${d}`);
  }
  return {
    dates,
    kinds: { trades: cfg.trades, mbp10: cfg.mbp10, options: cfg.options },
    perDate,
    start: (d) => (start ? resolveTime(start, d) : null),
    end: (d) => (end ? resolveTime(end, d) : null),
    warnings,
  };
}
