/**
 * The server's own ack-latency floor for the live benchmark (tools/bench/live-ingest.ts): a raw nats.js
 * publisher, no ingestor, sends --rate messages/s of --body bytes to market.stocks.trades (R1 file storage,
 * a fresh local nats-server per case) in bursts of --frame, each with its own reply subject, and times the PubAck
 * of every burst's last message. Three cases in one run, --runs times interleaved, medians printed:
 *   - no headers;
 *   - a header that is not Nats-Msg-Id (same bytes as ours: the server parses it, does not deduplicate);
 *   - a Nats-Msg-Id header per message (as the publisher sends it: the server tracks every id for the
 *     stream's duplicate window, default 2 minutes, --dup-window S to change it).
 * The gap between the last two is what JetStream's duplicate tracking costs at that rate.
 *
 *   npx tsx tools/bench/live-floor.ts [--rate 50000] [--seconds 10] [--frame 100] [--body 120] [--runs 3]
 *     [--dup-window 120]
 * Build first: npx nx run-many -t build
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { connectBus, ensureStream } from '@md/nats-bus';
import { startNatsServer } from '@md/nats-bus/testing';

const HELP = `live-floor: raw nats.js publish -> PubAck latency at a fixed rate (no ingestor), with and without Nats-Msg-Id
  --rate N        messages/s (default 50000)
  --seconds N     per case and run (default 10)
  --frame N       messages per burst; the latency is the burst's last message (default 100)
  --body N        body bytes (default 120)
  --runs N        runs of every case, interleaved (default 3)
  --dup-window S  the stream's duplicate window in seconds (default 120, the product's)
  --help`;
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50000' },
    seconds: { type: 'string', default: '10' },
    frame: { type: 'string', default: '100' },
    body: { type: 'string', default: '120' },
    runs: { type: 'string', default: '3' },
    'dup-window': { type: 'string', default: '120' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const positive = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`--${name}: a positive integer, got ${JSON.stringify(v)}`);
  return n;
};
const rate = positive('rate', values.rate);
const seconds = positive('seconds', values.seconds);
const frame = positive('frame', values.frame);
const bodySize = positive('body', values.body);
const runs = positive('runs', values.runs);
const dupWindowNs = BigInt(positive('dup-window', values['dup-window'])) * 1_000_000_000n;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

type Case = 'none' | 'other' | 'msgid';
const CASES: Case[] = ['none', 'other', 'msgid'];
interface Result {
  p50: number;
  p99: number;
  max: number;
  stored: number;
}

async function runCase(kind: Case): Promise<Result> {
  const server = await startNatsServer();
  const nc = await connectBus({ servers: server.url });
  try {
    const stream = { duplicateWindowNs: dupWindowNs, acceptExisting: 'operational' as const };
    await ensureStream(nc, stream);
    const total = rate * seconds;
    const sentAt = new Float64Array(total);
    const lat: number[] = [];
    let acked = 0;
    const inbox = '_INBOX.floor';
    nc.subscribe(`${inbox}.>`, {
      callback: (_e, m) => {
        const i = Number(m.subject.slice(inbox.length + 1));
        acked++;
        if (i % frame === frame - 1 || i === total - 1) lat.push(performance.now() - (sentAt[i] as number));
      },
    });
    const body = Buffer.alloc(bodySize, 'x');
    const header = (i: number): MsgHdrs | undefined => {
      if (kind === 'none') return undefined;
      const h = headers();
      // an id of our shape: subject, exact ns, sequence
      h.set(kind === 'msgid' ? 'Nats-Msg-Id' : 'md-bench-id', `stocks.trades.SPY.${1733000000000000000n + BigInt(i)}.${i}`);
      h.set('md-schema', 'stocks.trades.v1');
      return h;
    };
    const t0 = performance.now();
    let i = 0;
    await new Promise<void>((done) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
        while (i < due) {
          const end = Math.min(due, i + frame);
          for (; i < end; i++) {
            sentAt[i] = performance.now();
            const h = header(i);
            nc.publish('market.stocks.trades', body, h ? { reply: `${inbox}.${i}`, headers: h } : { reply: `${inbox}.${i}` });
          }
        }
        if (i >= total) done();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const deadline = Date.now() + 60_000;
    while (acked < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (acked < total) throw new Error(`${kind}: ${acked}/${total} PubAcks within 60 s`);
    const stored = Number((await ensureStream(nc, stream)).info.state.messages);
    lat.sort((a, b) => a - b);
    const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))] as number;
    return { p50: q(0.5), p99: q(0.99), max: q(1), stored };
  } finally {
    await nc.close();
    await server.dispose();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

console.log(
  `live-floor: ${rate} msg/s, bursts of ${frame}, ${bodySize}-byte bodies, ${seconds} s, ${runs} run(s), duplicate window ` +
    `${dupWindowNs / 1_000_000_000n} s, node ${process.version}, load ${load()}`,
);
const results = new Map<Case, Result[]>(CASES.map((c) => [c, []]));
for (let r = 1; r <= runs; r++) {
  for (const c of CASES) {
    const res = await runCase(c);
    results.get(c)?.push(res);
    console.log(
      `  run ${r} ${c.padEnd(5)} stored=${res.stored} p50=${res.p50.toFixed(2)} p99=${res.p99.toFixed(2)} max=${res.max.toFixed(2)} ms load ${load()}`,
    );
  }
}
const label: Record<Case, string> = { none: 'no headers', other: 'headers, no dedupe', msgid: 'Nats-Msg-Id (dedupe)' };
const base = median((results.get('none') ?? []).map((x) => x.p99));
console.log(`\nmedians of ${runs} run(s) (latency: publish -> PubAck of a burst's last message, ms)`);
console.log(`${'case'.padEnd(22)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}  p99 / no headers`);
for (const c of CASES) {
  const rs = results.get(c) ?? [];
  const p99 = median(rs.map((x) => x.p99));
  console.log(
    `${label[c].padEnd(22)} ${median(rs.map((x) => x.p50))
      .toFixed(2)
      .padStart(8)} ${p99.toFixed(2).padStart(8)} ` +
      `${median(rs.map((x) => x.max))
        .toFixed(2)
        .padStart(8)}  ${c === 'none' ? '(baseline)' : `${(p99 / base).toFixed(2)}x`}`,
  );
}
console.log(`(load average at the end: ${load()}, 2 cores, shared)`);
