/**
 * Cross-check against the reference writer: pyarrow `write_table` (ZSTD level 3, pyarrow's defaults), as the
 * old system wrote its lake. Needs python3 with pyarrow; skipped (with the reason printed) without it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeToString, type FuturesTrade, type OptionTrade, type Publishable } from '@md/event-types';
import { tempDir } from '@md/test-support/fixtures';
import { describe, expect, it } from 'vitest';
import { readBronze } from '../src/index.ts';

const probe = spawnSync('python3', ['-c', 'import pyarrow; print(pyarrow.__version__)'], { encoding: 'utf8' });
const pyarrowVersion = probe.status === 0 ? probe.stdout.trim() : null;
if (pyarrowVersion === null) console.warn('pyarrow.test.ts: skipped, python3 with pyarrow is not available (pip install pyarrow)');

const SCRIPT = String.raw`
import sys, datetime as dt, os
import pyarrow as pa, pyarrow.parquet as pq
root = sys.argv[1]
OPT = pa.schema([("ts_event_ns",pa.int64(),False),("ts_recv_ns",pa.int64(),False),
  ("source",pa.string(),False),("underlying",pa.string(),False),("option_symbol",pa.string(),False),
  ("exp_date",pa.date32(),False),("strike",pa.float64(),False),("right",pa.string(),False),
  ("price",pa.float64(),False),("size",pa.int32(),False),("opt_bid",pa.float64()),("opt_ask",pa.float64()),
  ("aggressor",pa.int8(),False),("conditions",pa.list_(pa.int16())),("seq",pa.int64())],
  metadata={"schema_name":"options.trades.v1","tier":"bronze"})
t0 = 1765895400_000_000_000
rows = dict(ts_event_ns=[t0, t0+2_000, t0+3_000, t0+4_000], ts_recv_ns=[t0+500, t0+2_600, t0+3_100, t0+4_100], source=["polygon_ws"]*4,
  underlying=["SPY"]*4, option_symbol=["O:SPY251216C00676000","O:SPY251216P00670000","O:SPY251216P00670000","O:SPY251216C00676000"],
  exp_date=[dt.date(2025,12,16)]*4, strike=[676.0,670.0,670.0,676.0], right=["C","P","P","C"], price=[1.25,0.5,0.1+0.2,2.0],
  size=[3,1,2,0], opt_bid=[1.2,None,0.25,1.9], opt_ask=[1.3,None,0.35,2.1], aggressor=[1,0,-1,1], conditions=[[209],None,[],[209,219]], seq=[10,None,12,13])
d = os.path.join(root, "bronze/options/trades/underlying=SPY/date=2025-12-16/hour=14")
os.makedirs(d, exist_ok=True)
pq.write_table(pa.table(rows, schema=OPT), f"{d}/part-143005_000001.parquet", compression="zstd", compression_level=3)
FUT = pa.schema([("ts_event_ns",pa.int64(),False),("ts_recv_ns",pa.int64(),False),("source",pa.string(),False),
  ("symbol",pa.string(),False),("price",pa.float64(),False),("size",pa.int32(),False),("aggressor",pa.int8(),False),
  ("exchange",pa.string()),("conditions",pa.list_(pa.int16())),("seq",pa.int64())], metadata={"schema_name":"futures.trades.v1","tier":"bronze"})
n = 2_500
frows = dict(ts_event_ns=[t0 + i*1000 for i in range(n)], ts_recv_ns=[t0 + i*1000 + 7 for i in range(n)], source=["direct_feed"]*n,
  symbol=["ESZ5"]*n, price=[6848.25 + (i % 8) * 0.25 for i in range(n)], size=[1 + i % 5 for i in range(n)], aggressor=[(i % 3) - 1 for i in range(n)],
  exchange=["CME"]*n, conditions=[None]*n, seq=[1_170_000 + i for i in range(n)])
d = os.path.join(root, "bronze/futures/trades/symbol=ES/date=2025-12-16/hour=14")
os.makedirs(d, exist_ok=True)
pq.write_table(pa.table(frows, schema=FUT), f"{d}/part-143005_000001.parquet", compression="zstd", compression_level=3, row_group_size=1000)
# a legacy flat-file writer's file at date level (types inferred: string exp_date, int64 size/aggressor, null-type
# opt_bid/opt_ask, no conditions, seq before aggressor) beside the hourly files of the same date
ff = pa.table(dict(ts_event_ns=[t0+1_000, t0+2_000], ts_recv_ns=[t0+1_000, t0+2_000], source=["polygon_flatfile"]*2, underlying=["SPY"]*2,
  option_symbol=["O:SPY251216C00677000"]*2, exp_date=["2025-12-16"]*2, strike=[677.0, 677.0], right=["C", "C"], price=[0.75, 0.8],
  size=pa.array([2, 4], pa.int64()), opt_bid=pa.nulls(2), opt_ask=pa.nulls(2), seq=[20, 21], aggressor=pa.array([1, -1], pa.int64())))
pq.write_table(ff, os.path.join(root, "bronze/options/trades/underlying=SPY/date=2025-12-16/trades_2025-12-16.parquet"), compression="zstd")
`;

async function all(s: AsyncIterable<Publishable[]>): Promise<Publishable[]> {
  const out: Publishable[] = [];
  for await (const b of s) out.push(...b);
  return out;
}

describe('files written by pyarrow (ZSTD)', () => {
  it.skipIf(pyarrowVersion === null)(`reads the reference writer's files (pyarrow ${pyarrowVersion ?? 'absent'})`, async () => {
    const root = tempDir('bronze-pyarrow-');
    const script = join(root, 'write.py');
    writeFileSync(script, SCRIPT);
    execFileSync('python3', [script, root], { stdio: 'pipe' });
    const T0 = 1_765_895_400_000_000_000n;

    const invalid: string[] = [];
    const opts = await all(
      readBronze({ root, table: 'option_trades', date: '2025-12-16', onInvalid: (r) => invalid.push(`${r.row}: ${r.reason}`) }),
    );
    expect(invalid).toEqual(['3: size 0 < 1']);
    // the legacy date-level file is merged with the hour (ties: the date-level file first)
    const legacy = opts.filter((p) => (p.event as OptionTrade).option_symbol === 'O:SPY251216C00677000').map((p) => p.event as OptionTrade);
    expect(legacy).toEqual([
      {
        ts_event_ns: T0 + 1_000n,
        ts_recv_ns: T0 + 1_000n,
        source: 'replay',
        underlying: 'SPY',
        option_symbol: 'O:SPY251216C00677000',
        exp_date: '2025-12-16',
        strike: 677,
        right: 'C',
        price: 0.75,
        size: 2,
        opt_bid: null,
        opt_ask: null,
        aggressor: 1,
        conditions: null,
        seq: 20,
      },
      expect.objectContaining({ ts_event_ns: T0 + 2_000n, size: 4, aggressor: -1, seq: 21 }),
    ]);
    expect(opts.map((p) => p.event.ts_event_ns - T0)).toEqual([0n, 1_000n, 2_000n, 2_000n, 3_000n]);
    const e = opts.map((p) => p.event as OptionTrade).filter((x) => x.option_symbol !== 'O:SPY251216C00677000');
    expect(e.map((x) => x.ts_event_ns - T0)).toEqual([0n, 2_000n, 3_000n]);
    expect(encodeToString(e[0] as OptionTrade, 'market.options.trades')).toBe(
      `{"ts_event_ns":${T0},"ts_recv_ns":${T0 + 500n},"source":"replay","underlying":"SPY","option_symbol":"O:SPY251216C00676000","exp_date":"2025-12-16","strike":676.0,"right":"C","price":1.25,"size":3,"opt_bid":1.2,"opt_ask":1.3,"aggressor":1,"conditions":[209],"seq":10}`,
    );
    expect(e[1]).toMatchObject({ opt_bid: null, opt_ask: null, conditions: null, seq: null, aggressor: 0, right: 'P', strike: 670 });
    expect(e[2]).toMatchObject({ conditions: [], price: 0.1 + 0.2, aggressor: -1, seq: 12 });

    const s = readBronze({ root, table: 'futures_trades', date: '2025-12-16' });
    const fut = await all(s);
    expect(fut).toHaveLength(2_500);
    expect(s.stats.rowGroups).toBe(3);
    const f = fut.map((p) => p.event as FuturesTrade);
    expect(f[2_499]).toEqual({
      ts_event_ns: T0 + 2_499_000n,
      ts_recv_ns: T0 + 2_499_007n,
      source: 'replay',
      symbol: 'ESZ5',
      price: 6848.25 + (2_499 % 8) * 0.25,
      size: 1 + (2_499 % 5),
      aggressor: (2_499 % 3) - 1,
      exchange: 'CME',
      conditions: null,
      seq: 1_172_499,
    });
  });
});
