/** --log-format json / MD_LOG_FORMAT: every line on stderr is one JSON object (the exit lines too); the key never appears. */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonLines as jsonLinesOf } from '@md/test-support/app-probes';
import { until } from '@md/test-support';
import { FakeVendor, FAKE_API_KEY } from '@md/test-support/fake-vendor';
import { killAll, runTsx } from '@md/test-support/process';
import { dataFrames, haveFixtures } from './helpers';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const run = (args: string[], env: Record<string, string>) => runTsx(MAIN, args, { cwd: resolve(import.meta.dirname, '..'), env });
const fakes: FakeVendor[] = [];
afterEach(async () => {
  killAll();
  for (const f of fakes.splice(0)) await f.close();
});

const jsonLines = (stderr: string) => jsonLinesOf(stderr, 'live-ingestor');

describe('live-ingestor --log-format json', () => {
  it.skipIf(!haveFixtures)('a session to stdout: every stderr line is a JSON object, the final counters among them', async () => {
    const fv = await FakeVendor.start();
    fakes.push(fv);
    const r = run(['--sink', 'stdout', '--sessions', 'stocks', '--stats-interval', '0.2', '--log-format', 'json'], {
      POLYGON_API_KEY: FAKE_API_KEY,
      POLYGON_STOCKS_WS_URL: fv.url('stocks'),
    });
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 20_000, 'subscriptions');
    for (const l of dataFrames('stocks.jsonl')) fv.broadcast('stocks', l);
    await until(() => r.out.stdout.trimEnd().split('\n').length >= 19, 20_000, '19 events');
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    const lines = jsonLines(r.out.stderr);
    expect(lines.find((l) => l.msg === 'SIGTERM: closing sockets, publishing what is queued, waiting for acks')).toMatchObject({
      level: 'info',
    });
    expect(lines.some((l) => /^final frames=\d+ stock_trades=10 stock_quotes=9 /.test(String(l.msg)))).toBe(true);
    expect(r.out.stderr).not.toContain(FAKE_API_KEY);
  });

  it('authentication refused: the exit line (exit 3) is a JSON object too, the key redacted', async () => {
    const fv = await FakeVendor.start({ auth: 'fail' });
    fakes.push(fv);
    const key = 'sekret-key-abcdef-9876543210';
    const r = run(['--sink', 'stdout', '--sessions', 'stocks'], {
      POLYGON_API_KEY: key,
      POLYGON_STOCKS_WS_URL: fv.url('stocks'),
      MD_LOG_FORMAT: 'json',
    });
    expect(await r.exit).toBe(3);
    const lines = jsonLines(r.out.stderr);
    expect(lines[lines.length - 1]).toMatchObject({ level: 'error', msg: expect.stringMatching(/^live-ingestor: .*authentication/) });
    expect(r.out.stderr).not.toContain(key);
  });

  it('a configuration error (no API key) in the json format', async () => {
    const r = run(['--log-format', 'json'], {});
    expect(await r.exit).toBe(2);
    expect(jsonLines(r.out.stderr)).toEqual([
      expect.objectContaining({ level: 'error', msg: 'live-ingestor: no API key: set POLYGON_API_KEY (or MASSIVE_API_KEY)' }),
    ]);
  });
});
