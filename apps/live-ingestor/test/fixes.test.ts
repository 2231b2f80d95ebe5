/**
 * Regression tests for the live-ingestor's known bugs 1-5 of RELIABILITY.md (and 6/7 through the app):
 * 1. timer values beyond 2^31-1 ms refused; 2. --queue-size bounded, before anything connects;
 * 3. a frame that is not valid UTF-8 is counted malformed (offset of the first bad byte) and skipped: now
 *    tested where the code lives, packages/polygon-normalizer/test/session.test.ts (firstInvalidUtf8Offset)
 *    and packages/live-engine/test/engine.test.ts (the engine's counters and log);
 * 4. the NATS connection closed for good stops the app (exit 1); events that failed to publish -> exit 4;
 * 5. an existing replicated stream is used as it is, in ack mode; NATS_STREAM_REPLICAS for creation;
 * 6/7. credentials written into NATS_URL (with or without scheme) work and are never printed.
 * Real parts: the app as a process (src/main.ts through tsx), real nats-servers, the fake vendor on loopback.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectBus, ensureStream } from '@md/nats-bus';
import { startNatsCluster, startNatsServer, type LocalNatsCluster, type LocalNatsServer } from '@md/nats-bus/testing';
import { until } from '@md/test-support';
import { FakeVendor, FAKE_API_KEY } from '@md/test-support/fake-vendor';
import { killAll, runTsx } from '@md/test-support/process';
import { ConfigError, parseConfig, type LiveConfig } from '../src/config';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
afterAll(() => killAll());

const run = (args: string[], env: Record<string, string>) =>
  runTsx(MAIN, ['--sessions', 'stocks', ...args], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { POLYGON_API_KEY: FAKE_API_KEY, ...env },
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const trade = (q: number, sym = 'SPY') =>
  JSON.stringify([{ ev: 'T', sym, i: String(q), x: 12, p: 676.41, s: 100, t: 1765898100000 + q, q }]);
const cfgOf = (argv: string[], env: Record<string, string> = {}) =>
  parseConfig(argv, { POLYGON_API_KEY: 'k-123456', ...env }) as LiveConfig;

describe('bug 1: timers beyond 2^31-1 ms are refused, naming the flag, the bound and the value', () => {
  const secFlags = [
    '--stats-interval',
    '--ping-interval',
    '--step-timeout',
    '--stable-reset',
    '--max-connections-cooldown',
    '--shutdown-timeout',
    '--idle-timeout',
  ];
  it.each(secFlags)('%s (seconds)', (f) => {
    expect(() => cfgOf([f, '3000000'])).toThrow(ConfigError);
    expect(() => cfgOf([f, '3000000'])).toThrow(`${f} must be <= 2147483 (seconds), got "3000000"`);
    expect(() => cfgOf([f, '2147483.648'])).toThrow(/must be <= 2147483/);
    // the bound itself still works (2147483000 ms fits a timer)
    expect(() => cfgOf([f, '2147483'])).not.toThrow();
  });
  it('LIVE_STATS_INTERVAL_S / LIVE_IDLE_TIMEOUT_S are bounded the same way', () => {
    expect(() => cfgOf([], { LIVE_STATS_INTERVAL_S: '1e7' })).toThrow('--stats-interval must be <= 2147483 (seconds), got "1e7"');
    expect(() => cfgOf([], { LIVE_IDLE_TIMEOUT_S: '99999999' })).toThrow(/--idle-timeout must be <= 2147483/);
  });
  it.each(['--backoff-initial-ms', '--backoff-max-ms'])('%s (ms)', (f) => {
    expect(() => cfgOf([f, '2147483648'])).toThrow(`${f} must be <= 2147483647 (ms), got "2147483648"`);
    expect(cfgOf([f, '2147483647'])).toBeTruthy();
  });
  it('the process exits 2 with the message, before anything connects', async () => {
    const listener = await countingListener();
    try {
      const r = run(['--stats-interval', '3000000'], {
        NATS_URL: `nats://127.0.0.1:${listener.port}`,
        POLYGON_STOCKS_WS_URL: `ws://127.0.0.1:${listener.port}/stocks`,
      });
      expect(await r.exit).toBe(2);
      expect(r.out.stderr).toContain('--stats-interval must be <= 2147483 (seconds), got "3000000"');
      expect(r.out.stderr).not.toMatch(/TimeoutOverflowWarning/);
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
  }, 30_000);
});

/** a TCP listener standing in for NATS and the vendor: counts connections */
async function countingListener(): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let n = 0;
  const socks: Socket[] = [];
  const srv: Server = createServer((s) => {
    n++;
    socks.push(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    connections: () => n,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

describe('bug 2: --queue-size is bounded', () => {
  it('refused above 10,000,000 with the flag named; the bound is accepted', () => {
    expect(() => cfgOf(['--queue-size', '1e12'])).toThrow('--queue-size must be <= 10000000 (events), got "1e12"');
    expect(() => cfgOf(['--queue-size', '10000001'])).toThrow(/--queue-size must be <= 10000000/);
    expect(cfgOf(['--queue-size', '10000000']).queueSize).toBe(10_000_000);
  });
  it('the process exits 2 naming --queue-size, and never connects to NATS or the vendor', async () => {
    const listener = await countingListener();
    try {
      const r = run(['--queue-size', '1e12'], {
        NATS_URL: `nats://127.0.0.1:${listener.port}`,
        POLYGON_STOCKS_WS_URL: `ws://127.0.0.1:${listener.port}/stocks`,
      });
      expect(await r.exit).toBe(2);
      expect(r.out.stderr).toContain('--queue-size must be <= 10000000 (events), got "1e12"');
      expect(r.out.stderr).not.toMatch(/Invalid array length/);
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
  }, 30_000);
});

describe('bug 4: NATS closed for good stops the app; failed publishes give a non-zero exit', () => {
  const PASSWORD = 'fix4-Pass-Ak29x';
  const WRONG = 'fix4-Wrong-Qp11z';
  let fv: FakeVendor;
  beforeAll(async () => {
    fv = await FakeVendor.start();
  });
  afterAll(async () => {
    await fv?.close();
  });

  it('credentials revoked while running: the app exits 1 by itself with a redacted message', async () => {
    const srv = await startNatsServer({ configText: `authorization { user: alice, password: "${PASSWORD}" }\n` });
    let revoked: LocalNatsServer | null = null;
    try {
      const conns = fv.connections.length;
      const r = run(['--stats-interval', '0.5', '--shutdown-timeout', '2'], {
        POLYGON_STOCKS_WS_URL: fv.url('stocks'),
        NATS_URL: srv.url.replace('nats://', `nats://alice:${PASSWORD}@`),
      });
      await fv.waitFor(() => fv.connections.length > conns && fv.subscriptions('stocks').size === 2, 30_000, 'subscription');
      await srv.stop();
      revoked = await startNatsServer({ port: srv.port, configText: `authorization { user: alice, password: "${WRONG}" }\n` });
      const code = await Promise.race([r.exit, sleep(30_000).then(() => 'still running' as const)]);
      expect(code, r.out.stderr.slice(-1500)).toBe(1);
      expect(r.out.stderr).toMatch(/nats: the connection is closed for good \(.*\): stopping/);
      expect(r.out.stderr).toMatch(/live-ingestor: NATS connection closed: /);
      expect(r.out.stderr + r.out.stdout).not.toContain(PASSWORD);
      await fv.waitFor(() => fv.live('stocks').length === 0, 5000, 'vendor socket closed');
    } finally {
      await revoked?.dispose();
      await srv.dispose();
    }
  }, 90_000);

  it('events that could not be stored (stream deleted while running): SIGTERM exits 4 naming the count', async () => {
    const srv = await startNatsServer();
    try {
      const r = run(['--stats-interval', '0.5', '--shutdown-timeout', '1'], { POLYGON_STOCKS_WS_URL: fv.url('stocks'), NATS_URL: srv.url });
      await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 30_000, 'subscription');
      await until(() => /nats: stream MARKET_DATA/.test(r.out.stderr), 10_000, 'stream ensured');
      const nc = await connectBus({ servers: srv.url });
      await (await jetstreamManager(nc)).streams.delete('MARKET_DATA');
      await nc.close();
      for (let q = 1; q <= 3; q++) fv.broadcast('stocks', trade(100 + q));
      await until(() => /stats frames=\d+ stock_trades=3 /.test(r.out.stderr), 10_000, 'frames read');
      r.p.kill('SIGTERM');
      expect(await r.exit, r.out.stderr.slice(-1500)).toBe(4);
      expect(r.out.stderr).toMatch(/live-ingestor: SIGTERM: \d+ event\(s\) failed to publish \(publish_errors=\d+, failed=\d+\)/);
    } finally {
      await srv.dispose();
    }
  }, 60_000);
});

describe('bugs 6 and 7 through the app: credentials inside NATS_URL', () => {
  const PASSWORD = 'fix6-Pass-Mm40q';
  const WRONG = 'fix7-Wrong-Rr83t';
  let srv: LocalNatsServer;
  let fv: FakeVendor;
  beforeAll(async () => {
    [srv, fv] = await Promise.all([
      startNatsServer({ configText: `authorization { user: alice, password: "${PASSWORD}" }\n` }),
      FakeVendor.start(),
    ]);
  });
  afterAll(async () => {
    await fv?.close();
    await srv?.dispose();
  });
  it('the right password in a scheme-less NATS_URL authenticates and stores; SIGTERM exits 0; never printed', async () => {
    const r = run(['--stats-interval', '0.2'], {
      LIVE_DEBUG: '1',
      POLYGON_STOCKS_WS_URL: fv.url('stocks'),
      NATS_URL: `alice:${PASSWORD}@127.0.0.1:${srv.port}`,
    });
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 30_000, 'subscription');
    fv.broadcast('stocks', trade(1));
    await until(() => /stats .* acked=1 /.test(r.out.stderr), 10_000, 'the event acked');
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.out.stderr + r.out.stdout).not.toContain(PASSWORD);
  }, 60_000);
  it('a wrong password in a scheme-less NATS_URL: exit 1, "cannot connect", the password never printed', async () => {
    const r = run([], { POLYGON_STOCKS_WS_URL: fv.url('stocks'), NATS_URL: `alice:${WRONG}@127.0.0.1:${srv.port}` });
    expect(await r.exit).toBe(1);
    expect(r.out.stderr).toMatch(/cannot connect to NATS at alice:\*\*\*@127\.0\.0\.1:\d+ \(user "alice"\): authentication refused/);
    expect(r.out.stderr).not.toContain(WRONG);
  }, 60_000);
});

describe('bug 5: a replicated stream on a 3-node cluster', () => {
  let cluster: LocalNatsCluster;
  let fv: FakeVendor;
  beforeAll(async () => {
    [cluster, fv] = await Promise.all([startNatsCluster({ size: 3 }), FakeVendor.start()]);
  }, 90_000);
  afterAll(async () => {
    await fv?.close();
    await cluster?.dispose();
  });
  afterEach(() => killAll());

  async function streamInfo() {
    const nc = await connectBus({ servers: cluster.url });
    try {
      for (let i = 0; ; i++) {
        try {
          return (await ensureStream(nc, { acceptExisting: 'subjects' })).info;
        } catch (e) {
          if (i >= 20) throw e;
          await sleep(500);
        }
      }
    } finally {
      await nc.close();
    }
  }

  it('NATS_STREAM_REPLICAS=3 creates an R3 stream; NATS_URL alone then uses it as is, in ack mode, and stores events', async () => {
    const a = run(['--stats-interval', '0'], { POLYGON_STOCKS_WS_URL: fv.url('stocks'), NATS_URL: cluster.url, NATS_STREAM_REPLICAS: '3' });
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 30_000, 'subscription');
    expect(a.out.stderr).toMatch(/nats: stream MARKET_DATA created \(3 replica\(s\)\)/);
    a.p.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    expect((await streamInfo()).config.num_replicas).toBe(3);

    const b = run(['--stats-interval', '0.2'], { POLYGON_STOCKS_WS_URL: fv.url('stocks'), NATS_URL: cluster.url });
    await fv.waitFor(() => fv.live('stocks').length === 1 && fv.subscriptions('stocks').size === 2, 30_000, 'subscription');
    expect(b.out.stderr).toMatch(
      /nats: stream MARKET_DATA exists \(3 replica\(s\)\); its settings differ from this app's defaults \(num_replicas 3\): used as it is/,
    );
    expect(b.out.stderr).toMatch(/nats: publish mode ack/);
    fv.broadcast('stocks', trade(1));
    await until(() => /stats .* acked=1 /.test(b.out.stderr), 20_000, 'the event acked');
    b.p.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    expect(Number((await streamInfo()).state.messages)).toBe(1);
  }, 120_000);

  it('--publish-mode batch on a replicated stream is kept but warned about; a bad NATS_STREAM_REPLICAS exits 2', async () => {
    const r = run(['--stats-interval', '0', '--publish-mode', 'batch'], { POLYGON_STOCKS_WS_URL: fv.url('stocks'), NATS_URL: cluster.url });
    await fv.waitFor(() => fv.live('stocks').length === 1 && fv.subscriptions('stocks').size === 2, 30_000, 'subscription');
    expect(r.out.stderr).toMatch(/--publish-mode batch on a replicated stream: a leader change can lose events/);
    expect(r.out.stderr).toMatch(/nats: publish mode batch/);
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    const bad = run([], { POLYGON_STOCKS_WS_URL: fv.url('stocks'), NATS_URL: cluster.url, NATS_STREAM_REPLICAS: '7' });
    expect(await bad.exit).toBe(2);
    expect(bad.out.stderr).toMatch(/--replicas \/ NATS_STREAM_REPLICAS must be <= 5, got "7"/);
  }, 90_000);
});
