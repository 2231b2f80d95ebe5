// Run by tools/pack-check.mjs in a scratch project where the packed tarball is installed (CommonJS).
const assert = require('node:assert/strict');
const { mergeByKey, mergeBatchesByKey, ReplayClock, pace, paceBatches, eventTimeKey } = require('@md/stream-merge');
(async () => {
  const ev = (kind, t) => ({ kind, event: { ts_event_ns: 1702900800000000000n + t, ts_recv_ns: 0n } });
  async function* gen(xs) {
    for (const x of xs) yield x;
  }

  const merged = mergeByKey([gen([ev('t', 1n), ev('t', 5n)]), gen([ev('o', 5n)]), gen([ev('m', 3n), ev('m', 2n), ev('m', 6n)])], {
    key: eventTimeKey,
    reorderWindowNs: 1n,
  });
  const out = [];
  for await (const e of pace(merged, new ReplayClock({ speed: 0 }), eventTimeKey)) out.push(`${e.kind}${e.event.ts_event_ns % 10n}`);
  assert.deepEqual(out, ['t1', 'm2', 'm3', 't5', 'o5', 'm6']);
  assert.equal(merged.stats.late, 0);

  const clock = new ReplayClock({ speed: 1 });
  const t0 = performance.now();
  const groups = [];
  const mb = mergeBatchesByKey([[[ev('a', 0n), ev('a', 20_000_000n)]], [[ev('b', 10_000_000n)]]], { key: eventTimeKey });
  for await (const g of paceBatches(mb, clock, eventTimeKey)) groups.push(g.map((e) => e.kind).join(''));
  assert.deepEqual(groups.join('|').replace(/\|/g, ''), 'aba');
  assert.ok(performance.now() - t0 >= 19, 'speed 1 paced 20 ms of event time');
  assert.equal(clock.stats().releases, 3);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
