import type { EventSink } from '@md/nats-bus';
import { LiveEngine, type LiveEngineOptions, type Logger } from '@md/live-engine';
import { FAKE_API_KEY, type FakeVendor } from '@md/test-support/fake-vendor';
import { havePolygonFixtures as haveFixtures, POLYGON_FIXTURES_DIR as FIXTURES_DIR } from '@md/test-support/fixtures';

export { dataFrames, frames, havePolygonFixtures as haveFixtures, POLYGON_FIXTURES_DIR as FIXTURES_DIR } from '@md/test-support/fixtures';
export { startBus, type Bus } from '@md/test-support/nats';

if (!haveFixtures)
  console.warn(`polygon fixtures not found at ${FIXTURES_DIR} (set POLYGON_FIXTURES_DIR): live-engine fixture tests skipped`);

export { at } from '@md/test-support';

export const KEY = FAKE_API_KEY;
export const STOCKS_ONLY = { sessions: { stocks: true, options: false } };

/** the engine's defaults pointed at the fake vendor, with a pinned expiry and centre and fast reconnects */
export function testConfig(fv: FakeVendor, over: Partial<LiveEngineOptions> = {}): LiveEngineOptions {
  return {
    apiKey: KEY,
    stocksUrl: fv.url('stocks'),
    optionsUrl: fv.url('options'),
    expiry: '2025-12-16',
    initialPrice: 676.4,
    statsIntervalMs: 0,
    backoffInitialMs: 50,
    backoffMaxMs: 200,
    ...over,
  };
}

export class LogCapture {
  readonly lines: string[] = [];
  readonly log: Logger = (level, msg) => {
    this.lines.push(`${level} ${msg}`);
  };
  has(re: RegExp): boolean {
    return this.lines.some((l) => re.test(l));
  }
}

/** a started engine and its captured log */
export function engine(cfg: LiveEngineOptions, sink: EventSink, logs = new LogCapture()): { ing: LiveEngine; logs: LogCapture } {
  const ing = new LiveEngine(cfg, sink, logs.log);
  ing.start();
  return { ing, logs };
}
