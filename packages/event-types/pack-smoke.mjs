// Run by tools/pack-check.mjs in a scratch project where the packed tarball is installed (ESM).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { decode, encode, encodeToString, parseOptionTicker, SUBJECTS, FuturesTradeSchema } from '@md/event-types';

const ev = {
  ts_event_ns: 1702900800123456789n,
  ts_recv_ns: 9223372036854775807n,
  source: 'replay',
  symbol: 'ESH6',
  price: 676,
  size: 2,
  aggressor: -1,
  exchange: 'CME',
  conditions: null,
  seq: null,
};
const bytes = encode(ev, SUBJECTS.futuresTrades);
assert.ok(bytes instanceof Uint8Array);
assert.equal(
  encodeToString(ev),
  '{"ts_event_ns":1702900800123456789,"ts_recv_ns":9223372036854775807,"source":"replay","symbol":"ESH6","price":676.0,"size":2,"aggressor":-1,"exchange":"CME","conditions":null,"seq":null}',
);
assert.deepEqual(decode(SUBJECTS.futuresTrades, bytes), ev);
assert.ok(FuturesTradeSchema.safeParse(ev).success);
assert.deepEqual(parseOptionTicker('O:SPY251216C00676000'), { underlying: 'SPY', expDate: '2025-12-16', right: 'C', strike: 676 });
// the JSON Schema files ship in the package and resolve through the exports map
const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@md/event-types/schemas/futures.trades.v1.json'), 'utf8'));
assert.equal(schema.title, 'FuturesTrade');
assert.deepEqual(schema.required, Object.keys(ev));
