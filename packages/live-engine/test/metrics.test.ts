/** The live metrics as data (liveMetricSpecs), the vendor readiness condition and the subjects of the sessions, on engine-shaped fakes. */
import { describe, expect, it } from 'vitest';
import { SUBJECTS } from '@md/event-types';
import { liveMetricSpecs, liveSubjects, vendorNotReady, type LiveEngine } from '../src/index.js';

const engine = (stocks: boolean | null, options: boolean | null, frames = 0, dropped = 0) =>
  ({
    stocks: stocks === null ? null : { isStreaming: stocks, stats: { frames, bytes: 0, reconnects: 0, authFailures: 0 } },
    options: options === null ? null : { isStreaming: options, stats: { frames, bytes: 0, reconnects: 0, authFailures: 0 } },
    queue: { length: 3, capacity: 10, highWater: 4, dropped },
  }) as unknown as LiveEngine;

describe('live metrics as data', () => {
  it('vendorNotReady: the sessions of the last engine not streaming, named; the --ha hint; no engine', () => {
    expect(vendorNotReady([], false)).toBe('no engine');
    expect(vendorNotReady([engine(true, null)], false)).toBeNull();
    expect(vendorNotReady([engine(true, true), engine(false, true)], false)).toBe('vendor session(s) stocks not authenticated / streaming');
    expect(vendorNotReady([engine(false, false)], true)).toBe(
      'vendor session(s) stocks, options not authenticated / streaming (or standing by for the --ha lease)',
    );
  });

  it('liveMetricSpecs: counters sum over every engine, gauges read the last, sessions only when configured', () => {
    const engines = [engine(true, null, 5, 1)];
    const specs = new Map(liveMetricSpecs(engines).map((s) => [s.name, s]));
    engines.push(engine(true, null, 7, 2)); // a second HA term: read when scraped
    expect(specs.get('md_vendor_frames_total')?.value()).toEqual([[{ session: 'stocks' }, 12]]);
    expect(specs.get('md_queue_dropped_events_total')?.value()).toBe(3);
    expect(specs.get('md_queue_depth')?.value()).toBe(3);
    expect(specs.get('md_vendor_session_up')?.value()).toEqual([[{ session: 'stocks' }, 1]]);
    for (const s of specs.values()) expect(s.name.endsWith('_total')).toBe(s.type === 'counter');
  });

  it('liveSubjects: the subjects of the configured sessions', () => {
    expect(liveSubjects({ stocks: true, options: false })).toEqual([SUBJECTS.stockTrades, SUBJECTS.stockQuotes]);
    expect(liveSubjects({ stocks: false, options: true })).toEqual([SUBJECTS.optionTrades]);
  });
});
