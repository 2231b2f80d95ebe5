/**
 * Writes a synthetic, deterministic trading session as DBN files in the data-root layout
 * (trades/, MBP-10/, options/ with symbology.json): see packages/dbn-reader/src/sample.ts.
 *
 *   npx tsx tools/gen-sample-session.ts --out DIR [--seed N] [--trades N] [--mbp10 N] [--options N]
 *                                       [--date YYYY-MM-DD] [--plain]
 */
import { resolve } from 'node:path';
import { generateSampleSession, SAMPLE_DEFAULTS } from '@md/dbn-reader/sample';

const HELP = `Usage: npx tsx tools/gen-sample-session.ts --out DIR [options]

Writes DIR/trades/glbx-mdp3-YYYYMMDD.trades.dbn.zst, DIR/MBP-10/glbx-mdp3-YYYYMMDD.mbp-10.dbn.zst and
DIR/options/opra-pillar-YYYYMMDD.trades.dbn.zst (plus symbology.json in each folder): ES futures trades
and MBP-10 from one simulated book, and SPY 0DTE option trades. Same seed and options -> same bytes.

Options:
  --out DIR          data root to write (required)
  --seed N           PRNG seed (default ${SAMPLE_DEFAULTS.seed})
  --trades N         ES trade records (default ${SAMPLE_DEFAULTS.trades}; 0 = no file)
  --mbp10 N          ES MBP-10 records (default ${SAMPLE_DEFAULTS.mbp10}; 0 = no file)
  --options N        SPY option trade records (default ${SAMPLE_DEFAULTS.options}; 0 = no file)
  --date YYYY-MM-DD  session date (default ${SAMPLE_DEFAULTS.date})
  --plain            write uncompressed .dbn instead of .dbn.zst
  -h, --help         this help`;

function fail(msg: string): never {
  process.stderr.write(`gen-sample-session: ${msg}\n\n${HELP}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const opts: Record<string, string> = {};
let plain = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i] ?? '';
  if (a === '-h' || a === '--help') {
    process.stdout.write(HELP + '\n');
    process.exit(0);
  }
  if (a === '--plain') {
    plain = true;
    continue;
  }
  const m = /^--(out|seed|trades|mbp10|options|date)(?:=(.*))?$/.exec(a);
  const key = m?.[1];
  if (key === undefined) fail(`unknown argument ${a}`);
  const v = m?.[2] ?? argv[++i];
  if (v === undefined) fail(`--${key} needs a value`);
  opts[key] = v;
}
if (opts.out === undefined) fail('--out DIR is required');
const int = (k: string, def: number): number => {
  const v = opts[k];
  if (v === undefined) return def;
  const n = Number(v.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${k} must be an integer >= 0, got ${JSON.stringify(v)}`);
  return n;
};
const date = opts.date ?? SAMPLE_DEFAULTS.date;
if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) fail(`--date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);

const t0 = performance.now();
const res = await generateSampleSession({
  root: resolve(opts.out),
  date,
  seed: int('seed', SAMPLE_DEFAULTS.seed),
  trades: int('trades', SAMPLE_DEFAULTS.trades),
  mbp10: int('mbp10', SAMPLE_DEFAULTS.mbp10),
  options: int('options', SAMPLE_DEFAULTS.options),
  compression: plain ? 'none' : 'zstd',
});
const secs = (performance.now() - t0) / 1000;
process.stdout.write(
  `wrote ${res.counts.trades} trades, ${res.counts.mbp10} MBP-10, ${res.counts.options} option trades for ${res.date} in ${secs.toFixed(2)} s\n` +
    res.files.map((f) => `  ${f}\n`).join(''),
);
