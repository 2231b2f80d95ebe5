/**
 * `dbn FILE... -J|-C|-T [options]`, Databento's form of the command, on the Databento fixtures, run from the
 * BUILT package (dist/cli.js, rebuilt first when stale).
 *
 * Where the expected lines come from:
 * - CSV headers: trades from the Rust crate's CSV encoder test (`test_encode_with_ts_out`, without `ts_out`),
 *   MBP-1 (with and without `symbol`) from databento-python's `to_csv` tests (which run the same encoder);
 *   MBP-10 built by the crate's rule for levels (`{bid_px,ask_px,bid_sz,ask_sz,bid_ct,ask_ct}_{i:02}` per
 *   level); OHLCV and definition derived from the crate's field order (the OHLCV test row and the
 *   InstrumentDefMsg encode order), so they are derived, not copied.
 * - CSV rows: the same values as the JSON lines the JSON tests pin (test/cli.test.ts), flattened in that order.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliIfStale, dbn, dbnStdin, lines, ok } from './cli-helpers.js';
import { fx, HAVE_FIXTURES, tempDir } from './events-helpers.js';
import { zstdDecompressChunks } from '../src/zstd.js';

const TRADES_HEADER = 'ts_recv,ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size,flags,ts_in_delta,sequence';
const MBP1_HEADER = `${TRADES_HEADER},bid_px_00,ask_px_00,bid_sz_00,ask_sz_00,bid_ct_00,ask_ct_00`;
const levelCols = (i: number): string =>
  ['bid_px', 'ask_px', 'bid_sz', 'ask_sz', 'bid_ct', 'ask_ct'].map((f) => `${f}_${String(i).padStart(2, '0')}`).join(',');
const MBP10_HEADER = `${TRADES_HEADER},${Array.from({ length: 10 }, (_, i) => levelCols(i)).join(',')}`;
const OHLCV_HEADER = 'ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume';
const DEFINITION_HEADER =
  'ts_recv,ts_event,rtype,publisher_id,instrument_id,raw_symbol,security_update_action,instrument_class,min_price_increment,' +
  'display_factor,expiration,activation,high_limit_price,low_limit_price,max_price_variation,unit_of_measure_qty,' +
  'min_price_increment_amount,price_ratio,inst_attrib_value,underlying_id,raw_instrument_id,market_depth_implied,market_depth,' +
  'market_segment_id,max_trade_vol,min_lot_size,min_lot_size_block,min_lot_size_round_lot,min_trade_vol,contract_multiplier,' +
  'decay_quantity,original_contract_size,appl_id,maturity_year,decay_start_date,channel_id,currency,settl_currency,secsubtype,' +
  'group,exchange,asset,cfi,security_type,unit_of_measure,underlying,strike_price_currency,strike_price,match_algorithm,' +
  'main_fraction,price_display_format,sub_fraction,underlying_product,maturity_month,maturity_day,maturity_week,' +
  'user_defined_instrument,contract_multiplier_unit,flow_schedule_type,tick_rule,leg_count,leg_index,leg_instrument_id,' +
  'leg_raw_symbol,leg_instrument_class,leg_side,leg_price,leg_delta,leg_ratio_price_numerator,leg_ratio_price_denominator,' +
  'leg_ratio_qty_numerator,leg_ratio_qty_denominator,leg_underlying_id';
const TRADE_JSON_1 =
  '{"ts_recv":"1609160400099150057","hd":{"ts_event":"1609160400098821953","rtype":0,"publisher_id":1,"instrument_id":5482},"action":"T","side":"A","depth":0,"price":"3720250000000","size":5,"flags":129,"ts_in_delta":19251,"sequence":1170380}';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  buildCliIfStale();
  ({ dir, cleanup } = await tempDir('dbn-databento-cli-'));
}, 240_000);
afterAll(() => cleanup());

describe.skipIf(!HAVE_FIXTURES)("dbn FILE... (Databento's flags) on the fixtures", () => {
  it('-C: the header and the rows of trades, mbp-1, mbp-10, ohlcv-1s and definition', async () => {
    expect(lines(await ok(fx('test_data.trades.v3.dbn.zst'), '-C', '-l', '2'))).toStrictEqual([
      TRADES_HEADER,
      '1609160400099150057,1609160400098821953,0,1,5482,T,A,0,3720250000000,5,129,19251,1170380',
      '1609160400108142648,1609160400107665963,0,1,5482,T,A,0,3720250000000,21,129,20728,1170414',
    ]);
    const mbp1 = lines(await ok(fx('test_data.mbp-1.v3.dbn.zst'), '--csv'));
    expect(mbp1).toHaveLength(3);
    expect(mbp1[0]).toBe(MBP1_HEADER);
    expect(mbp1[1]).toBe(
      '1609160400006136329,1609160400006001487,1,1,5482,A,A,0,3720500000000,1,128,17214,1170362,3720250000000,3720500000000,24,11,15,9',
    );
    const mbp10 = lines(await ok(fx('test_data.mbp-10.v3.dbn.zst'), '-C', '-l', '1'));
    expect(mbp10[0]).toBe(MBP10_HEADER);
    const row = mbp10[1]!.split(',');
    expect(row).toHaveLength(13 + 60);
    expect(row.slice(0, 19).join(',')).toBe(
      '1609160400000704060,1609160400000429831,10,1,5482,C,A,9,3722750000000,1,128,22993,1170352,3720250000000,3720500000000,24,10,15,8',
    );
    expect(row.slice(-6).join(',')).toBe('3718000000000,3722750000000,67,44,39,26');
    expect(lines(await ok(fx('test_data.ohlcv-1s.v3.dbn.zst'), '-C', '-l', '1'))).toStrictEqual([
      OHLCV_HEADER,
      '1609160400000000000,32,1,5482,372025000000000,372050000000000,372025000000000,372050000000000,57',
    ]);
    const def = lines(await ok(fx('test_data.definition.v3.dbn.zst'), '-C'));
    expect(def).toHaveLength(3);
    expect(def[0]).toBe(DEFINITION_HEADER);
    const d = def[1]!.split(',');
    expect(d).toHaveLength(DEFINITION_HEADER.split(',').length);
    const col = (name: string): string | undefined => d[DEFINITION_HEADER.split(',').indexOf(name)];
    expect([col('ts_recv'), col('instrument_id'), col('raw_symbol'), col('security_update_action'), col('instrument_class')]).toStrictEqual(
      ['1633331241618029519', '6819', 'MSFT', 'A', 'K'],
    );
    expect([col('expiration'), col('min_price_increment'), col('exchange'), col('leg_instrument_class'), col('leg_side')]).toStrictEqual([
      '18446744073709551615',
      '9223372036854775807',
      'XNAS',
      '',
      'N',
    ]);
  });

  it('-p (pretty): ISO timestamps and decimal prices in CSV, an undefined price or timestamp empty; -J indented', async () => {
    const p = lines(await ok(fx('test_data.mbp-1.v3.dbn.zst'), '-C', '-p', '-s', '-l', '1'));
    expect(p).toStrictEqual([
      `${MBP1_HEADER},symbol`,
      '2020-12-28T13:00:00.006136329Z,2020-12-28T13:00:00.006001487Z,1,1,5482,A,A,0,3720.500000000,1,128,17214,1170362,3720.250000000,3720.500000000,24,11,15,9,ESH1',
    ]);
    const d = lines(await ok(fx('test_data.definition.v3.dbn.zst'), '-C', '-p', '-l', '1'))[1]!.split(',');
    const h = DEFINITION_HEADER.split(',');
    expect([d[h.indexOf('expiration')], d[h.indexOf('min_price_increment')], d[h.indexOf('display_factor')]]).toStrictEqual([
      '',
      '',
      '100000.000000000',
    ]);
    const j = await ok(fx('test_data.trades.v3.dbn.zst'), '-J', '-p', '-l', '1');
    expect(j).toBe(
      `${JSON.stringify(JSON.parse(TRADE_JSON_1.replace('"3720250000000"', '"3720.250000000"').replace('"1609160400099150057"', '"2020-12-28T13:00:00.099150057Z"').replace('"1609160400098821953"', '"2020-12-28T13:00:00.098821953Z"')), null, 4)}\n`,
    );
    expect(j).toContain('\n    "price": "3720.250000000",\n');
  });

  it('-J: the official JSON lines (as `dbn json`), -s adds the symbol, -m the metadata, -T tabs', async () => {
    expect(await ok(fx('test_data.trades.v3.dbn.zst'), '-J', '-l', '1')).toBe(`${TRADE_JSON_1}\n`);
    expect(await ok(fx('test_data.trades.v3.dbn.zst'), '--json')).toBe(await ok('json', fx('test_data.trades.v3.dbn.zst')));
    expect(await ok(fx('test_data.trades.v3.dbn.zst'), '-Js', '-l1')).toBe(`${TRADE_JSON_1.slice(0, -1)},"symbol":"ESH1"}\n`);
    expect(await ok(fx('test_data.trades.v3.dbn.zst'), '-J', '-m')).toBe(await ok('metadata', fx('test_data.trades.v3.dbn.zst')));
    const tsv = lines(await ok(fx('test_data.trades.v3.dbn.zst'), '-T', '-l', '1'));
    expect(tsv[0]).toBe(TRADES_HEADER.replaceAll(',', '\t'));
    expect(await ok(fx('test_data.trades.v3.dbn.zst'), '-C', '--omit-header', '-l', '1')).toBe(
      '1609160400099150057,1609160400098821953,0,1,5482,T,A,0,3720250000000,5,129,19251,1170380\n',
    );
    // '-' reads standard input
    const r = await dbnStdin(await readFile(fx('test_data.mbp-10.v3.dbn.zst')), '-', '-C');
    expect(r.stdout).toBe(await ok(fx('test_data.mbp-10.v3.dbn.zst'), '-C'));
  });

  it('-u: v1 data as-is by default, in the v3 layout with --upgrade', async () => {
    const v1 = await ok(fx('test_data.definition.v1.dbn.zst'), '-C', '-l', '1');
    expect(lines(v1)[0]).toContain(',trading_reference_price,'); // the v1 layout's own columns
    const up = lines(await ok(fx('test_data.definition.v1.dbn.zst'), '-C', '-u', '-l', '1'));
    expect(up[0]).toBe(DEFINITION_HEADER);
    expect(JSON.parse(await ok(fx('test_data.trades.v1.dbn.zst'), '-J', '-m', '-u')).version).toBe(3);
  });

  it('--input-fragment / --input-dbn-version: records without metadata, of the given version', async () => {
    const viaLegacy = await ok('json', fx('test_data.definition.v1.dbn.frag'), '--fragment', '1');
    expect(await ok(fx('test_data.definition.v1.dbn.frag'), '--input-fragment', '--input-dbn-version', '1', '-J')).toBe(viaLegacy);
    const csv = lines(await ok(fx('test_data.definition.v3.dbn.frag'), '--input-fragment', '-C'));
    expect(csv).toHaveLength(3); // the header from the first record's type, then 2 records
    expect(csv[0]).toBe(DEFINITION_HEADER);
    const multi = await ok(fx('multi-frame.definition.v1.dbn.frag.zst'), '--input-zstd-fragment', '--input-dbn-version', '1', '-J');
    expect(lines(multi)).toHaveLength(8);
    const wrong = await dbn(fx('test_data.definition.v3.dbn.zst'), '-J', '--input-dbn-version', '2');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^dbn: '--input-dbn-version' needs '--input-fragment'/);
    const meta = await dbn(fx('test_data.definition.v3.dbn.frag'), '--input-fragment', '-J', '-m');
    expect([meta.code, meta.stderr.split('\n')[0]]).toStrictEqual([2, "dbn: '--input-fragment' cannot be used with '--metadata'"]);
  });

  it('-o FILE: refused when it exists unless -f, the encoding from its name, .zst compressed', async () => {
    const out = join(dir, 'a.csv');
    expect(await ok(fx('test_data.trades.v3.dbn.zst'), '-o', out)).toBe('');
    const csv = await readFile(out, 'utf8');
    expect(lines(csv)[0]).toBe(TRADES_HEADER);
    const again = await dbn(fx('test_data.trades.v3.dbn.zst'), '-J', '-o', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`dbn: output file ${out} exists; pass -f/--force to overwrite it\n`);
    expect(await readFile(out, 'utf8')).toBe(csv); // untouched
    await writeFile(out, 'x'.repeat(10_000));
    await ok(fx('test_data.trades.v3.dbn.zst'), '-J', '-l', '1', '-o', out, '--force');
    expect(await readFile(out, 'utf8')).toBe(`${TRADE_JSON_1}\n`); // replaced and truncated
    const z = join(dir, 'b.json.zst');
    await ok(fx('test_data.trades.v3.dbn.zst'), '-o', z);
    const parts: Uint8Array[] = [];
    const zbytes = await readFile(z);
    expect([...zbytes.subarray(0, 4)]).toStrictEqual([0x28, 0xb5, 0x2f, 0xfd]); // a zstd frame
    async function* src(): AsyncGenerator<Uint8Array> {
      yield zbytes;
    }
    for await (const c of zstdDecompressChunks(src(), { compressed: 0 }, z, () => 0)) parts.push(Uint8Array.from(c));
    expect(Buffer.concat(parts).toString('utf8')).toBe(await ok(fx('test_data.trades.v3.dbn.zst'), '-J'));
    const bad = await dbn(fx('test_data.trades.v3.dbn.zst'), '-C', '-o', join(dir, 'no', 'such', 'dir.csv'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^dbn: OutputFileError: Unable to open output file '.*dir\.csv'/);
    const noExt = await dbn(fx('test_data.trades.v3.dbn.zst'), '-o', join(dir, 'c.yaml'));
    expect([noExt.code, noExt.stderr.split('\n')[0]]).toStrictEqual([
      2,
      `dbn: unable to infer the output encoding from the output path '${join(dir, 'c.yaml')}'`,
    ]);
  });

  it('several files: merged by index timestamp; a CSV of two schemas is refused, --schema picks one', async () => {
    // the same records twice (v2 and v3 files, upgraded): each record twice in a row, order by ts_recv
    const merged = lines(await ok(fx('test_data.trades.dbn'), fx('test_data.trades.v3.dbn.zst'), '-u', '-C'));
    const single = lines(await ok(fx('test_data.trades.v3.dbn.zst'), '-C'));
    expect(merged).toStrictEqual([single[0], single[1], single[1], single[2], single[2]]);
    // trades + MBP-10 in JSON: interleaved by ts_recv
    const mixed = lines(await ok(fx('test_data.trades.v3.dbn.zst'), fx('test_data.mbp-10.v3.dbn.zst'), '-J'));
    const ts = mixed.map((l) => BigInt(JSON.parse(l).ts_recv));
    expect(ts).toHaveLength(4);
    expect([...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toStrictEqual(ts);
    expect(mixed.map((l) => JSON.parse(l).hd.rtype)).toStrictEqual([10, 10, 0, 0]);
    const m = JSON.parse(await ok(fx('test_data.trades.v3.dbn.zst'), fx('test_data.mbp-10.v3.dbn.zst'), '-J', '-m'));
    expect([m.schema, m.limit, m.symbols]).toStrictEqual([null, null, ['ESH1']]);
    const csv = await dbn(fx('test_data.trades.v3.dbn.zst'), fx('test_data.mbp-10.v3.dbn.zst'), '-C');
    expect(csv.code).toBe(1);
    expect(csv.stderr).toMatch(/^dbn: CsvMixedSchemaError: can't encode a CSV with mixed schemas/);
    const only = lines(await ok(fx('test_data.trades.v3.dbn.zst'), fx('test_data.mbp-10.v3.dbn.zst'), '-C', '--schema', 'trades'));
    expect(only).toStrictEqual(single);
    const versions = await dbn(fx('test_data.trades.dbn'), fx('test_data.trades.v3.dbn.zst'), '-J');
    expect(versions.code).toBe(1);
    expect(versions.stderr).toMatch(
      /^dbn: MetadataMergeError: cannot merge .*test_data\.trades\.v3\.dbn\.zst with .*test_data\.trades\.dbn: version mismatch \(3 vs 2\)/,
    );
  });

  it('--limit, usage errors (exit 2, "did you mean"), --kind that does not fit the schema', async () => {
    expect(lines(await ok(fx('test_data.status.v3.dbn.zst'), '-J', '-l', '3'))).toHaveLength(3);
    expect(lines(await ok(fx('test_data.status.v3.dbn.zst'), '-Cl2'))).toHaveLength(3);
    for (const [args, msg] of [
      [['-J', '-l', '0'], "dbn: invalid value '0' for '--limit': must be at least 1"],
      [['-J', '-C'], "dbn: '--json' cannot be used with '--csv'"],
      [['-C', '-m'], "dbn: '--metadata' cannot be used with '--csv'"],
      [['-J', '-m', '-l', '1'], "dbn: '--metadata' cannot be used with '--limit'"],
      [[], 'dbn: no output encoding: pass -J/--json, -C/--csv or -T/--tsv (or -o FILE ending in .json, .csv or .tsv)'],
      [['--jsn'], "dbn: Unknown option '--jsn', did you mean '--json'?"],
      [['-J', '--map-symbol'], "dbn: Unknown option '--map-symbol', did you mean '--map-symbols'?"],
      [['-J', '--kind', 'trades'], 'dbn: --kind is an option of `dbn events FILE`'],
    ] as Array<[string[], string]>) {
      const r = await dbn(fx('test_data.trades.v3.dbn.zst'), ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0], args.join(' ')).toBe(msg);
      expect(r.stderr).toContain('Usage: dbn FILE...');
    }
    const kind = await dbn('events', fx('test_data.mbp-10.v3.dbn.zst'), '--kind', 'trades');
    expect([kind.code, kind.stdout]).toStrictEqual([2, '']);
    expect(kind.stderr).toBe(
      `dbn: ${fx('test_data.mbp-10.v3.dbn.zst')}: --kind trades does not fit the file's schema mbp-10 (trades events come from trades records)\n`,
    );
    const viaStdin = await dbnStdin(await readFile(fx('test_data.trades.v3.dbn.zst')), 'events', '-', '--kind', 'mbp10');
    expect([viaStdin.code, viaStdin.stderr]).toStrictEqual([
      2,
      "dbn: <stdin>: --kind mbp10 does not fit the file's schema trades (mbp10 events come from mbp-10 records)\n",
    ]);
    expect(lines(await ok('events', fx('test_data.trades.v3.dbn.zst'), '--kind', 'trades'))).toHaveLength(2);
  });
});
