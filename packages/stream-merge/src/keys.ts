/**
 * Ready-made ordering keys. The caller chooses the ordering:
 *  - by event time (`ts_event`): what the event contract requires on the wire (non-decreasing `ts_event_ns`);
 *    DBN files are sorted by receive time, so `ts_event` can step backwards: use a reorder window.
 *  - by receive time (`ts_recv`): Databento's own merge order; DBN inputs are already sorted by it (window 0n).
 */

/** `{ event: { ts_event_ns } }`, e.g. a Publishable from @md/event-types. */
export const eventTimeKey = (p: { event: { ts_event_ns: bigint } }): bigint => p.event.ts_event_ns;
/** `{ event: { ts_recv_ns } }`, e.g. a Publishable from @md/event-types. */
export const recvTimeKey = (p: { event: { ts_recv_ns: bigint } }): bigint => p.event.ts_recv_ns;
/** A raw DBN record from @md/dbn-reader: `hd.ts_event`. */
export const dbnEventTimeKey = (r: { hd: { ts_event: bigint } }): bigint => r.hd.ts_event;
/** A raw DBN record from @md/dbn-reader: `ts_recv`. */
export const dbnRecvTimeKey = (r: { ts_recv: bigint }): bigint => r.ts_recv;

export type Ordering = 'ts_event' | 'ts_recv';

/** The key for an ordering, for items shaped `{ event: { ts_event_ns, ts_recv_ns } }`. */
export function orderingKey(ordering: Ordering): (p: { event: { ts_event_ns: bigint; ts_recv_ns: bigint } }) => bigint {
  if (ordering === 'ts_event') return eventTimeKey;
  if (ordering === 'ts_recv') return recvTimeKey;
  throw new TypeError(`orderingKey: unknown ordering ${JSON.stringify(ordering)} (expected 'ts_event' or 'ts_recv')`);
}
