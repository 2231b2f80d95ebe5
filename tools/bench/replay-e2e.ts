/**
 * Benchmark: the replay end to end (@md/replay-engine, as replay-publisher runs it) -- DBN files (zstd) ->
 * @md/dbn-reader mapping -> @md/stream-merge (ts_event order, 100 ms reorder window) -> @md/nats-bus
 * JetStreamPublisher -> JetStream (file storage, 1 replica, loopback) -- in events/s stored exactly once (the stream's message count is checked after every
 * run), for trades alone and for trades + MBP-10, in 'ack' mode (window 1024) and 'batch' mode.
 *
 * Ceilings measured in the same run with the SAME events already encoded (same subjects, bodies, message ids):
 *   (a) nats.js js.publish() with a window of 1024 outstanding acks,
 *   (b) core publishes (Nats-Msg-Id + md-schema headers) into the stream's subjects, then a flush and a wait
 *       until the stream holds them all.
 * Every scenario starts from a new stream (deleted and created again: no duplicate-window state).
 * tools/bench/nats-publish.ts measures the bus alone with synthetic events; this one adds reading the files.
 *
 * Run from the repo root after building: npx nx build replay-engine
 *   npx tsx tools/bench/replay-e2e.ts [--trades 200000] [--mbp10 100000] [--runs 3] [--url nats://...]
 * The session is generated once into os.tmpdir() (deterministic seed) and reused.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { encode, lookup, MSG_ID_HEADER, SCHEMA_HEADER, type Publishable } from '@md/event-types';
import { connectBus, ensureStream, JetStreamPublisher } from '@md/nats-bus';
import { startNatsServer, type LocalNatsServer } from '@md/nats-bus/testing';
import { DataRootSource, Replayer, REPLAY_DEFAULTS } from '@md/replay-engine';
import { mergeBatchesByKey } from '@md/stream-merge';
import { at, defined } from './narrow.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v : def;
}
const TRADES = Number(arg('trades', '200000'));
const MBP10 = Number(arg('mbp10', '100000'));
const RUNS = Number(arg('runs', '3'));
const URL_ARG = arg('url', '');
const STREAM = 'MARKET_DATA';
const REORDER_NS = REPLAY_DEFAULTS.reorderWindowNs;
// the publisher windows replay-publisher uses
const { ack: DEFAULT_ACK_WINDOW, batch: DEFAULT_BATCH_WINDOW } = REPLAY_DEFAULTS.publishWindow;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? at(s, m, 'run') : (at(s, m - 1, 'run') + at(s, m, 'run')) / 2;
};
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function session(): Promise<{ root: string; date: string }> {
  const root = join(tmpdir(), `md-replay-bench-t${TRADES}-m${MBP10}-seed5`);
  const marker = join(root, '.complete');
  if (!existsSync(marker)) {
    console.log(`generating ${fmt(TRADES)} trades + ${fmt(MBP10)} MBP-10 records into ${root} ...`);
    const r = await generateSampleSession({ root, seed: 5, trades: TRADES, mbp10: MBP10, options: 0 });
    writeFileSync(marker, JSON.stringify({ date: r.date, counts: r.counts }));
  }
  const info = JSON.parse((await import('node:fs')).readFileSync(marker, 'utf8')) as { date: string };
  return { root, date: info.date };
}

async function freshStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(STREAM).catch(() => undefined);
  await ensureStream(nc, { name: STREAM });
}

async function storedCount(nc: NatsConnection): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info(STREAM)).state.messages;
}

async function waitForCount(nc: NatsConnection, n: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await storedCount(nc)) < n) {
    if (Date.now() > deadline) throw new Error(`stream holds ${await storedCount(nc)} of ${n} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Workload {
  name: string;
  kinds: { trades: boolean; mbp10: boolean; options: boolean };
  /** the same events pre-encoded, in replay order */
  evs: Publishable[];
  bodies: Uint8Array[];
}

type Scenario = { name: string; run: (nc: NatsConnection, w: Workload, root: string, date: string) => Promise<void> };

const scenarios: Scenario[] = [
  {
    name: 'ceiling (a): js.publish, window 1024, pre-encoded',
    run: async (nc, w) => {
      const js = jetstream(nc);
      const inflight = new Set<Promise<unknown>>();
      for (let i = 0; i < w.evs.length; i++) {
        const ev = at(w.evs, i, 'event');
        const h = headers();
        h.set(SCHEMA_HEADER, lookup(ev.subject).schemaId);
        const p: Promise<unknown> = js
          .publish(ev.subject, at(w.bodies, i, 'body'), { msgID: ev.msgId, headers: h })
          .finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= 1024) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    },
  },
  {
    name: 'ceiling (b): core publish + flush, pre-encoded',
    run: async (nc, w) => {
      for (let i = 0; i < w.evs.length; i++) {
        const ev = at(w.evs, i, 'event');
        const h = headers();
        h.set(MSG_ID_HEADER, ev.msgId);
        h.set(SCHEMA_HEADER, lookup(ev.subject).schemaId);
        nc.publish(ev.subject, at(w.bodies, i, 'body'), { headers: h });
        if ((i & 1023) === 0) await new Promise<void>((r) => setImmediate(r));
      }
      await nc.flush();
      await waitForCount(nc, w.evs.length);
    },
  },
  {
    name: "replay 'ack' mode (window 1024): files -> JetStream",
    run: (nc, w, root, date) => replay(nc, w, root, date, 'ack'),
  },
  {
    name: `replay 'batch' mode (window ${DEFAULT_BATCH_WINDOW}): files -> JetStream`,
    run: (nc, w, root, date) => replay(nc, w, root, date, 'batch'),
  },
];

async function replay(nc: NatsConnection, w: Workload, root: string, date: string, mode: 'ack' | 'batch'): Promise<void> {
  const pub = new JetStreamPublisher(nc, { mode, window: mode === 'ack' ? DEFAULT_ACK_WINDOW : DEFAULT_BATCH_WINDOW });
  const r = new Replayer({ source: new DataRootSource(root), sink: pub, speed: 0, reorderWindowNs: REORDER_NS, progressEvery: 0 });
  const s = await r.replayDate(date, null, null, w.kinds);
  await pub.close();
  if (s.events !== w.evs.length || pub.stats.failed || s.error)
    throw new Error(`replay ${mode}: ${s.events} events, sink ${JSON.stringify(pub.stats)} ${s.error ?? ''}`);
}

async function main(): Promise<void> {
  const { root, date } = await session();
  let server: LocalNatsServer | null = null;
  let url = URL_ARG;
  if (!url) {
    server = await startNatsServer();
    url = server.url;
  }
  const nc = await connectBus({ servers: url, name: 'bench-replay-e2e' });

  // the workloads' events in replay order, pre-encoded for the ceilings
  const src = new DataRootSource(root);
  const workloads: Workload[] = [];
  for (const [name, kinds] of [
    ['trades alone', { trades: true, mbp10: false, options: false }],
    ['trades + MBP-10', { trades: true, mbp10: true, options: false }],
  ] as const) {
    const inputs = [...(kinds.trades ? [src.batches('trades', date, {})] : []), ...(kinds.mbp10 ? [src.batches('mbp10', date, {})] : [])];
    const evs: Publishable[] = [];
    for await (const b of mergeBatchesByKey(inputs, {
      key: (p) => (p.event as { ts_event_ns: bigint }).ts_event_ns,
      reorderWindowNs: REORDER_NS,
    }))
      for (const p of b) evs.push(p);
    const bodies = evs.map((e) => encode(e.event, e.subject));
    const avg = bodies.reduce((a, b) => a + b.length, 0) / bodies.length;
    workloads.push({ name, kinds: { ...kinds }, evs, bodies });
    console.log(`workload ${name}: ${fmt(evs.length)} events, mean body ${avg.toFixed(0)} B`);
  }
  console.log(
    `replay-e2e bench: ${RUNS} runs, nats-server at ${url}${server ? ' (local, file storage, 1 replica)' : ''}, node ${process.version}, load ${load()}`,
  );

  const rates = new Map<string, number[]>();
  for (let r = 0; r < RUNS; r++) {
    for (const w of workloads) {
      for (const sc of scenarios) {
        await freshStream(nc);
        if (global.gc) global.gc();
        const t0 = performance.now();
        await sc.run(nc, w, root, date);
        const dt = (performance.now() - t0) / 1000;
        const stored = await storedCount(nc);
        if (stored !== w.evs.length) throw new Error(`${w.name} / ${sc.name}: stream holds ${stored}, expected ${w.evs.length}`);
        const key = `${w.name}|${sc.name}`;
        (rates.get(key) ?? rates.set(key, []).get(key)!).push(w.evs.length / dt);
        console.log(
          `  run ${r + 1} ${w.name}: ${sc.name}: ${fmt(w.evs.length / dt)} events/s (${dt.toFixed(2)} s, stored ${stored}, load ${load()})`,
        );
      }
    }
  }

  console.log(`\nmedians over ${RUNS} runs, events/s stored exactly once (ratio vs ceiling (a) js.publish / (b) core publish):`);
  const results = new Map<string, number>();
  const medianOf = (w: Workload, sc: Scenario) => median(defined(rates.get(`${w.name}|${sc.name}`), `rates of ${w.name} / ${sc.name}`));
  for (const w of workloads) {
    const a = medianOf(w, at(scenarios, 0, 'scenario'));
    const b = medianOf(w, at(scenarios, 1, 'scenario'));
    console.log(`${w.name} (${fmt(w.evs.length)} events):`);
    for (const sc of scenarios) {
      const m = medianOf(w, sc);
      results.set(`${w.name}|${sc.name}`, m);
      console.log(`  ${sc.name.padEnd(52)} ${fmt(m).padStart(10)}   ${(m / a).toFixed(2)}x (a)   ${(m / b).toFixed(2)}x (b)`);
    }
  }
  for (const w of workloads) {
    const m = defined(results.get(`${w.name}|${at(scenarios, 3, 'scenario').name}`), `the batch-mode rate of ${w.name}`);
    console.log(`target: ${w.name}, batch mode >= 100,000 events/s stored exactly once: ${m >= 100_000 ? 'MET' : 'NOT MET'} (${fmt(m)})`);
  }
  console.log(`load average at the end: ${load()} (2 cores, shared)`);
  await nc.drain();
  await server?.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
