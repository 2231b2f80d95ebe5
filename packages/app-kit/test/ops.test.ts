/** The shared operations options, the early log format, linger, dynamic readiness, the bus metrics with fakes. */
import { describe, expect, it } from 'vitest';
import {
  createMetricsRegistry,
  defineOptions,
  opsOptions,
  parseOptions,
  peekLogFormat,
  publishMetrics,
  Readiness,
  startMetricsServer,
  storedMetrics,
  type SinkStatsLike,
} from '../src/index.ts';

describe('opsOptions and peekLogFormat', () => {
  const table = defineOptions({ ...opsOptions() });
  it('defaults: metrics off on 127.0.0.1, text logs; flags and environment variables', () => {
    const d = parseOptions(table, { argv: [], env: {} });
    expect(d !== 'help' && d.values).toEqual({ metricsPort: null, metricsHost: '127.0.0.1', logFormat: 'text' });
    const g = parseOptions(table, { argv: ['--metrics-port', '0', '--log-format', 'json'], env: { MD_METRICS_HOST: '0.0.0.0' } });
    expect(g !== 'help' && g.values).toEqual({ metricsPort: 0, metricsHost: '0.0.0.0', logFormat: 'json' });
    expect(() => parseOptions(table, { argv: ['--log-format', 'xml'], env: {} })).toThrow(/--log-format \/ MD_LOG_FORMAT/);
    expect(() => parseOptions(table, { argv: ['--metrics-port', '65536'], env: {} })).toThrow(/--metrics-port \/ MD_METRICS_PORT/);
  });
  it('peekLogFormat: the flag (last wins, = form too), else MD_LOG_FORMAT, else text; after -- nothing counts', () => {
    expect(peekLogFormat([], {})).toBe('text');
    expect(peekLogFormat([], { MD_LOG_FORMAT: 'json' })).toBe('json');
    expect(peekLogFormat(['--log-format', 'json'], {})).toBe('json');
    expect(peekLogFormat(['--log-format=json', '--log-format', 'text'], { MD_LOG_FORMAT: 'json' })).toBe('text');
    expect(peekLogFormat(['--', '--log-format', 'json'], {})).toBe('text');
    expect(peekLogFormat(['--log-format', 'xml'], {})).toBe('text');
  });
});

describe('linger and dynamic readiness', () => {
  it('linger(ms) resolves after ms, or at once when the signal aborts (or had aborted)', async () => {
    const s = await startMetricsServer({ port: 0, registry: createMetricsRegistry({ processMetrics: false }) });
    try {
      let t0 = performance.now();
      await s.linger(150);
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(140);
      const ac = new AbortController();
      t0 = performance.now();
      const p = s.linger(60_000, ac.signal);
      setTimeout(() => ac.abort(), 20);
      await p;
      const aborted = performance.now() - t0;
      console.log(`linger 150 ms took ${waited.toFixed(0)} ms; linger 60 s aborted after ${aborted.toFixed(0)} ms`);
      expect(aborted).toBeLessThan(10_000);
      await s.linger(60_000, ac.signal); // already aborted
    } finally {
      await s.close();
    }
  });
  it('Readiness.check: read when asked', () => {
    let up = false;
    const r = new Readiness();
    r.check('vendor', () => (up ? null : 'vendor down'));
    expect(r.reasons()).toEqual(['vendor down']);
    up = true;
    expect(r.isReady).toBe(true);
  });
});

describe('publishMetrics and storedMetrics', () => {
  it("the publisher's counters read when scraped; onConfirm observations; per subject and source", async () => {
    const reg = createMetricsRegistry({ processMetrics: false });
    const stats: SinkStatsLike = { published: 3, acked: 2, duplicates: 1, retried: 0, failed: 0, pending: 1 };
    const pm = publishMetrics(reg, () => stats);
    for (const s of ['x', 'x', 'y']) pm.count({ subject: `market.${s}`, event: { source: 'sim' } });
    pm.onConfirm(2, 12.5, false);
    pm.onConfirmEvent('market.x', 'sim');
    pm.onConfirmEvent('market.y', 'sim');
    const text = await reg.metrics();
    expect(text).toContain('md_events_published_total{subject="market.x",source="sim"} 2\n');
    expect(text).toContain('md_events_confirmed_total{subject="market.x",source="sim"} 1\n');
    expect(text).toContain('md_events_confirmed_total{subject="market.y",source="sim"} 1\n');
    expect(text).toContain('md_events_unconfirmed 1\n');
    expect(text).toContain('md_pubacks_duplicate_events_total 1\n');
    expect(text).toContain('md_publish_ack_latency_seconds_sum 0.0125\nmd_publish_ack_latency_seconds_count 1');
  });
  it('storedMetrics: the stored counts read from the tracker when scraped', async () => {
    let counts: { new: number; duplicates: number; exact: boolean } | null = null;
    const reg = createMetricsRegistry({ processMetrics: false });
    storedMetrics(reg, { current: async () => counts });
    expect(await reg.metrics()).toContain('md_events_stored_new_total 0\n');
    expect(await reg.metrics()).toContain('md_events_stored_exact 0\n');
    counts = { new: 50, duplicates: 30, exact: true };
    const text = await reg.metrics();
    expect(text).toContain('md_events_stored_new_total 50\n');
    expect(text).toContain('md_events_already_stored_total 30\n');
    expect(text).toContain('md_events_stored_exact 1\n');
  });
});
