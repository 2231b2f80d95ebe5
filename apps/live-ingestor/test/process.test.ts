/** The app as a process: exit codes, messages, signals, stdout sink. */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@md/test-support';
import { FakeVendor, FAKE_API_KEY } from '@md/test-support/fake-vendor';
import { killAll, runTsx } from '@md/test-support/process';
import { dataFrames, haveFixtures, startBus } from './helpers';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const fakes: FakeVendor[] = [];
afterEach(async () => {
  killAll();
  for (const f of fakes.splice(0)) await f.close();
});

const run = (args: string[], env: Record<string, string>) => runTsx(MAIN, args, { cwd: resolve(import.meta.dirname, '..'), env });

describe('live-ingestor process', () => {
  it('--help prints the usage and exits 0', async () => {
    const r = run(['--help'], {});
    expect(await r.exit).toBe(0);
    expect(r.out.stdout).toMatch(/Usage: live-ingestor/);
    expect(r.out.stdout).toMatch(/POLYGON_STOCKS_WS_URL/);
  });

  it('no API key: exit 2 with a clear message', async () => {
    const r = run(['--sink', 'stdout'], {});
    expect(await r.exit).toBe(2);
    expect(r.out.stderr).toMatch(/no API key: set POLYGON_API_KEY \(or MASSIVE_API_KEY\)/);
  });

  it('an expiry the strike manager refuses: exit 2 with its message', async () => {
    const r = run(['--sink', 'stdout', '--expiry', '2025-13-01'], { POLYGON_API_KEY: 'k-123456' });
    expect(await r.exit).toBe(2);
    expect(r.out.stderr).toMatch(/month 13/);
  });

  it('NATS unreachable at start: exit 1 with the reason', async () => {
    const r = run([], { POLYGON_API_KEY: 'k-123456', NATS_URL: 'nats://127.0.0.1:1' });
    expect(await r.exit).toBe(1);
    expect(r.out.stderr).toMatch(/cannot connect to NATS at .*127\.0\.0\.1:1/);
  });

  for (const mode of ['fail', 'plan'] as const) {
    it(`authentication refused (${mode}): exits 3 with the message, no retry storm, key never printed`, async () => {
      const fv = await FakeVendor.start({ auth: mode });
      fakes.push(fv);
      const key = 'sekret-key-abcdef-9876543210';
      const r = run(['--sink', 'stdout', '--sessions', 'stocks', '--backoff-initial-ms', '10'], {
        POLYGON_API_KEY: key,
        POLYGON_STOCKS_WS_URL: fv.url('stocks'),
      });
      expect(await r.exit).toBe(3);
      expect(fv.authAttempts).toBe(1);
      expect(fv.connections).toHaveLength(1);
      expect(r.out.stderr).toMatch(
        mode === 'plan' ? /plan does not include WebSocket access/ : /authentication refused .*"authentication failed".*Not retrying/,
      );
      expect(r.out.stderr + r.out.stdout).not.toContain(key);
      expect(r.out.stdout).toBe('');
    });
  }

  it.skipIf(!haveFixtures)('--sink stdout: subject<TAB>json per event; SIGTERM closes the sockets and exits 0', async () => {
    const fv = await FakeVendor.start();
    fakes.push(fv);
    const r = run(['--sink', 'stdout', '--sessions', 'stocks', '--stats-interval', '0'], {
      MASSIVE_API_KEY: FAKE_API_KEY,
      POLYGON_STOCKS_WS_URL: fv.url('stocks'),
    });
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 20_000, 'subscription');
    for (const l of dataFrames('stocks.jsonl')) fv.broadcast('stocks', l);
    await until(() => r.out.stdout.split('\n').length > 19, 10_000, '19 lines');
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    const lines = r.out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(19);
    const [subject, body] = (lines[0] ?? '').split('\t');
    expect(subject).toBe('market.stocks.quotes');
    expect(body).toMatch(
      /^\{"ts_event_ns":1765898100012000000,"ts_recv_ns":\d{19},"source":"massive_ws","symbol":"SPY","bid_px":676.4,"ask_px":676.41,"bid_sz":200,"ask_sz":320,"bid_exch":11,"ask_exch":12,"seq":83515201\}$/,
    );
    expect(r.out.stderr).toMatch(/SIGTERM: closing sockets/);
    expect(r.out.stderr).toMatch(/final frames=\d+ stock_trades=10 stock_quotes=9 /);
    await until(() => fv.live('stocks').length === 0, 5000, 'socket closed');
    expect(r.out.stderr).not.toContain(FAKE_API_KEY);
  });

  it.skipIf(!haveFixtures)('--sink nats: SIGTERM right after the frames waits for every ack, exits 0, all events stored', async () => {
    const [fv, bus] = await Promise.all([FakeVendor.start(), startBus()]);
    fakes.push(fv);
    try {
      const r = run(['--sessions', 'stocks,options', '--expiry', '2025-12-16', '--initial-price', '676.4', '--stats-interval', '0.1'], {
        POLYGON_API_KEY: FAKE_API_KEY,
        POLYGON_STOCKS_WS_URL: fv.url('stocks'),
        POLYGON_OPTIONS_WS_URL: fv.url('options'),
        NATS_URL: bus.server.url,
      });
      await fv.waitFor(() => fv.subscriptions('stocks').size === 2 && fv.subscriptions('options').size === 28, 20_000, 'subscriptions');
      for (const l of dataFrames('stocks.jsonl')) fv.broadcast('stocks', l);
      for (const l of dataFrames('options.jsonl')) fv.broadcast('options', l);
      // wait until the process has read every frame (its periodic counters line says so), then stop it at once
      await until(
        () => /stats frames=\d+ stock_trades=10 stock_quotes=9 option_trades=10 option_quotes=5 /.test(r.out.stderr),
        20_000,
        'frames read',
      );
      r.p.kill('SIGTERM');
      expect(await r.exit).toBe(0);
      expect(r.out.stderr).toMatch(
        /final frames=\d+ stock_trades=10 stock_quotes=9 option_trades=10 option_quotes=5 .* published=29 acked=29 .*failed=0 pending=0/,
      );
      expect(await bus.count()).toBe(29);
      expect(r.out.stderr).not.toContain(FAKE_API_KEY);
    } finally {
      await bus.close();
    }
  });

  it.skipIf(!haveFixtures)('--sink stdout: the reader goes away (EPIPE) -> stops with exit 0', async () => {
    const fv = await FakeVendor.start();
    fakes.push(fv);
    const r = run(['--sink', 'stdout', '--sessions', 'stocks', '--stats-interval', '0'], {
      POLYGON_API_KEY: FAKE_API_KEY,
      POLYGON_STOCKS_WS_URL: fv.url('stocks'),
    });
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 20_000, 'subscription');
    const frames = dataFrames('stocks.jsonl');
    const first = frames[0];
    if (first === undefined) throw new Error('stocks.jsonl has no data frame');
    fv.broadcast('stocks', first);
    await until(() => r.out.stdout.includes('\n'), 10_000, 'first line');
    r.p.stdout.destroy();
    for (let i = 0; i < 50; i++) for (const l of frames) fv.broadcast('stocks', l);
    expect(await r.exit).toBe(0);
    expect(r.out.stderr).toMatch(/stdout closed \(EPIPE\): stopping/);
  });
});
