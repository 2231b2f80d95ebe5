/**
 * --metrics-port during a real replay (the app as a child process, a real nats-server): /healthz, /readyz before
 * ready, while running and after the end; /metrics counters moving and, at the end (--metrics-linger), equal to
 * the summary's figures; the exact stored counts of a batch-mode rerun; a port in use.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { until } from '@md/test-support';
import { connectionTrap, metricsEndpoint as endpoint, probe, scrape, total, type ConnectionTrap } from '@md/test-support/app-probes';
import { group, killAll, run, startBus, tempDir, type Bus } from './helpers';

afterEach(() => killAll());

const num = (text: string) => Number(text.replace(/,/g, ''));

describe('replay-publisher --metrics-port', () => {
  let bus: Bus;
  let root: string;
  let events: number;
  beforeAll(async () => {
    bus = await startBus();
    root = tempDir('replay-metrics-');
    const g = await generateSampleSession({ root, seed: 5, trades: 3000, mbp10: 1500, options: 0 });
    events = g.counts.trades + g.counts.mbp10;
  }, 120_000);
  afterAll(async () => {
    await bus?.close();
  });

  it('a paced replay: 503 before NATS answers, 200 while replaying, counters move, the final scrape equals the summary, 503 after the end', async () => {
    await bus.purge();
    await bus.server.freeze(); // the app's connection waits: /readyz must say why it is not ready
    const r = run(
      ['--data-root', root, '--speed', '1', '--max-gap', '0.002', '--progress-every', '0', '--metrics-port', '0', '--metrics-linger', '60'],
      {
        NATS_URL: bus.server.url,
      },
    );
    let base: string;
    try {
      base = await endpoint(r);
      expect(await probe(base, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
      const before = await probe(base, '/readyz');
      expect(before.status).toBe(503);
      expect(before.body).toMatch(/^not ready: .*replay not started/);
      expect(before.body).toMatch(/NATS not connected/);
    } finally {
      bus.server.kill('SIGCONT');
    }
    await until(async () => (await probe(base, '/readyz')).status === 200, 30_000, '/readyz 200');
    // while replaying: the counters grow (several scrapes strictly between 0 and the total)
    const seen: number[] = [];
    await until(
      async () => {
        const m = await scrape(base);
        const n = m.get('md_replay_events_total') ?? -1;
        if (n > 0 && n < events && n !== seen[seen.length - 1]) seen.push(n);
        return seen.length >= 3 || /replay complete/.test(r.out.stdout);
      },
      60_000,
      'three scrapes mid-replay',
    );
    console.log(`md_replay_events_total mid-replay: ${seen.join(', ')} (of ${events})`);
    expect(seen.length).toBe(3);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    // the end: the summary, then the endpoint serves the final counts (--metrics-linger)
    await until(() => /serving the final counts/.test(r.out.stderr), 60_000, 'the end of the replay');
    const m = await scrape(base);
    const out = r.out.stdout;
    expect(num(group(/replay complete: ([\d,]+) events/, out))).toBe(events);
    expect(m.get('md_replay_events_total')).toBe(events);
    const [published, confirmed] = [
      group(/sink published \/ confirmed\s+([\d,]+) \//, out),
      group(/sink published \/ confirmed\s+[\d,]+ \/ ([\d,]+)/, out),
    ];
    expect(total(m, 'md_events_published_total')).toBe(num(published));
    expect(m.get('md_events_published_total{subject="market.futures.trades",source="replay"}')).toBe(
      num(group(/futures trades\s+([\d,]+)/, out)),
    );
    expect(m.get('md_events_published_total{subject="market.futures.mbp10",source="replay"}')).toBe(
      num(group(/MBP-10 books\s+([\d,]+)/, out)),
    );
    expect(total(m, 'md_events_confirmed_total')).toBe(num(confirmed));
    expect(m.get('md_events_confirmed_total{subject="market.futures.trades",source="replay"}')).toBe(
      m.get('md_events_published_total{subject="market.futures.trades",source="replay"}'),
    );
    expect(m.get('md_events_unconfirmed')).toBe(0);
    expect(m.get('md_publish_failures_total')).toBe(0);
    expect(out).toMatch(/stored new \/ already in the stream\s+4,500 \/ 0 \(exact\)/);
    expect(m.get('md_events_stored_new_total')).toBe(events);
    expect(m.get('md_events_already_stored_total')).toBe(0);
    expect(m.get('md_events_stored_exact')).toBe(1);
    expect(m.get('md_publish_ack_latency_seconds_count')).toBeGreaterThan(0);
    expect(m.get('md_publish_ack_latency_seconds_bucket{le="+Inf"}')).toBe(m.get('md_publish_ack_latency_seconds_count'));
    expect(m.get('md_replay_finished')).toBe(1);
    expect(m.get('md_replay_dates')).toBe(1);
    expect(m.get('md_replay_dates_done')).toBe(1);
    expect(m.get('md_replay_target_speed_ratio')).toBe(1);
    expect((m.get('md_replay_speed_ratio') ?? 0).toFixed(2)).toBe(group(/achieved speed\s+([\d.]+)x/, out));
    expect(m.get('md_replay_event_time_seconds')).toBeCloseTo(Date.parse(group(/last event\s+(\S+)/, out)) / 1000, 2);
    expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    const after = await probe(base, '/readyz');
    expect(after.status).toBe(503);
    expect(after.body).toMatch(/replay finished/);
    expect(await bus.count()).toBe(events);
    r.p.kill('SIGTERM'); // ends the linger
    expect(await r.exit).toBe(0);
  }, 120_000);

  it('a batch-mode rerun of the same data: 0 new, every event already in the stream (summary and metrics), exact', async () => {
    await bus.purge();
    const args = ['--data-root', root, '--speed', '0', '--publish-mode', 'batch', '--progress-every', '0'];
    const first = run(args, { NATS_URL: bus.server.url });
    expect(await first.exit, first.out.stderr).toBe(0);
    expect(first.out.stdout).toMatch(/stored new \/ already in the stream\s+4,500 \/ 0 \(exact\)/);
    const second = run([...args, '--metrics-port', '0', '--metrics-linger', '60'], { NATS_URL: bus.server.url });
    const base = await endpoint(second);
    await until(() => /serving the final counts/.test(second.out.stderr), 60_000, 'the end of the rerun');
    const out = second.out.stdout;
    expect(out).toMatch(/sink published \/ confirmed\s+4,500 \/ 4,500/);
    expect(out).toMatch(/stored new \/ already in the stream\s+0 \/ 4,500 \(exact\)/);
    const acksSaid = num(group(/sink duplicates \/ retried \/ failed\s+([\d,]+) \//, out));
    console.log(
      `batch-mode rerun: ${events} events, the PubAcks said duplicate for ${acksSaid}, the stream's state: 0 new / ${events} already there`,
    );
    const m = await scrape(base);
    expect(m.get('md_events_stored_new_total')).toBe(0);
    expect(m.get('md_events_already_stored_total')).toBe(events);
    expect(m.get('md_events_stored_exact')).toBe(1);
    expect(total(m, 'md_events_confirmed_total')).toBe(events);
    expect(m.get('md_pubacks_duplicate_events_total')).toBe(acksSaid);
    expect(await bus.count()).toBe(events);
    second.p.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  }, 120_000);
});

describe('replay-publisher --metrics-port: configuration', () => {
  let trap: ConnectionTrap;
  beforeAll(async () => {
    trap = await connectionTrap();
  });
  afterAll(() => trap?.close());

  it('a port in use: exit 2 naming --metrics-port and the address, nothing connects; --metrics-linger without a port: exit 2', async () => {
    const root = tempDir('replay-metrics-port-');
    await generateSampleSession({ root, seed: 6, trades: 50, mbp10: 50, options: 0 });
    const taken = trap.port;
    const r = run(['--data-root', root, '--metrics-port', String(taken)], { NATS_URL: trap.url });
    expect(await r.exit).toBe(2);
    expect(r.out.stderr).toContain(`replay-publisher: --metrics-port: 127.0.0.1:${taken} is already in use`);
    expect(trap.connections).toBe(0);
    const l = run(['--data-root', root, '--metrics-linger', '5'], { NATS_URL: trap.url });
    expect(await l.exit).toBe(2);
    expect(l.out.stderr).toMatch(/--metrics-linger needs --metrics-port/);
    const bad = run(['--data-root', root], { NATS_URL: trap.url, MD_METRICS_PORT: '70000' });
    expect(await bad.exit).toBe(2);
    expect(bad.out.stderr).toMatch(/--metrics-port \/ MD_METRICS_PORT must be/);
    expect(trap.connections).toBe(0);
  });
});
