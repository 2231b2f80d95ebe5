/** The metrics endpoint (a real HTTP server on a free loopback port), the scraped metrics and FastHistogram. */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMetricsRegistry,
  FastHistogram,
  isConfigError,
  PairCounts,
  Readiness,
  scraped,
  startMetricsServer,
  type MetricsServer,
} from '../src/index.ts';

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function get(url: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(url, { method });
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

describe('startMetricsServer', () => {
  it('port 0: a free port on 127.0.0.1, logged; /metrics in the text format with the process metrics; /healthz; 404 / 405', async () => {
    const reg = createMetricsRegistry();
    const stats = { events: 0 };
    scraped(reg, { name: 'md_test_events_total', help: 'events', type: 'counter', value: () => stats.events });
    const lines: string[] = [];
    const s = await startMetricsServer({
      port: 0,
      registry: reg,
      log: { info: (m) => void lines.push(m), warn: (m) => void lines.push(m) },
    });
    servers.push(s);
    expect(s.host).toBe('127.0.0.1');
    expect(s.port).toBeGreaterThan(0);
    expect(lines).toEqual([`metrics: http://127.0.0.1:${s.port}/metrics, /healthz, /readyz`]);
    stats.events = 41;
    let m = await get(`${s.url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toContain('# TYPE md_test_events_total counter\nmd_test_events_total 41\n');
    expect(m.body).toMatch(/^process_cpu_seconds_total \d/m);
    expect(m.body).toMatch(/^process_resident_memory_bytes \d/m);
    expect(m.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    stats.events = 42; // read when scraped
    m = await get(`${s.url}/metrics?x=1`);
    expect(m.body).toContain('md_test_events_total 42\n');
    expect(await get(`${s.url}/healthz`)).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await get(`${s.url}/healthz`, 'HEAD')).status).toBe(200);
    expect((await get(`${s.url}/nope`)).status).toBe(404);
    expect((await get(`${s.url}/metrics`, 'POST')).status).toBe(405);
  });

  it('/readyz: 503 naming every condition not ready, 200 once all hold, 503 again when one stops', async () => {
    const readiness = new Readiness().declare({ nats: 'NATS not connected', vendor: 'vendor sessions not authenticated' });
    const s = await startMetricsServer({ port: 0, registry: createMetricsRegistry({ processMetrics: false }), readiness });
    servers.push(s);
    expect(await get(`${s.url}/readyz`)).toMatchObject({
      status: 503,
      body: 'not ready: NATS not connected; vendor sessions not authenticated\n',
    });
    readiness.ready('nats');
    expect(await get(`${s.url}/readyz`)).toMatchObject({ status: 503, body: 'not ready: vendor sessions not authenticated\n' });
    readiness.ready('vendor');
    expect(await get(`${s.url}/readyz`)).toMatchObject({ status: 200, body: 'ready\n' });
    readiness.notReady('nats', 'NATS disconnected');
    expect(await get(`${s.url}/readyz`)).toMatchObject({ status: 503, body: 'not ready: NATS disconnected\n' });
    expect(new Readiness().reasons()).toEqual(['starting']);
  });

  it('a port in use: a ConfigError naming the flag and the address; a bad host names the host flag', async () => {
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const port = (other.address() as { port: number }).port;
    try {
      const e = await startMetricsServer({ port, registry: createMetricsRegistry({ processMetrics: false }) }).catch((x: unknown) => x);
      expect(isConfigError(e)).toBe(true);
      expect((e as Error).message).toBe(
        `--metrics-port: 127.0.0.1:${port} is already in use (another process listens there): choose another port, or 0 for a free one`,
      );
      expect((e as { option?: string }).option).toBe('--metrics-port');
    } finally {
      other.close();
    }
    const h = await startMetricsServer({ host: '192.0.2.1', port: 0, registry: createMetricsRegistry({ processMetrics: false }) }).catch(
      (x: unknown) => x,
    );
    expect(isConfigError(h)).toBe(true);
    expect((h as Error).message).toMatch(/^--metrics-host: cannot listen on "192\.0\.2\.1": not an address of this machine/);
    await expect(startMetricsServer({ port: 70000, registry: createMetricsRegistry({ processMetrics: false }) })).rejects.toThrow(
      /--metrics-port must be a port 0\.\.65535/,
    );
  });

  it('close() stops listening even with a keep-alive connection open; the port is free again', async () => {
    const s = await startMetricsServer({ port: 0, registry: createMetricsRegistry({ processMetrics: false }) });
    expect((await get(`${s.url}/healthz`)).status).toBe(200); // fetch keeps the connection alive
    const t0 = performance.now();
    await s.close();
    console.log(`metrics server closed in ${(performance.now() - t0).toFixed(1)} ms with a keep-alive connection open`);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    const again = await startMetricsServer({ port: s.port, registry: createMetricsRegistry({ processMetrics: false }) });
    servers.push(again);
    expect(again.port).toBe(s.port);
  });
});

describe('metrics', () => {
  it('names follow the convention: counters end with _total, nothing else does; label names checked', () => {
    const reg = createMetricsRegistry({ processMetrics: false });
    expect(() => scraped(reg, { name: 'md_events', help: 'x', type: 'counter', value: () => 0 })).toThrow(/ends with _total/);
    expect(() => scraped(reg, { name: 'md_depth_total', help: 'x', type: 'gauge', value: () => 0 })).toThrow(/only a counter/);
    expect(() => scraped(reg, { name: 'md-x', help: 'x', type: 'gauge', value: () => 0 })).toThrow(/not a Prometheus name/);
    expect(() => new FastHistogram(reg, { name: 'md_h_seconds', help: 'x', labelNames: ['le'] })).toThrow(/bad label name/);
  });

  it('labelled samples, PairCounts, and a FastHistogram written as cumulative buckets with _sum and _count', async () => {
    const reg = createMetricsRegistry({ processMetrics: false });
    const pc = new PairCounts('subject', 'source');
    pc.add('market.stocks.trades', 'massive_ws');
    pc.add('market.stocks.trades', 'massive_ws', 2);
    pc.add('market.stocks.trades', 'massive_rest');
    expect(pc.total()).toBe(4);
    scraped(reg, { name: 'md_published_total', help: 'p', type: 'counter', labelNames: ['subject', 'source'], value: () => pc.samples() });
    const h = new FastHistogram(reg, { name: 'md_lag_seconds', help: 'lag', buckets: [0.1, 1], labelNames: ['source'] });
    const ws = h.labels('massive_ws');
    for (const v of [0.05, 0.1, 0.5, 3, NaN]) ws.observe(v);
    const text = await reg.metrics();
    expect(text).toContain('md_published_total{subject="market.stocks.trades",source="massive_ws"} 3\n');
    expect(text).toContain('md_published_total{subject="market.stocks.trades",source="massive_rest"} 1\n');
    expect(text).toContain(
      [
        '# TYPE md_lag_seconds histogram',
        'md_lag_seconds_bucket{source="massive_ws",le="0.1"} 2',
        'md_lag_seconds_bucket{source="massive_ws",le="1"} 3',
        'md_lag_seconds_bucket{source="massive_ws",le="+Inf"} 4',
        'md_lag_seconds_sum{source="massive_ws"} 3.65',
        'md_lag_seconds_count{source="massive_ws"} 4',
      ].join('\n'),
    );
    expect(h.labels('massive_ws')).toBe(ws); // one series per label values
    expect(() => h.labels()).toThrow(/1 label value\(s\) expected/);
  });
});
