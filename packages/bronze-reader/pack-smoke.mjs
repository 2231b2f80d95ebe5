// Run by tools/pack-check.mjs in a scratch project where the packed tarball is installed (ESM).
// No Parquet writer ships with the package: the smoke checks discovery and the error paths.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BronzeError, listBronzeDates, readBronze } from '@md/bronze-reader';

const root = mkdtempSync(join(tmpdir(), 'bronze-smoke-'));
try {
  const dir = join(root, 'bronze/futures/trades/symbol=ES/date=2025-12-16/hour=14');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'part-143000_000000.parquet'), 'not parquet');
  assert.deepEqual(await listBronzeDates(root, 'futures_trades'), ['2025-12-16']);
  const warnings = [];
  let err = null;
  const s = readBronze({ root, table: 'futures_trades', date: '2025-12-16', onWarn: (m) => warnings.push(m) });
  try {
    for await (const b of s) assert.fail(`unexpected batch of ${b.length}`);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof BronzeError, String(err));
  assert.equal(err.code, 'not_parquet');
  assert.match(err.message, /part-143000_000000\.parquet/);
  assert.equal(s.stats.failedFiles, 1);
  // a date without data is not an error
  const none = readBronze({ root, table: 'futures_trades', date: '2025-12-17', onWarn: (m) => warnings.push(m) });
  for await (const b of none) assert.fail(`unexpected batch of ${b.length}`);
  assert.equal(warnings.length, 1);
} finally {
  rmSync(root, { recursive: true, force: true });
}
