/**
 * What the md tests share: known events (several subjects, nanosecond times a JavaScript number cannot hold),
 * a local nats-server with them published through the project's publisher, and `md` run as a child process
 * (tsx on src/cli.ts, the workspace libraries from their sources: test/tsx.tsconfig.json).
 */
import { resolve } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { encodeToString, lookup, type FuturesTrade, type Publishable, type StockQuote, type StockTrade } from '@md/event-types';
import { connectBus, ensureStream, JetStreamPublisher, type NatsConnection, type StreamConfigInput } from '@md/nats-bus';
import { startNatsServer, type LocalNatsServer } from '@md/nats-bus/testing';
import { runTsx, type Proc } from '@md/test-support/process';

export const PKG_DIR = resolve(import.meta.dirname, '..');
const CLI = resolve(PKG_DIR, 'src/cli.ts');

/** `md ARGS` as a child process against `url` (NATS_URL), with a minimal environment */
export function md(args: string[], env: Record<string, string> = {}): Proc {
  return runTsx(CLI, args, { cwd: PKG_DIR, env: { TSX_TSCONFIG_PATH: resolve(PKG_DIR, 'test/tsx.tsconfig.json'), ...env } });
}

/** `md ARGS` to its end: exit code and output */
export async function mdRun(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = md(args, env);
  const code = await p.exit;
  return { code, ...p.out };
}

/** 2025-12-16 14:35:00.112 UTC in ns, plus 1: a JavaScript number rounds it to ...112000000 */
export const T0 = 1765895700112000001n;

const trade = (i: number, ts: bigint, price: number): StockTrade => ({
  ts_event_ns: ts,
  ts_recv_ns: ts + 8_345_677n,
  source: 'massive_ws',
  symbol: 'SPY',
  price,
  size: 100 + i,
  exchange: 4,
  conditions: null,
  seq: 4521 + i,
});
const quote = (i: number, ts: bigint): StockQuote => ({
  ts_event_ns: ts,
  ts_recv_ns: ts + 1n,
  source: 'massive_ws',
  symbol: 'SPY',
  bid_px: 675.99,
  ask_px: 676.01,
  bid_sz: 200 + i,
  ask_sz: 300,
  bid_exch: 11,
  ask_exch: 12,
  seq: 9000 + i,
});
export const future = (i: number, ts: bigint, source: 'replay' | 'sim' = 'replay'): FuturesTrade => ({
  ts_event_ns: ts,
  ts_recv_ns: ts + 7_284n,
  source,
  symbol: 'ESZ5',
  price: 6012.25 + i * 0.25,
  size: 1 + i,
  aggressor: i % 2 === 0 ? 1 : -1,
  exchange: 'CME',
  conditions: null,
  seq: 1170352 + i,
});

/**
 * 12 known events in publish (= stream) order: stock trades, quotes and futures trades interleaved, each one
 * nanosecond (or a few) after the one before: odd nanoseconds a number would lose.
 */
export function knownEvents(): Publishable[] {
  const out: Publishable[] = [];
  for (let i = 0; i < 4; i++) {
    const base = T0 + BigInt(i) * 3n;
    out.push({ subject: 'market.stocks.trades', event: trade(i, base, 676 + i / 100), msgId: `market.stocks.trades:SPY:${base}:${i}` });
    out.push({ subject: 'market.stocks.quotes', event: quote(i, base + 1n), msgId: `market.stocks.quotes:SPY:${base + 1n}:${i}` });
    out.push({
      subject: 'market.futures.trades',
      event: future(i, base + 2n),
      msgId: `market.futures.trades:5482:${base + 2n}:${i}:f.dbn:${i}`,
    });
  }
  return out;
}

/** the JSON line `md tail` prints for an event stored at `seq` */
export const expectedLine = (p: Publishable, seq: number) =>
  `{"seq":${seq},"subject":"${p.subject}","msg_id":"${p.msgId}","event":${encodeToString(p.event, p.subject)}}`;

export interface TestBus {
  server: LocalNatsServer;
  nc: NatsConnection;
  publish(events: readonly Publishable[]): Promise<void>;
  /** a body that is not a valid event of `subject`, stored as it is */
  publishRaw(subject: string, body: string, msgId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startTestBus(stream: StreamConfigInput = {}): Promise<TestBus> {
  const server = await startNatsServer();
  const nc = await connectBus({ servers: server.url });
  await ensureStream(nc, stream);
  const pub = new JetStreamPublisher(nc, { mode: 'ack' });
  return {
    server,
    nc,
    async publish(events) {
      for (const e of events) await pub.publish(e);
      await pub.flush();
    },
    async publishRaw(subject, body, msgId) {
      await pub.publishEncoded(subject, new TextEncoder().encode(body), msgId, lookup(subject).schemaId);
      await pub.flush();
    },
    async close() {
      await pub.close().catch(() => undefined);
      await nc.close();
      await server.dispose();
    },
  };
}

/** a stream LIVE_GAPS storing md.live.gaps, and announcements published into it */
export async function storeGaps(nc: NatsConnection, announcements: string[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'LIVE_GAPS', subjects: ['md.live.gaps'] });
  const js = jetstream(nc);
  for (const a of announcements) await js.publish('md.live.gaps', a);
}

/** a gap announcement as the live ingestor writes it (gapJson: ns as exact integers) */
export function gap(
  id: string,
  status: 'open' | 'filled' | 'unfilled',
  subject: string,
  from: bigint,
  to: bigint,
  why: string | null = null,
): string {
  const count = status === 'open' ? null : status === 'filled' ? 3 : 0;
  return (
    `{"type":"gap","status":"${status}","gap_id":"${id}","session":"stocks","subject":"${subject}","item":"T.SPY","symbol":"SPY",` +
    `"from_ns":${from},"to_ns":${to},"reason":"disconnect","count":${count},"why":${why === null ? 'null' : JSON.stringify(why)},` +
    `"rest_requests":1,"at":"2025-12-16T14:35:05.120Z"}`
  );
}
