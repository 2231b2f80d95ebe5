/**
 * Benchmark of the live path (issue 12's live latency figures): a fake vendor (child process, live-feed-server.ts:
 * a real WebSocket server on loopback speaking the vendor protocol: auth, subscribe, JSON array frames) pushes
 * synthetic SPY trades/quotes at each of --rates events/s in frames of --frame events for --seconds; the live
 * engine (this process, @md/live-engine's LiveEngine with the CLI's defaults and a JetStreamPublisher in the
 * CLI's default 'ack' mode; REST backfill off: the feed is synthetic, a gap has no history to fetch) publishes
 * them into a local nats-server (free loopback port, R1 file storage).
 *
 * Latency of a frame = the PubAck of its last event (the publisher's onConfirm hook, in this process) - the
 * frame's send time in the feed process just before ws.send (both performance.timeOrigin + performance.now()).
 * Per run: events sent, delivered (the stream's message count), lost (sent - delivered), queue drops,
 * p50/p99/max; per rate: the medians over --runs. Baseline in the same run: the same feed into a sink that
 * confirms at once (socket + parse + normalize only); ratio = JetStream latency / baseline latency.
 *
 *   npx tsx tools/bench/live-ingest.ts [--rates 10000,50000] [--seconds 10] [--runs 3] [--frame 100]
 *     [--mode ack|batch] [--window N] [--batch-size 100] [--batch-ms 2]
 *   (node --expose-gc --import tsx tools/bench/live-ingest.ts ... collects garbage before each RSS reading)
 * Build first: npx nx run-many -t build
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Publishable } from '@md/event-types';
import { connectBus, ensureStream, JetStreamPublisher, type EventSink } from '@md/nats-bus';
import { startNatsServer } from '@md/nats-bus/testing';
import { LiveEngine } from '@md/live-engine';
import { CountingSink } from '@md/test-support';
import { FAKE_API_KEY } from '@md/test-support/fake-vendor';
import { at } from './narrow.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    rates: { type: 'string', default: '10000,50000' },
    frame: { type: 'string', default: '100' },
    mode: { type: 'string', default: 'ack' },
    window: { type: 'string' },
    dump: { type: 'string' },
    'batch-size': { type: 'string', default: '100' },
    'batch-ms': { type: 'string', default: '2' },
  },
});
function positive(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`--${name}: expected a positive number, got ${JSON.stringify(raw)}`);
  return n;
}
const seconds = positive('seconds', values.seconds);
const runs = positive('runs', values.runs);
const rates = (values.rates ?? '').split(',').map((r) => positive('rates', r));
const frameSize = positive('frame', values.frame);
if (values.mode !== 'ack' && values.mode !== 'batch') throw new RangeError(`--mode: ack or batch, got ${JSON.stringify(values.mode)}`);
const mode = values.mode;
const window = values.window === undefined ? undefined : positive('window', values.window);
const batchSize = positive('batch-size', values['batch-size']);
const batchMs = positive('batch-ms', values['batch-ms']);
const now = () => performance.timeOrigin + performance.now();
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Result {
  sink: 'null' | 'jetstream';
  events: number;
  stored: number;
  dropped: number;
  framesUnconfirmed: number;
  evPerSec: number;
  p50: number;
  p99: number;
  max: number;
  rssStart: number;
  rssEnd: number;
  cpuPct: number;
  behindMax: number;
}

/** the null baseline: confirms each event as it is published (what remains is socket + parse + normalize) */
class ConfirmAtOnce extends CountingSink {
  constructor(private readonly onConfirm: (count: number) => void) {
    super();
  }
  override async publish(_p: Publishable): Promise<void> {
    this.n++;
    this.onConfirm(1);
  }
}

/** the q-quantile of sorted latencies (NaN when none) */
const quant = (a: Float64Array, q: number): number => a[Math.min(a.length - 1, Math.floor(q * a.length))] ?? NaN;

async function runOnce(kind: 'jetstream' | 'null', rate: number): Promise<Result> {
  const child: ChildProcess = fork(resolve(import.meta.dirname, 'live-feed-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const msgs: { type: string; [k: string]: unknown }[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (m) => {
    msgs.push(m as never);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (type: string) => {
    for (;;) {
      const i = msgs.findIndex((m) => m.type === type);
      if (i >= 0) return msgs.splice(i, 1)[0];
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const { url } = (await next('port')) as unknown as { url: string };

  const total = Math.round((rate * seconds) / frameSize);
  const ackAt = new Float64Array(total);
  let framesAcked = 0;
  let confirmed = 0;
  // a frame is confirmed when the PubAck of its last event arrives (acks arrive in publish order on one server)
  const onConfirm = (count: number) => {
    confirmed += count;
    const t = now();
    while (framesAcked < total && confirmed >= (framesAcked + 1) * frameSize) ackAt[framesAcked++] = t;
  };
  const server = kind === 'jetstream' ? await startNatsServer() : null;
  const nc = server ? await connectBus({ servers: server.url }) : null;
  if (nc) await ensureStream(nc);
  const sink: EventSink = nc ? new JetStreamPublisher(nc, { mode, window, batchSize, batchMs, onConfirm }) : new ConfirmAtOnce(onConfirm);
  const logs: string[] = [];
  const ing = new LiveEngine(
    {
      apiKey: FAKE_API_KEY,
      stocksUrl: url,
      sessions: { stocks: true, options: false },
      statsIntervalMs: 0,
      queueSize: 200_000,
      backfill: false,
    },
    sink,
    (level, msg) => {
      if (level !== 'debug') logs.push(`${level} ${msg}`);
    },
  );
  ing.start();
  await next('ready');
  global.gc?.();
  const rssStart = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  child.send({ type: 'go', rate, frameSize, seconds });
  const done = (await next('done')) as unknown as { events: number; sendTimes: number[]; behindMax: number };
  const deadline = Date.now() + 30_000;
  while (framesAcked < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const t1 = now();
  const cpu = process.cpuUsage(cpu0);
  global.gc?.();
  const rssEnd = process.memoryUsage().rss;
  await ing.stop();
  const stored = nc ? Number((await ensureStream(nc)).info.state.messages) : sink.stats.acked;
  const lat = new Float64Array(framesAcked);
  for (let i = 0; i < framesAcked; i++) lat[i] = at(ackAt, i, 'ack time') - at(done.sendTimes, i, 'send time');
  if (values.dump) {
    const rows = ['send_ms_from_start,latency_ms'];
    for (let i = 0; i < framesAcked; i++)
      rows.push(`${(at(done.sendTimes, i, 'send time') - t0).toFixed(3)},${(lat[i] as number).toFixed(3)}`);
    writeFileSync(`${values.dump}-${kind}-${rate}.csv`, `${rows.join('\n')}\n`);
  }
  lat.sort();
  child.send({ type: 'stop' });
  if (nc) await nc.close();
  if (server) await server.dispose();
  if (framesAcked < total) console.error(`  ${kind}: only ${framesAcked}/${total} frames confirmed within 30 s`);
  for (const l of logs.filter((x) => !x.startsWith('info'))) console.error(`  log: ${l}`);
  return {
    sink: kind,
    events: done.events,
    stored,
    dropped: ing.queue.dropped,
    framesUnconfirmed: total - framesAcked,
    evPerSec: confirmed / ((t1 - t0) / 1000),
    p50: quant(lat, 0.5),
    p99: quant(lat, 0.99),
    max: quant(lat, 1),
    rssStart,
    rssEnd,
    cpuPct: ((cpu.user + cpu.system) / 1000 / (t1 - t0)) * 100,
    behindMax: done.behindMax,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? at(s, m, 'run') : (at(s, m - 1, 'run') + at(s, m, 'run')) / 2;
};
const ms = (x: number) => x.toFixed(2).padStart(8);

console.log(
  `live-ingest: ${rates.join(', ')} events/s in frames of ${frameSize} for ${seconds} s, ${runs} run(s) per rate and sink, ` +
    `publisher mode '${mode}', node ${process.version}, ${cpus().length} cpus, load ${load()}`,
);
const all = new Map<string, Result[]>();
for (const rate of rates) {
  for (let r = 0; r < runs; r++) {
    for (const kind of ['null', 'jetstream'] as const) {
      const res = await runOnce(kind, rate);
      const key = `${rate} ${kind}`;
      all.set(key, [...(all.get(key) ?? []), res]);
      console.log(
        `  ${rate}/s run ${r + 1} ${kind.padEnd(9)} sent=${res.events} delivered=${res.stored} lost=${res.events - res.stored} ` +
          `dropped=${res.dropped} ${Math.round(res.evPerSec)} ev/s p50=${res.p50.toFixed(2)} p99=${res.p99.toFixed(2)} ` +
          `max=${res.max.toFixed(2)} ms rss ${mb(res.rssStart)} -> ${mb(res.rssEnd)} MB cpu ${res.cpuPct.toFixed(0)}% ` +
          `feed-behind-max=${res.behindMax} frames load ${load()}`,
      );
    }
  }
}

console.log(`\nmedians of ${runs} runs of ${seconds} s (latency: WebSocket frame send -> ${'PubAck'} of its last event, ms)`);
console.log(
  `${'rate/s'.padStart(7)} ${'sink'.padEnd(14)} ${'sent'.padStart(9)} ${'delivered'.padStart(9)} ${'lost'.padStart(6)} ` +
    `${'dropped'.padStart(7)} ${'events/s'.padStart(9)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}  p99 / baseline`,
);
let ok50 = true;
for (const rate of rates) {
  const base = all.get(`${rate} null`) ?? [];
  for (const kind of ['null', 'jetstream'] as const) {
    const rs = all.get(`${rate} ${kind}`) ?? [];
    const m = (f: (r: Result) => number) => median(rs.map(f));
    const lost = rs.reduce((a, r) => a + r.events - r.stored, 0);
    const p99 = m((r) => r.p99);
    const ratio = kind === 'null' ? '(baseline)' : `${(p99 / median(base.map((r) => r.p99))).toFixed(2)}x`;
    console.log(
      `${String(rate).padStart(7)} ${(kind === 'null' ? 'null (base)' : `JetStream ${mode}`).padEnd(14)} ${String(m((r) => r.events)).padStart(9)} ` +
        `${String(m((r) => r.stored)).padStart(9)} ${String(lost).padStart(6)} ${String(rs.reduce((a, r) => a + r.dropped, 0)).padStart(7)} ` +
        `${String(Math.round(m((r) => r.evPerSec))).padStart(9)} ${ms(m((r) => r.p50))} ${ms(p99)} ${ms(m((r) => r.max))}  ${ratio}`,
    );
    if (kind === 'jetstream' && rate === 50_000) ok50 = p99 < 10 && lost === 0;
  }
}
console.log('  (lost and dropped: totals over the runs; delivered = the stream message count, sent = what the feed wrote)');
if (rates.includes(50_000)) console.log(`  goal (issue 12): 50,000 events/s, p99 < 10 ms, nothing lost: ${ok50 ? 'MET' : 'NOT MET'}`);
console.log(`  (load average at the end: ${load()}, ${cpus().length} cores, shared)`);
process.exit(0);
