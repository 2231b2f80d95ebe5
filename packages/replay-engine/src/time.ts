/** Replay time windows: a point in time is a time of day (applied to each replayed date) or an absolute instant. */

export type TimeSpec = { kind: 'time-of-day'; ns: bigint; text: string } | { kind: 'instant'; ns: bigint; text: string };

export const DAY_NS = 86_400_000_000_000n;

/** Unix ns of 00:00:00 UTC of a 'YYYY-MM-DD' date */
export function dayStartNs(date: string): bigint {
  return BigInt(Date.parse(`${date}T00:00:00Z`)) * 1_000_000n;
}

/** the Unix ns a TimeSpec means on `date` */
export function resolveTime(spec: TimeSpec, date: string): bigint {
  return spec.kind === 'instant' ? spec.ns : dayStartNs(date) + spec.ns;
}

const NY = 'America/New_York';
const offsetFmt = new Intl.DateTimeFormat('en-US', { timeZone: NY, timeZoneName: 'longOffset', year: 'numeric' });

/** the offset of America/New_York from UTC at an instant (ms since the epoch), in minutes (-300 EST, -240 EDT) */
export function newYorkOffsetMinutes(utcMs: number): number {
  const name = offsetFmt.formatToParts(new Date(utcMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!m) throw new RangeError(`unexpected time zone offset ${JSON.stringify(name)} for ${NY}`);
  if (m[1] === undefined) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/**
 * Unix ns of a wall-clock time in New York on a 'YYYY-MM-DD' date (Intl's time zone data, so daylight saving
 * is right on every date, the change days included; times in the skipped or repeated hour are not needed here).
 */
export function newYorkTimeNs(date: string, hour: number, minute: number): bigint {
  const wallAsUtc = Date.parse(`${date}T00:00:00Z`) + (hour * 60 + minute) * 60_000;
  let utc = wallAsUtc - newYorkOffsetMinutes(wallAsUtc) * 60_000;
  utc = wallAsUtc - newYorkOffsetMinutes(utc) * 60_000; // the offset at the instant itself
  return BigInt(utc) * 1_000_000n;
}

/** where a session starts on a date: null for 'full' (the whole day), 09:30 / 04:00 New York for 'rth' / 'premarket' */
export function sessionStartNs(date: string, session: 'full' | 'rth' | 'premarket'): bigint | null {
  if (session === 'rth') return newYorkTimeNs(date, 9, 30);
  if (session === 'premarket') return newYorkTimeNs(date, 4, 0);
  return null;
}
