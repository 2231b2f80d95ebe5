// Run by tools/pack-check.mjs in a scratch project where the packed tarball is installed (CommonJS).
const assert = require('node:assert/strict');
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { BronzeError, listBronzeFiles, readBronze, BRONZE_TABLES } = require('@md/bronze-reader');

(async () => {
  assert.deepEqual(BRONZE_TABLES, ['stock_trades', 'stock_quotes', 'option_trades', 'futures_trades', 'futures_mbp10']);
  const root = mkdtempSync(join(tmpdir(), 'bronze-smoke-'));
  try {
    const dir = join(root, 'bronze/options/trades/underlying=SPY/date=2025-12-16/hour=15');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'part-150000_000000.parquet'), Buffer.from('PAR1 cut short'));
    const f = await listBronzeFiles(root, 'option_trades', '2025-12-16');
    assert.equal(f.hours.length, 1);
    assert.equal(f.hours[0].files.length, 1);
    let err = null;
    try {
      for await (const b of readBronze({ root, table: 'option_trades', date: '2025-12-16' }))
        assert.fail(`unexpected batch of ${b.length}`);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof BronzeError, String(err));
    assert.equal(err.code, 'truncated');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
