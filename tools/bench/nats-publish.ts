/**
 * Benchmark: end-to-end FuturesTrade events/s stored in JetStream (file storage, 1 replica, loopback,
 * count checked on the stream afterwards) through @md/nats-bus's JetStreamPublisher in 'ack' mode
 * (window 1024) and 'batch' mode, against ceilings measured in the same run with already-encoded
 * messages of the same size:
 *   (a) nats.js js.publish() with a window of 1024 outstanding acks (msgID + schema header),
 *   (b) plain core publishes (msg id + schema headers) into the stream's subject, then a flush
 *       (and a wait until the stream holds them all).
 *
 * Run from the repo root after building the packages:
 *   (cd packages/event-types && npx tsup) && (cd packages/nats-bus && npx tsup)
 *   npx tsx tools/bench/nats-publish.ts [--events 200000] [--runs 3] [--mix] [--url nats://...]
 * --stream-events N (default 1,000,000): a final batch-mode run generating events on the fly, peak RSS printed.
 * --mix: every third event is an MBP-10 book (~0.9 KB body) on market.futures.mbp10 instead of a trade.
 * Env: BENCH_EVENTS, BENCH_RUNS. Without --url a local nats-server is started (temporary store).
 */
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { encode, lookup, STREAM_NAME, SUBJECTS, type FuturesTrade, type MBP10, type Publishable } from '@md/event-types';
import { connectBus, ensureStream, JetStreamPublisher } from '@md/nats-bus';
import { startNatsServer, type LocalNatsServer } from '@md/nats-bus/testing';
import { at } from './narrow.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 && process.argv[i + 1]) || def;
}
const N = Number(arg('events', process.env.BENCH_EVENTS ?? '200000'));
const RUNS = Number(arg('runs', process.env.BENCH_RUNS ?? '3'));
const URL_ARG = arg('url', '');
const MIX = process.argv.includes('--mix');
const STREAM_N = Number(arg('stream-events', process.env.BENCH_STREAM_EVENTS ?? '1000000'));
const STREAM = STREAM_NAME;
const SUBJECT = SUBJECTS.futuresTrades;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? at(s, m) : (at(s, m - 1) + at(s, m)) / 2;
};
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

function makeEvents(n: number, runTag: string): Publishable[] {
  const out: Publishable[] = [];
  const t0 = 1_702_900_800_123_456_789n;
  for (let i = 0; i < n; i++) {
    const ts = t0 + BigInt(i) * 1_000n;
    if (MIX && i % 3 === 2) {
      const book: MBP10 = {
        ts_event_ns: ts,
        ts_recv_ns: ts + 4_567n,
        source: 'replay',
        symbol: 'ESH6',
        levels: Array.from({ length: 10 }, (_, k) => ({
          bid_px: 4_700 + (i % 400) * 0.25 - k * 0.25,
          bid_sz: 1 + ((i + k) % 50),
          ask_px: 4_700.25 + (i % 400) * 0.25 + k * 0.25,
          ask_sz: 1 + ((i + 3 * k) % 50),
        })),
        is_snapshot: false,
        seq: 100_000_000 + i,
      };
      out.push({
        subject: SUBJECTS.futuresMbp10,
        event: book,
        msgId: `${SUBJECTS.futuresMbp10}:5482:${ts + 4_567n}:${100_000_000 + i}:bench-${runTag}.dbn:${i}`,
      });
      continue;
    }
    const ev: FuturesTrade = {
      ts_event_ns: ts,
      ts_recv_ns: ts + 4_567n,
      source: 'replay',
      symbol: 'ESH6',
      price: 4_700 + (i % 400) * 0.25,
      size: 1 + (i % 17),
      aggressor: ((i % 3) - 1) as 1 | -1 | 0,
      exchange: 'CME',
      conditions: null,
      seq: 100_000_000 + i,
    };
    out.push({ subject: SUBJECT, event: ev, msgId: `${SUBJECT}:5482:${ts + 4_567n}:${100_000_000 + i}:bench-${runTag}.dbn:${i}` });
  }
  return out;
}

async function freshStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(STREAM).catch(() => undefined);
  await ensureStream(nc, { name: STREAM });
}

async function storedCount(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(STREAM)).state.messages;
}

async function waitForCount(nc: NatsConnection, n: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await storedCount(nc)) < n) {
    if (Date.now() > deadline) throw new Error(`stream holds ${await storedCount(nc)} of ${n} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Scenario = { name: string; run: (nc: NatsConnection, evs: Publishable[], bodies: Uint8Array[]) => Promise<void> };
const schemaOf = (subject: string) => lookup(subject).schemaId;

const scenarios: Scenario[] = [
  {
    name: 'ceiling (a): js.publish, window 1024, pre-encoded',
    run: async (nc, evs, bodies) => {
      const js = jetstream(nc);
      const W = 1024;
      const inflight = new Set<Promise<unknown>>();
      for (let i = 0; i < evs.length; i++) {
        const e = at(evs, i);
        const h = headers();
        h.set('md-schema', schemaOf(e.subject));
        const p: Promise<unknown> = js.publish(e.subject, at(bodies, i), { msgID: e.msgId, headers: h }).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= W) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    },
  },
  {
    name: 'ceiling (b): core publish + flush, pre-encoded',
    run: async (nc, evs, bodies) => {
      for (let i = 0; i < evs.length; i++) {
        const e = at(evs, i);
        const h = headers();
        h.set('Nats-Msg-Id', e.msgId);
        h.set('md-schema', schemaOf(e.subject));
        nc.publish(e.subject, at(bodies, i), { headers: h });
        if ((i & 1023) === 0) await new Promise<void>((r) => setImmediate(r));
      }
      await nc.flush();
      await waitForCount(nc, evs.length);
    },
  },
  {
    name: "JetStreamPublisher 'ack' (window 1024), encoding included",
    run: async (nc, evs) => {
      const pub = new JetStreamPublisher(nc, { mode: 'ack', window: 1024 });
      for (const e of evs) await pub.publish(e);
      await pub.close();
      if (pub.stats.acked !== evs.length || pub.stats.failed) throw new Error(`ack mode stats ${JSON.stringify(pub.stats)}`);
    },
  },
  {
    name: "JetStreamPublisher 'batch', encoding included",
    run: async (nc, evs) => {
      const pub = new JetStreamPublisher(nc, { mode: 'batch' });
      for (const e of evs) await pub.publish(e);
      await pub.close();
      if (pub.stats.acked !== evs.length || pub.stats.failed) throw new Error(`batch mode stats ${JSON.stringify(pub.stats)}`);
    },
  },
  {
    name: "JetStreamPublisher 'batch', pre-encoded (publishEncoded)",
    run: async (nc, evs, bodies) => {
      const pub = new JetStreamPublisher(nc, { mode: 'batch' });
      for (let i = 0; i < evs.length; i++) {
        const e = at(evs, i);
        await pub.publishEncoded(e.subject, at(bodies, i), e.msgId, schemaOf(e.subject));
      }
      await pub.close();
      if (pub.stats.acked !== evs.length || pub.stats.failed) throw new Error(`batch mode stats ${JSON.stringify(pub.stats)}`);
    },
  },
];

async function main(): Promise<void> {
  let server: LocalNatsServer | null = null;
  let url = URL_ARG;
  if (!url) {
    server = await startNatsServer();
    url = server.url;
  }
  const nc = await connectBus({ servers: url, name: 'bench-nats-publish' });
  const reg = lookup(SUBJECT);
  const sample = reg.encode(at(makeEvents(1, 'x'), 0).event as never);
  const what = MIX
    ? `events, 2/3 FuturesTrade (~${sample.length} B body) + 1/3 MBP-10 (~${encode(at(makeEvents(3, 'x'), 2).event).length} B body)`
    : `FuturesTrade events (~${sample.length} B body)`;
  console.log(
    `nats-publish bench: ${N.toLocaleString('en-US')} ${what} x ${RUNS} runs, ` +
      `nats-server at ${url}${server ? ' (local, file storage, 1 replica)' : ''}, node ${process.version}`,
  );

  // codec cost alone, for reference
  {
    const evs = makeEvents(Math.min(N, 100_000), 'codec');
    const t0 = performance.now();
    for (const e of evs) encode(e.event, e.subject);
    const dt = (performance.now() - t0) / 1000;
    console.log(`codec encode only: ${fmt(evs.length / dt)} events/s`);
  }

  const rates = new Map<string, number[]>();
  for (let r = 0; r < RUNS; r++) {
    for (const sc of scenarios) {
      // fresh ids per run and scenario: nothing is a duplicate
      const evs = makeEvents(N, `${r}-${sc.name.length}-${Math.random().toString(36).slice(2, 8)}`);
      const bodies = evs.map((e) => encode(e.event, e.subject));
      await freshStream(nc);
      if (global.gc) global.gc();
      const t0 = performance.now();
      await sc.run(nc, evs, bodies);
      const dt = (performance.now() - t0) / 1000;
      const stored = await storedCount(nc);
      if (stored !== N) throw new Error(`${sc.name}: stream holds ${stored}, expected ${N}`);
      const rate = N / dt;
      (rates.get(sc.name) ?? rates.set(sc.name, []).get(sc.name)!).push(rate);
      console.log(`  run ${r + 1}: ${sc.name}: ${fmt(rate)} events/s (${dt.toFixed(2)} s, stored ${stored})`);
    }
  }

  const med = new Map([...rates].map(([k, v]) => [k, median(v)]));
  const a = med.get(at(scenarios, 0).name)!;
  const b = med.get(at(scenarios, 1).name)!;
  console.log(`\nmedians over ${RUNS} runs (events/s stored exactly once; ratio vs ceiling (a) js.publish / (b) core):`);
  for (const sc of scenarios) {
    const m = med.get(sc.name)!;
    console.log(`  ${sc.name.padEnd(58)} ${fmt(m).padStart(10)}   ${(m / a).toFixed(2)}x (a)   ${(m / b).toFixed(2)}x (b)`);
  }
  const batch = med.get(at(scenarios, 3).name)!;
  // bounded memory: events generated on the fly (nothing held by the bench) through the batch publisher
  {
    await freshStream(nc);
    if (global.gc) global.gc();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const pub = new JetStreamPublisher(nc, { mode: 'batch' });
    const t0 = performance.now();
    const chunk = 10_000;
    for (let base = 0; base < STREAM_N; base += chunk) {
      for (const e of makeEvents(Math.min(chunk, STREAM_N - base), `stream-${base}`)) await pub.publish(e);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    await pub.close();
    const dt = (performance.now() - t0) / 1000;
    const stored = await storedCount(nc);
    if (stored !== STREAM_N) throw new Error(`streaming run: stream holds ${stored}, expected ${STREAM_N}`);
    console.log(
      `\nbatch mode, ${fmt(STREAM_N)} events generated on the fly: ${fmt(STREAM_N / dt)} events/s, ` +
        `RSS ${(rss0 / 2 ** 20).toFixed(0)} MB before, peak ${(peak / 2 ** 20).toFixed(0)} MB (window ${pub.window})`,
    );
  }
  console.log(`\ntarget: batch mode >= 100,000 events/s stored exactly once: ${batch >= 100_000 ? 'MET' : 'NOT MET'} (${fmt(batch)})`);

  await nc.drain();
  await server?.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
