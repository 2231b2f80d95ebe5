/**
 * Benchmark of the live path: a fake vendor (child process) pushes synthetic SPY trades/quotes at --rate
 * events/s in frames of --frame events for --seconds; the live engine (this process, @md/live-engine's
 * LiveEngine with the CLI's defaults and a JetStreamPublisher) publishes them into a local nats-server (file storage).
 * Reports: no-drop check (queue drops, stream count == sent), p50/p99/max latency from a frame's send
 * time to the JetStream ack of its last event, events/s, RSS at start and end, CPU.
 * Baseline in the same run: the same feed into a sink that confirms at once (socket + parse + normalize
 * only); ratio = JetStream latency / baseline latency.
 *
 *   npx tsx tools/bench/live-ingest.ts [--seconds 5] [--runs 3] [--rate 50000] [--frame 100] [--mode ack|batch] [--window N]
 *   (node --expose-gc --import tsx tools/bench/live-ingest.ts ... collects garbage before each RSS reading)
 *   (the full run: --seconds 20)
 * Build first: event-types, nats-bus, polygon-normalizer, stream-merge, live-engine (npx tsup in each).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connectBus, ensureStream, JetStreamPublisher, type EventSink } from '@md/nats-bus';
import { startNatsServer } from '@md/nats-bus/testing';
import { LiveEngine } from '@md/live-engine';
import { CountingSink } from '@md/test-support';
import { FAKE_API_KEY } from '@md/test-support/fake-vendor';
import { at } from './narrow.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    rate: { type: 'string', default: '50000' },
    frame: { type: 'string', default: '100' },
    mode: { type: 'string', default: 'ack' },
    window: { type: 'string' },
    'batch-size': { type: 'string', default: '100' },
    'batch-ms': { type: 'string', default: '2' },
  },
});
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const rate = Number(values.rate);
const frameSize = Number(values.frame);
const mode = values.mode as 'ack' | 'batch';
const window = values.window === undefined ? undefined : Number(values.window);
const batchSize = Number(values['batch-size']);
const batchMs = Number(values['batch-ms']);
const now = () => performance.timeOrigin + performance.now();
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);

interface Result {
  sink: string;
  events: number;
  stored: number;
  dropped: number;
  evPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  rssStart: number;
  rssQuarter: number;
  rssEnd: number;
  rssPeak: number;
  cpuPct: number;
  behindMax: number;
}

/** the q-quantile of sorted latencies (NaN when none) */
function quant(a: Float64Array, q: number): number {
  return a[Math.min(a.length - 1, Math.floor(q * a.length))] ?? NaN;
}

async function runOnce(kind: 'jetstream' | 'null'): Promise<Result> {
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

  const server = kind === 'jetstream' ? await startNatsServer() : null;
  const nc = server ? await connectBus({ servers: server.url }) : null;
  if (nc) await ensureStream(nc);
  // the baseline sink confirms at once (everything but NATS)
  const sink: EventSink = nc ? new JetStreamPublisher(nc, { mode, window, batchSize, batchMs }) : new CountingSink();
  const logs: string[] = [];
  const ing = new LiveEngine(
    { apiKey: FAKE_API_KEY, stocksUrl: url, sessions: { stocks: true, options: false }, statsIntervalMs: 0, queueSize: 200_000 },
    sink,
    (level, msg) => {
      if (level !== 'debug') logs.push(`${level} ${msg}`);
    },
  );
  ing.start();
  await next('ready');
  global.gc?.();
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  let rssQuarter = 0;
  const total = Math.round((rate * seconds) / frameSize);
  const ackAt = new Float64Array(total);
  let framesAcked = 0;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const poll = setInterval(() => {
    const acked = sink.stats.acked;
    const t = now();
    while (framesAcked < total && acked >= (framesAcked + 1) * frameSize) ackAt[framesAcked++] = t;
    const r = process.memoryUsage.rss();
    if (r > rssPeak) rssPeak = r;
    if (rssQuarter === 0 && t - t0 >= (seconds * 1000) / 4) rssQuarter = r;
  }, 1);
  child.send({ type: 'go', rate, frameSize, seconds });
  const done = (await next('done')) as unknown as { events: number; sendTimes: number[]; behindMax: number };
  const deadline = Date.now() + 30_000;
  while (framesAcked < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const t1 = now();
  clearInterval(poll);
  const cpu = process.cpuUsage(cpu0);
  global.gc?.();
  const rssEnd = process.memoryUsage().rss;
  await ing.stop();
  const stored = nc ? Number((await ensureStream(nc)).info.state.messages) : sink.stats.acked;
  const lat = new Float64Array(framesAcked);
  for (let i = 0; i < framesAcked; i++) lat[i] = at(ackAt, i, 'ack time') - at(done.sendTimes, i, 'send time');
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
    evPerSec: done.events / ((t1 - t0) / 1000),
    p50: quant(lat, 0.5),
    p90: quant(lat, 0.9),
    p99: quant(lat, 0.99),
    max: quant(lat, 1),
    rssStart,
    rssQuarter,
    rssEnd,
    rssPeak,
    cpuPct: ((cpu.user + cpu.system) / 1000 / (t1 - t0)) * 100,
    behindMax: done.behindMax,
  };
}

const median = (xs: number[]) =>
  at(
    [...xs].sort((a, b) => a - b),
    Math.floor(xs.length / 2),
    'run',
  );

console.log(`live-ingest: ${rate} events/s in frames of ${frameSize} for ${seconds} s, ${runs} run(s) per sink, publisher mode '${mode}'`);
const all: Record<'null' | 'jetstream', Result[]> = { null: [], jetstream: [] };
for (let r = 0; r < runs; r++) {
  for (const kind of ['null', 'jetstream'] as const) {
    const res = await runOnce(kind);
    all[kind].push(res);
    console.log(
      `  run ${r + 1} ${kind.padEnd(9)} sent=${res.events} stored=${res.stored} dropped=${res.dropped} ${Math.round(res.evPerSec)} ev/s ` +
        `latency p50=${res.p50.toFixed(2)} ms p90=${res.p90.toFixed(2)} ms p99=${res.p99.toFixed(2)} ms max=${res.max.toFixed(2)} ms rss start ${mb(res.rssStart)} / 25% ${mb(res.rssQuarter)} / end ${mb(res.rssEnd)} MB (peak ${mb(res.rssPeak)}) ` +
        `cpu ${res.cpuPct.toFixed(0)}% feed-behind-max=${res.behindMax} frames`,
    );
  }
}
const summary = (k: keyof typeof all) => {
  const rs = all[k];
  return {
    ok: rs.every((r) => r.dropped === 0 && r.stored === r.events),
    // kept up: every frame confirmed at >= 97% of the offered rate (no growing backlog)
    keptUp: rs.every((r) => r.evPerSec >= 0.97 * rate),
    evs: median(rs.map((r) => r.evPerSec)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    rssStart: median(rs.map((r) => r.rssStart)),
    rssEnd: median(rs.map((r) => r.rssEnd)),
    rssQuarter: median(rs.map((r) => r.rssQuarter)),
  };
};
const b = summary('null');
const j = summary('jetstream');
console.log('\nmedians:');
console.log(
  `  baseline (null sink):  no-drop ${b.ok ? 'OK' : 'FAILED'}  ${Math.round(b.evs)} ev/s  p50 ${b.p50.toFixed(2)} ms  p99 ${b.p99.toFixed(2)} ms  rss ${mb(b.rssStart)} -> ${mb(b.rssEnd)} MB`,
);
console.log(
  `  JetStream (${mode}):       no-drop ${j.ok ? 'OK' : 'FAILED'}  ${Math.round(j.evs)} ev/s  p50 ${j.p50.toFixed(2)} ms  p99 ${j.p99.toFixed(2)} ms  rss ${mb(j.rssStart)} -> ${mb(j.rssEnd)} MB`,
);
console.log(`  ratio JetStream/baseline: p50 ${(j.p50 / b.p50).toFixed(2)}x  p99 ${(j.p99 / b.p99).toFixed(2)}x`);
console.log(
  `  targets: ${rate} ev/s sustained: ${j.keptUp ? 'met' : 'NOT met'}; no drops (stored == sent): ${j.ok ? 'met' : 'NOT met'}; ` +
    `p99 < 5 ms: ${j.p99 < 5 ? 'met' : 'NOT met'}; RSS flat (end within 10% of the 25% mark, after warm-up): ${j.rssEnd <= j.rssQuarter * 1.1 ? 'met' : 'NOT met'}`,
);
console.log(
  `  (load average while running: ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, ${(await import('node:os')).cpus().length} cores)`,
);
process.exit(0);
