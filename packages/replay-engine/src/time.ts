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
