/**
 * What the apps' process tests read of a running app: its metrics endpoint (the logged address, the samples of a
 * /metrics page, a probe), its JSON log lines, and a TCP listener standing in for NATS that counts connections
 * (configuration errors must not connect). No NATS here.
 */
import { createServer, type Server } from 'node:net';
import { expect } from 'vitest';
import { until } from './wait.js';

/** the samples of a Prometheus text page: `name{labels}` -> value (the page's status must be 200) */
export async function scrape(base: string): Promise<Map<string, number>> {
  const r = await fetch(`${base}/metrics`);
  expect(r.status).toBe(200);
  const out = new Map<string, number>();
  for (const line of (await r.text()).split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/** the sum of every sample of `name` (any labels) */
export const total = (m: Map<string, number>, name: string): number =>
  [...m].filter(([k]) => k === name || k.startsWith(`${name}{`)).reduce((n, [, v]) => n + v, 0);

/** GET `base + path`: its status and body */
export async function probe(base: string, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${base}${path}`);
  return { status: r.status, body: await r.text() };
}

/** the endpoint the app logged (`metrics: http://127.0.0.1:PORT/metrics, ...`), waited for up to 30 s */
export async function metricsEndpoint(r: { out: { stderr: string } }): Promise<string> {
  await until(() => /metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/.test(r.out.stderr), 30_000, 'the metrics line');
  const base = /metrics: (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(r.out.stderr)?.[1];
  if (base === undefined) throw new Error(`no metrics line:\n${r.out.stderr.slice(-2000)}`);
  return base;
}

/**
 * Every stderr line of program `name` parsed: each must be one JSON object with `time`, `level`, `name` and a
 * string `msg` (a line that is not fails the test, naming it).
 */
export function jsonLines(stderr: string, name: string): Record<string, unknown>[] {
  return stderr
    .trimEnd()
    .split('\n')
    .map((l) => {
      let o: unknown;
      try {
        o = JSON.parse(l);
      } catch {
        throw new Error(`not a JSON line: ${JSON.stringify(l)}`);
      }
      expect(o, l).toMatchObject({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: expect.any(String), name });
      expect(typeof (o as { msg?: unknown }).msg).toBe('string');
      return o as Record<string, unknown>;
    });
}

/** a loopback TCP listener that closes every connection at once, counting them */
export interface ConnectionTrap {
  /** its port */
  readonly port: number;
  /** `nats://127.0.0.1:PORT` */
  readonly url: string;
  /** the connections accepted so far */
  readonly connections: number;
  close(): Promise<void>;
}

/** a ConnectionTrap on a free loopback port */
export async function connectionTrap(): Promise<ConnectionTrap> {
  let connections = 0;
  const server: Server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
