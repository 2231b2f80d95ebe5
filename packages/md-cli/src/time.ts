/**
 * Exact nanosecond times for `md`: `--since` values (a duration back from now, an ISO 8601 time with up to 9
 * fractional digits, or Unix nanoseconds) and ISO text with 9 fractional digits. bigint throughout: a Unix ns
 * time (~1.8e18) is far past 2^53, where a JavaScript number steps by 256 ns.
 */
import { ConfigError } from '@md/app-kit';

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: NS_PER_MS,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  min: 60n * NS_PER_S,
  h: 3600n * NS_PER_S,
  d: 86_400n * NS_PER_S,
};

const DURATION = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|min|h|d)$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

/** `5m`, `1.5h`, `250ms` -> ns (exact); null when `text` is not a duration */
export function parseRelative(text: string): bigint | null {
  const m = DURATION.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  const [int = '0', frac = ''] = m[1].split('.');
  const unit = UNIT_NS[m[2]] ?? 1n;
  return (BigInt(int + frac) * unit) / 10n ** BigInt(frac.length);
}

/**
 * An ISO 8601 time -> Unix ns: `2026-12-01`, `2026-12-01T14:30:00Z`, `2026-12-01T14:30:00.123456789Z`,
 * `2026-12-01T09:30:00-05:00`; no zone means UTC. null when `text` is not one; a RangeError for a date or time
 * that does not exist (`2026-02-30`).
 */
export function parseIsoNs(text: string): bigint | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7).map((x) => x ?? '0');
  const frac = m[7] ?? '';
  const zone = (m[8] ?? 'Z').toUpperCase();
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const back = new Date(ms);
  if (
    back.getUTCFullYear() !== Number(y) ||
    back.getUTCMonth() !== Number(mo) - 1 ||
    back.getUTCDate() !== Number(d) ||
    back.getUTCHours() !== Number(h) ||
    back.getUTCMinutes() !== Number(mi) ||
    back.getUTCSeconds() !== Number(s)
  ) {
    throw new RangeError(`${text} is not a real date and time`);
  }
  let offsetMin = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const fracNs = frac === '' ? 0n : BigInt(frac.padEnd(9, '0'));
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * NS_PER_MS + fracNs;
}

/**
 * `--since` -> the earliest ts_event_ns to show: a duration back from `nowNs` (`5m`, `2h`, `1d`), an ISO 8601
 * time, or a Unix ns integer (`1765898100112000000`, taken exactly). ConfigError naming `name` otherwise.
 */
export function parseSince(text: string, name = '--since', nowNs: bigint = BigInt(Date.now()) * NS_PER_MS): bigint {
  const t = text.trim();
  if (/^\d+$/.test(t)) return BigInt(t);
  const rel = parseRelative(t);
  if (rel !== null) return nowNs - rel;
  let iso: bigint | null;
  try {
    iso = parseIsoNs(t);
  } catch (e) {
    throw new ConfigError(`${name}: ${(e as Error).message}`, { option: name, value: text });
  }
  if (iso !== null) return iso;
  throw new ConfigError(
    `${name} must be a duration back from now (5m, 2h, 1d), an ISO 8601 time (2026-12-01T14:30:00Z) or Unix nanoseconds, got ${JSON.stringify(text)}`,
    { option: name, value: text },
  );
}

/** Unix ns -> `2026-12-01T14:30:00.123456789Z` (always 9 fractional digits; exact) */
export function isoNs(ns: bigint): string {
  let s = ns / NS_PER_S;
  let f = ns % NS_PER_S;
  if (f < 0n) {
    s -= 1n;
    f += NS_PER_S;
  }
  const base = new Date(Number(s) * 1000).toISOString(); // whole seconds: exact as a number
  return `${base.slice(0, 19)}.${f.toString().padStart(9, '0')}Z`;
}
