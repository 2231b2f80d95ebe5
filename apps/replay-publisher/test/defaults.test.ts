/**
 * The CLI's defaults are @md/replay-engine's REPLAY_DEFAULTS (defined once there), and a library replay of a data
 * root publishes exactly what the CLI publishes: same events, same bytes, same order.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { StdoutSink } from '@md/nats-bus';
import { replay, REPLAY_DEFAULTS } from '@md/replay-engine';
import { parseConfig, type ReplayConfig } from '../src/config';
import { firstStepBack, group, killAll, run, tempDir } from './helpers';

describe('defaults', () => {
  it("parseConfig's defaults are REPLAY_DEFAULTS", () => {
    const c = parseConfig(['--data-root', '/data'], {}) as ReplayConfig;
    expect({
      speed: c.speed ?? REPLAY_DEFAULTS.speed, // null: main.ts takes REPLAY_DEFAULTS.speed with data, sampleSpeed for the sample
      session: c.session,
      maxGapMs: c.maxGapMs,
      reorderWindowNs: c.reorderWindowNs,
      order: c.order,
      include: { trades: c.trades, mbp10: c.mbp10, options: c.options, stockTrades: c.stockTrades, stockQuotes: c.stockQuotes },
      progressEvery: c.progressEvery,
      shutdownTimeoutMs: c.shutdownTimeoutMs,
      window: c.window,
    }).toEqual({
      speed: REPLAY_DEFAULTS.speed,
      session: REPLAY_DEFAULTS.session,
      maxGapMs: REPLAY_DEFAULTS.maxGapMs,
      reorderWindowNs: REPLAY_DEFAULTS.reorderWindowNs,
      order: REPLAY_DEFAULTS.order,
      include: REPLAY_DEFAULTS.include,
      progressEvery: REPLAY_DEFAULTS.progressEvery,
      shutdownTimeoutMs: REPLAY_DEFAULTS.shutdownTimeoutMs,
      window: REPLAY_DEFAULTS.publishWindow.batch,
    });
    expect((parseConfig(['--mode', 'ack'], {}) as ReplayConfig).window).toBe(REPLAY_DEFAULTS.publishWindow.ack);
  });

  it('a library replay (speed 0, nothing else) of a generated data root = the CLI (--sink stdout --speed 0): same lines, ts_event order', async () => {
    const root = tempDir('replay-defaults-');
    const g = await generateSampleSession({ root, seed: 21, trades: 4000, mbp10: 2000, options: 300 });
    const total = g.counts.trades + g.counts.mbp10; // option trades: off unless asked, in both
    const cli = run(['--data-root', root, '--sink', 'stdout', '--speed', '0', '--progress-every', '0']);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const sink = new StdoutSink(out);
    const stats = await replay({ dataRoot: root, sink, speed: 0 });
    await sink.close();
    try {
      expect(await cli.exit, cli.out.stderr).toBe(0);
    } finally {
      killAll();
    }
    const lib = text.trimEnd().split('\n');
    const cliLines = cli.out.stdout.trimEnd().split('\n');
    expect(stats.events).toBe(total);
    expect(lib).toHaveLength(total);
    expect(lib).toEqual(cliLines);
    expect(firstStepBack(lib.map((l) => BigInt(group(/"ts_event_ns":(\d+)/, l))))).toBe(-1);
  }, 120_000);
});
