/**
 * The Bronze option-trades day of tools/bench/bronze-read.ts: written by pyarrow (the old system's writer,
 * DATA_PAGE v1, pages of at most 20,000 rows) when python3 has it, else by hyparquet-writer through the shared
 * test writer (DATA_PAGE_V2; its pages are cut by size only: with the default 1 MiB a page holds up to 262,144
 * dictionary indices, or 131,072 int64 values).
 */
import { spawnSync } from 'node:child_process';
import { BronzeFileWriter, bronzePath } from '@md/test-support/bronze';
import { rng } from '@md/test-support';
import { compress } from 'zstd-napi';

export const DATE = '2025-12-16';
export const ROW_GROUP = 1_048_576;
const T14 = 1_765_893_600_000_000_000n; // 2025-12-16T14:00:00Z
const HOUR_NS = 3_600_000_000_000n;
const zstd = (b: Uint8Array): Uint8Array => new Uint8Array(compress(b, { compressionLevel: 3 }));

/**
 * pyarrow, the old system's writer, when python3 has it: `ParquetWriter` with the options.trades.v1 schema,
 * ZSTD level 3, row groups of 1,048,576 rows and pyarrow's pages (at most 20,000 rows each).
 */
export const PYARROW_GEN = String.raw`
import sys, os, random
import pyarrow as pa, pyarrow.parquet as pq
root, rows, hours = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
OPT = pa.schema([("ts_event_ns",pa.int64(),False),("ts_recv_ns",pa.int64(),False),
  ("source",pa.string(),False),("underlying",pa.string(),False),("option_symbol",pa.string(),False),
  ("exp_date",pa.date32(),False),("strike",pa.float64(),False),("right",pa.string(),False),
  ("price",pa.float64(),False),("size",pa.int32(),False),("opt_bid",pa.float64()),("opt_ask",pa.float64()),
  ("aggressor",pa.int8(),False),("conditions",pa.list_(pa.int16())),("seq",pa.int64())],
  metadata={"schema_name":"options.trades.v1","tier":"bronze"})
r = random.Random(7)
contracts = [("O:SPY251216%s%08d" % (c, k * 1000), float(k), c) for k in range(600, 701) for c in "CP"]
import datetime as dt
exp = dt.date(2025, 12, 16)
seq = 1_000_000
T14 = 1_765_893_600_000_000_000
H = 3_600_000_000_000
for h in range(hours):
    n_h = rows // hours + (1 if h < rows % hours else 0)
    hour = "%02d" % (14 + h)
    d = os.path.join(root, "bronze/options/trades/underlying=SPY/date=2025-12-16/hour=" + hour)
    os.makedirs(d, exist_ok=True)
    w = pq.ParquetWriter(os.path.join(d, "part-%s5959_000000.parquet" % hour), OPT, compression="zstd", compression_level=3)
    step = H // (n_h + 1)
    ts = T14 + h * H
    done = 0
    while done < n_h:
        n = min(1_048_576, n_h - done)
        cols = {k: [] for k in OPT.names}
        for i in range(n):
            ts += step + r.randint(-1, 1)
            sym, strike, right = contracts[r.randrange(len(contracts))]
            px = round(0.05 + r.random() * 12, 2)
            q = r.random() < 0.1
            cols["ts_event_ns"].append(ts); cols["ts_recv_ns"].append(ts + 350_000)
            cols["source"].append("polygon_ws"); cols["underlying"].append("SPY"); cols["option_symbol"].append(sym)
            cols["exp_date"].append(exp); cols["strike"].append(strike); cols["right"].append(right); cols["price"].append(px)
            cols["size"].append(1 + r.randrange(20))
            cols["opt_bid"].append(None if q else max(0.0, round(px - 0.02, 2))); cols["opt_ask"].append(None if q else round(px + 0.02, 2))
            cols["aggressor"].append(r.randrange(3) - 1); cols["conditions"].append([209] if r.random() < 0.05 else None)
            cols["seq"].append(seq); seq += 1
        w.write_table(pa.table(cols, schema=OPT), row_group_size=1_048_576)
        done += n
    w.close()
`;

export const havePyarrow = spawnSync('python3', ['-c', 'import pyarrow'], { stdio: 'ignore' }).status === 0;

/** the day with hyparquet-writer through the shared test writer (@md/test-support/bronze), ZSTD level 3 */
export function generate(root: string, ROWS: number, HOURS: number, pageSize: number): void {
  const r = rng(7);
  const contracts: { sym: string; strike: number; right: 'C' | 'P' }[] = [];
  for (let k = 600; k <= 700; k++) {
    for (const right of ['C', 'P'] as const)
      contracts.push({ sym: `O:SPY251216${right}${String(k * 1000).padStart(8, '0')}`, strike: k, right });
  }
  let seq = 1_000_000n;
  for (let h = 0; h < HOURS; h++) {
    const rowsHere = Math.floor(ROWS / HOURS) + (h < ROWS % HOURS ? 1 : 0);
    const hour = String(14 + h).padStart(2, '0');
    const w = new BronzeFileWriter(
      bronzePath(root, 'option_trades', 'SPY', DATE, hour, `part-${hour}5959_000000.parquet`),
      'option_trades',
      { rowGroupSize: ROW_GROUP, pageSize, zstd },
    );
    const step = HOUR_NS / BigInt(rowsHere + 1);
    let ts = T14 + BigInt(h) * HOUR_NS;
    for (let done = 0; done < rowsHere;) {
      const n = Math.min(ROW_GROUP, rowsHere - done);
      const c = {
        ts_event_ns: new BigInt64Array(n),
        ts_recv_ns: new BigInt64Array(n),
        source: new Array<string>(n).fill('polygon_ws'),
        underlying: new Array<string>(n).fill('SPY'),
        option_symbol: new Array<string>(n),
        exp_date: new Array<number>(n).fill(20_438),
        strike: new Float64Array(n),
        right: new Array<string>(n),
        price: new Float64Array(n),
        size: new Int32Array(n),
        opt_bid: new Array<number | null>(n),
        opt_ask: new Array<number | null>(n),
        aggressor: new Int32Array(n),
        conditions: new Array<number[] | null>(n),
        seq: new Array<bigint | null>(n),
      };
      for (let i = 0; i < n; i++) {
        ts += step - 1n + BigInt(Math.floor(r() * 3)) - 1n + 1n;
        const k = contracts[Math.floor(r() * contracts.length)] as (typeof contracts)[number];
        const px = Math.round((0.05 + r() * 12) * 100) / 100;
        c.ts_event_ns[i] = ts;
        c.ts_recv_ns[i] = ts + 350_000n;
        c.option_symbol[i] = k.sym;
        c.strike[i] = k.strike;
        c.right[i] = k.right;
        c.price[i] = px;
        c.size[i] = 1 + Math.floor(r() * 20);
        const q = r() < 0.1;
        c.opt_bid[i] = q ? null : Math.max(0, Math.round((px - 0.02) * 100) / 100);
        c.opt_ask[i] = q ? null : Math.round((px + 0.02) * 100) / 100;
        c.aggressor[i] = Math.floor(r() * 3) - 1;
        c.conditions[i] = r() < 0.05 ? [209] : null;
        c.seq[i] = seq++;
      }
      w.writeColumns(c);
      done += n;
    }
    w.finish();
  }
}
