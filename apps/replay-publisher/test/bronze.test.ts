/**
 * The app with a Bronze lake: DBN futures + Bronze option trades (the lake written here with hyparquet-writer in
 * the old layout) into a real nats-server; SIGKILL of the publisher mid-replay, then --resume (environment
 * variables this time): every event stored exactly once, in ts_event order, the option bodies those of DBN.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mapDbnFile } from '@md/dbn-reader';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { encode, SUBJECTS, type Publishable } from '@md/event-types';
import { until } from '@md/test-support';
import { writeBronzeLake } from '@md/test-support/bronze';
import { at, firstStepBack, group, killAll, readAll, run, startBus, tempDir, type Bus } from './helpers';

afterEach(() => killAll());

let bus: Bus;
let dbn = '';
let lake = '';
let total = 0;
const options: Publishable[] = [];
beforeAll(async () => {
  bus = await startBus();
  dbn = tempDir('replay-bronze-dbn-');
  const g = await generateSampleSession({ root: dbn, seed: 29, trades: 60_000, mbp10: 30_000, options: 8000 });
  total = g.counts.trades + g.counts.mbp10 + g.counts.options;
  for await (const p of mapDbnFile(join(dbn, 'options', `opra-pillar-${g.date.replace(/-/g, '')}.trades.dbn.zst`), { kind: 'options' }))
    options.push(p);
  lake = tempDir('replay-bronze-lake-');
  writeBronzeLake(lake, options, { filesPerHour: 3 });
}, 120_000);
afterAll(async () => {
  await bus?.close();
});

describe('replay-publisher with --bronze-root', () => {
  it('SIGKILL mid-replay, then --resume: every event once, in order; Bronze option bodies = DBN', async () => {
    await bus.purge();
    const args = ['--data-root', dbn, '--bronze-root', lake, '--include-options', '--options-source', 'bronze', '--speed', '0'];
    const first = run([...args, '--mode', 'batch', '--progress-every', '5000'], { NATS_URL: bus.server.url });
    await until(() => /progress events=(2\d|[3-9]\d)000 /.test(first.out.stderr), 60_000, '20,000 events');
    first.p.kill('SIGKILL');
    await first.exit;
    const stored = await bus.count();
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(total);
    // the same replay through the environment: REPLAY_BRONZE_ROOT, REPLAY_INCLUDE_OPTIONS, REPLAY_OPTIONS_SOURCE
    const second = run(['--data-root', dbn, '--speed', '0', '--resume', '--progress-every', '0'], {
      NATS_URL: bus.server.url,
      REPLAY_BRONZE_ROOT: lake,
      REPLAY_INCLUDE_OPTIONS: 'true',
      REPLAY_OPTIONS_SOURCE: 'bronze',
    });
    expect(await second.exit, second.out.stderr).toBe(0);
    expect(second.out.stderr).toMatch(/resume: the stream holds this replay up to market\.\S+ seq \d+/);
    const skipped = Number(group(/skipped \(--resume\)\s+([\d,]+)/, second.out.stdout).replace(/,/g, ''));
    expect(skipped).toBeGreaterThanOrEqual(stored);
    expect(await bus.count()).toBe(total);
    const all = await readAll(bus.nc, total);
    expect(new Set(all.map((m) => m.msgId)).size).toBe(total);
    const back = firstStepBack(all.map((m) => m.tsEvent));
    if (back >= 0) throw new Error(`out of order at stream seq ${at(all, back).seq}`);
    const td = new TextDecoder();
    const got = all.filter((m) => m.subject === SUBJECTS.optionTrades).map((m) => td.decode(m.data));
    expect(got).toHaveLength(options.length);
    expect([...got].sort()).toEqual(options.map((p) => td.decode(encode(p.event, p.subject))).sort());
    expect(second.out.stdout).toMatch(/option trades\s+[\d,]+/);
  }, 180_000);
});
