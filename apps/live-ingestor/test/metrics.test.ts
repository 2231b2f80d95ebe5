/**
 * --metrics-port during a live session against the fake vendor (the app as a child process, a real nats-server):
 * /readyz before NATS answers and the sessions authenticate, then 200; /metrics counters equal to the final stats
 * line; the exact stored counts of a rerun of the same frames; a port in use.
 */
import { resolve } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { until } from '@md/test-support';
import { FakeVendor, FAKE_API_KEY } from '@md/test-support/fake-vendor';
import { connectionTrap, metricsEndpoint as endpoint, probe, scrape, total, type ConnectionTrap } from '@md/test-support/app-probes';
import { killAll, runTsx } from '@md/test-support/process';
import { counters, dataFrames, haveFixtures, startBus, type Bus } from './helpers';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const run = (args: string[], env: Record<string, string>) => runTsx(MAIN, args, { cwd: resolve(import.meta.dirname, '..'), env });
const fakes: FakeVendor[] = [];
afterEach(async () => {
  killAll();
  for (const f of fakes.splice(0)) await f.close();
});

const finalLine = (stderr: string) => /final frames=.*/.exec(stderr)?.[0] ?? '';

describe.skipIf(!haveFixtures)('live-ingestor --metrics-port', () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await startBus();
  }, 60_000);
  afterAll(async () => {
    await bus?.close();
  });

  /** one session: start (NATS frozen at first when `frozen`), the fixture frames, every event confirmed and counted as stored */
  async function session(frozen: boolean) {
    const fv = await FakeVendor.start();
    fakes.push(fv);
    if (frozen) await bus.server.freeze();
    const r = run(
      [
        '--sessions',
        'stocks,options',
        '--expiry',
        '2025-12-16',
        '--initial-price',
        '676.4',
        '--stats-interval',
        '0',
        '--no-backfill',
        '--metrics-port',
        '0',
      ],
      {
        POLYGON_API_KEY: FAKE_API_KEY,
        POLYGON_STOCKS_WS_URL: fv.url('stocks'),
        POLYGON_OPTIONS_WS_URL: fv.url('options'),
        NATS_URL: bus.server.url,
      },
    );
    let base = '';
    try {
      base = await endpoint(r);
      if (frozen) {
        expect(await probe(base, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
        const before = await probe(base, '/readyz');
        expect(before.status).toBe(503);
        expect(before.body).toMatch(/NATS not connected/);
        expect(before.body).toMatch(/vendor session\(s\) stocks, options not authenticated/);
      }
    } finally {
      if (frozen) bus.server.kill('SIGCONT');
    }
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2 && fv.subscriptions('options').size === 28, 20_000, 'subscriptions');
    await until(async () => (await probe(base, '/readyz')).status === 200, 20_000, '/readyz 200');
    const m0 = await scrape(base);
    for (const l of dataFrames('stocks.jsonl')) fv.broadcast('stocks', l);
    for (const l of dataFrames('options.jsonl')) fv.broadcast('options', l);
    let m = m0;
    await until(
      async () => {
        m = await scrape(base);
        return (
          total(m, 'md_events_confirmed_total') === 29 &&
          (m.get('md_events_stored_new_total') ?? 0) + (m.get('md_events_already_stored_total') ?? 0) === 29
        );
      },
      20_000,
      '29 events confirmed and accounted for by the stream',
    );
    return { r, base, m0, m };
  }

  it('counters move while the frames arrive and equal the final stats line; ready once NATS and both sessions are up', async () => {
    await bus.purge();
    const { r, m0, m } = await session(true);
    expect(total(m0, 'md_events_published_total')).toBe(0);
    expect(total(m, 'md_events_published_total')).toBe(29);
    expect(total(m, 'md_vendor_frames_total')).toBeGreaterThan(total(m0, 'md_vendor_frames_total'));
    expect(m.get('md_vendor_session_up{session="stocks"}')).toBe(1);
    expect(m.get('md_vendor_session_up{session="options"}')).toBe(1);
    expect(m.get('md_feed_lag_seconds_count{source="massive_ws"}')).toBe(29);
    expect(m.get('md_publish_ack_latency_seconds_count')).toBe(29); // ack mode: one PubAck per event
    expect(m.get('md_events_stored_new_total')).toBe(29);
    expect(m.get('md_events_stored_exact')).toBe(1);
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    const c = counters(finalLine(r.out.stderr));
    expect(total(m, 'md_vendor_frames_total')).toBe(c.frames);
    expect(total(m, 'md_events_published_total')).toBe(c.published);
    expect(total(m, 'md_events_confirmed_total')).toBe(c.acked);
    expect(m.get('md_pubacks_duplicate_events_total')).toBe(c.duplicates);
    expect(m.get('md_publish_failures_total')).toBe(c.failed);
    expect(m.get('md_events_unconfirmed')).toBe(c.pending);
    expect(m.get('md_queue_dropped_events_total')).toBe(c.dropped);
    expect(total(m, 'md_vendor_reconnects_total')).toBe(c.reconnects);
    expect(m.get('md_vendor_malformed_frames_total')).toBe(c.malformed_frames);
    expect(m.get('md_vendor_events_total{kind="stock_trade"}')).toBe(c.stock_trades);
    expect(m.get('md_vendor_events_total{kind="option_quote"}')).toBe(c.option_quotes);
    expect(m.get('md_publish_errors_total')).toBe(c.publish_errors);
    expect(m.get('md_gaps_total')).toBe(c.gaps);
    expect(m.get('md_backfilled_events_total')).toBe(c.backfilled);
    expect(r.out.stderr).toMatch(/final stored_new=29 already_stored=0 stored_exact=true\n/);
    expect(await bus.count()).toBe(29);
    expect(r.out.stderr).not.toContain(FAKE_API_KEY);
  }, 90_000);

  it('the same frames again: every event already in the stream, 0 new (final line and metrics), exact', async () => {
    const { r, m } = await session(false);
    expect(m.get('md_events_stored_new_total')).toBe(0);
    expect(m.get('md_events_already_stored_total')).toBe(29);
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.out.stderr).toMatch(/final stored_new=0 already_stored=29 stored_exact=true\n/);
    expect(counters(finalLine(r.out.stderr)).duplicates).toBe(29); // ack mode: the PubAcks say it too
    expect(await bus.count()).toBe(29);
  }, 90_000);
});

describe('live-ingestor --metrics-port: configuration', () => {
  let other: ConnectionTrap;
  beforeAll(async () => {
    other = await connectionTrap();
  });
  afterAll(() => other?.close());

  it('a port in use: exit 2 naming --metrics-port, the vendor never contacted', async () => {
    const fv = await FakeVendor.start();
    fakes.push(fv);
    const port = other.port;
    const r = run(['--sink', 'stdout', '--sessions', 'stocks', '--metrics-port', String(port)], {
      POLYGON_API_KEY: FAKE_API_KEY,
      POLYGON_STOCKS_WS_URL: fv.url('stocks'),
    });
    expect(await r.exit).toBe(2);
    expect(r.out.stderr).toContain(`live-ingestor: --metrics-port: 127.0.0.1:${port} is already in use`);
    expect(fv.connections).toHaveLength(0);
  });
});
