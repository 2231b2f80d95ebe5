// Run by tools/pack-check.mjs in a scratch project where the packed tarball is installed (CommonJS).
const assert = require('node:assert/strict');
const { auditText, isoNs, parseSince, prettyLine } = require('@md/cli');

assert.equal(isoNs(parseSince('1609160400000704060')), '2020-12-28T13:00:00.000704060Z');
assert.equal(typeof auditText, 'function');
const line = prettyLine(7, 'market.futures.trades', {
  ts_event_ns: 1609160400000704060n,
  ts_recv_ns: 1609160400000711344n,
  source: 'replay',
  symbol: 'ESH1',
  price: 3720.25,
  size: 1,
  aggressor: -1,
  exchange: 'CME',
  conditions: null,
  seq: 1170352,
});
assert.equal(line, '2020-12-28T13:00:00.000704060Z market.futures.trades #7 ESH1 3720.25 x 1 sell [replay]');
