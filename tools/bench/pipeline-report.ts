/**
 * The rows of tools/bench/pipeline.ts (one median per row over the runs, ratios as the median of the per-run
 * ratios to the row's baseline measured in the same run) and the printed table.
 */
import { fmt, load, load1, median } from './pipeline-util.ts';

export interface Row {
  name: string;
  events: number;
  secs: number[];
  loads: string[];
  baseline?: string;
  note?: string;
  /** not measured: why (e.g. "n/a (flag not available)") */
  na?: string;
}

export class Rows {
  readonly map = new Map<string, Row>();

  /** a row that could not run (the reason is printed in its place) */
  na(key: string, name: string, why: string): void {
    if (!this.map.has(key)) this.map.set(key, { name, events: 0, secs: [], loads: [], na: why });
    console.log(`  ${name}: ${why}`);
  }

  record(key: string, name: string, events: number, secs: number, baseline?: string): void {
    let r = this.map.get(key);
    if (!r) this.map.set(key, (r = { name, events, secs: [], loads: [], baseline }));
    r.secs.push(secs);
    r.loads.push(load1());
    console.log(`  ${name}: ${fmt(events / secs)} events/s (${secs.toFixed(2)} s, load ${load()})`);
  }

  note(key: string, note: string): void {
    const r = this.map.get(key);
    if (r) r.note = note;
  }

  /** the median rate of a measured row, or null */
  rate(key: string): number | null {
    const r = this.map.get(key);
    return r && !r.na && r.secs.length ? r.events / median(r.secs) : null;
  }

  /** a row's rate / its baseline's rate in run i (both measured in that run) */
  runRatio(key: string, i: number, baseKey?: string): number | null {
    const r = this.map.get(key);
    const base = this.map.get(baseKey ?? r?.baseline ?? '');
    const a = r?.secs[i];
    const b = base?.secs[i];
    if (!r || !base || r.na || base.na || a === undefined || b === undefined) return null;
    return r.events / a / (base.events / b);
  }

  /** the median of a row's per-run ratios to its baseline (or to `baseKey`) */
  ratio(key: string, baseKey?: string): number | null {
    const r = this.map.get(key);
    if (!r) return null;
    const qs = r.secs.map((_, i) => this.runRatio(key, i, baseKey)).filter((q): q is number => q !== null);
    return qs.length ? median(qs) : null;
  }
}

const BASE_NAME: Record<string, string> = { '1': 'floor', '5': 'ceiling' };

export function line(name: string, r: string, sec: string, ratio: string, ld: string, note = ''): void {
  console.log(`${name.padEnd(50)} ${r.padStart(11)} ${sec.padStart(8)}  ${ratio.padEnd(14)} ${ld.padStart(6)}  ${note}`);
}

export function header(): void {
  line('case', 'events/s', 'seconds', 'ratio', 'load1', 'note');
}

export function show(rows: Rows, key: string): void {
  const r = rows.map.get(key);
  if (!r) return;
  if (r.na) return line(r.name, r.na, '-', '-', '', r.note ?? '');
  const q = rows.ratio(key);
  const ratio = q !== null ? `${q.toFixed(2)}x ${BASE_NAME[r.baseline!] ?? r.baseline}` : '1.00x (baseline)';
  line(r.name, fmt(rows.rate(key)!), median(r.secs).toFixed(2), ratio, r.loads.at(-1) ?? '', r.note);
}

/**
 * The ceiling check: in every run, every app JetStream figure must be below the ceiling measured in that run
 * (a "ceiling" the app beats is not one). Prints each run's ratios; returns whether it held everywhere.
 */
export function ceilingCheck(rows: Rows, keys: readonly string[], runs: number): boolean | null {
  const ceiling = rows.map.get('5');
  if (!ceiling || ceiling.na) return null;
  let ok = true;
  for (let i = 0; i < runs; i++) {
    const parts: string[] = [];
    for (const k of keys) {
      const q = rows.runRatio(k, i, '5');
      if (q === null) continue;
      if (q >= 1) ok = false;
      const name = rows.map.get(k)!.name;
      const label = `${name.slice(0, 2)}${name.endsWith('--object-path') ? ' --object-path' : ''}`;
      parts.push(`${label} ${q.toFixed(2)}x${q >= 1 ? ' (ABOVE)' : ''}`);
    }
    console.log(`  run ${i + 1}: ceiling ${fmt(ceiling.events / ceiling.secs[i]!)} msg/s; app / ceiling: ${parts.join(', ')}`);
  }
  return ok;
}
