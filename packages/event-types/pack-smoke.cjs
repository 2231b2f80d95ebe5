// Run by tools/pack-check.mjs in a scratch project where the packed tarball is installed (CommonJS).
const assert = require('node:assert/strict');
const { decode, encode, lookup, fixedToFloat, formatFloat } = require('@md/event-types');

const entry = lookup('futures.mbp10.v1');
const ev = {
  ts_event_ns: 1n,
  ts_recv_ns: 2n ** 53n + 1n,
  source: 'sim',
  symbol: 'ESH6',
  levels: Array.from({ length: 10 }, (_, i) => ({ bid_px: i === 9 ? null : 1e-9, bid_sz: i === 9 ? 0 : 1, ask_px: 1e16, ask_sz: 3 })),
  is_snapshot: true,
  seq: 5,
};
const back = decode('market.futures.mbp10', entry.encode(ev));
assert.deepEqual(back, ev);
assert.equal(back.ts_recv_ns, 9007199254740993n);
assert.equal(fixedToFloat(4500250000000n), 4500.25);
assert.equal(formatFloat(1e-5), '1e-05');
assert.equal(require('@md/event-types/schemas/options.greeks.v1.json').title, 'GreeksSnapshot');
assert.throws(() => encode({ ...ev, levels: ev.levels.slice(1) }), /levels/);
