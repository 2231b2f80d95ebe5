/** Shared by the dbn-events tests: fixture location and small record builders. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BidAskPair, Mbp10Msg, SymbolMappingMsg, TradeMsg } from '../src/index.js';
import type { DbnMetadataInput } from '../src/metadata.js';

export const PKG = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
export const FIXTURES = process.env.DBN_FIXTURES_DIR ?? resolve(PKG, '../../../shared/fixtures/dbn');
export const HAVE_FIXTURES = existsSync(join(FIXTURES, 'test_data.trades.v3.dbn.zst'));
if (!HAVE_FIXTURES) {
  console.warn(`[dbn-events tests] DBN fixtures not found at ${FIXTURES} (set DBN_FIXTURES_DIR): the fixture-based tests are skipped`);
}
export const fx = (name: string): string => join(FIXTURES, name);

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const UNDEF = 9223372036854775807n;

export function trade(p: Partial<Omit<TradeMsg, 'hd'>> & { id?: number; ts?: bigint; publisher?: number } = {}): TradeMsg {
  const ts = p.ts ?? 1_735_826_400_000_000_000n;
  return {
    rtype: 0x00,
    hd: { length: 12, rtype: 0x00, publisher_id: p.publisher ?? 1, instrument_id: p.id ?? 42, ts_event: ts },
    price: p.price ?? 5_900_250_000_000n,
    size: p.size ?? 3,
    action: p.action ?? 'T',
    side: p.side ?? 'B',
    flags: p.flags ?? 0x80,
    depth: p.depth ?? 0,
    ts_recv: p.ts_recv ?? ts + 250_000n,
    ts_in_delta: p.ts_in_delta ?? 20_000,
    sequence: p.sequence ?? 777,
  };
}

export function level(bid: bigint, ask: bigint, bsz = 10, asz = 12): BidAskPair {
  return { bid_px: bid, ask_px: ask, bid_sz: bsz, ask_sz: asz, bid_ct: 3, ask_ct: 4 };
}

export function mbp10(p: Partial<Omit<Mbp10Msg, 'hd'>> & { id?: number; ts?: bigint } = {}): Mbp10Msg {
  const ts = p.ts ?? 1_735_826_400_000_000_000n;
  const levels =
    p.levels ??
    Array.from({ length: 10 }, (_, i) =>
      level(5_900_000_000_000n - BigInt(i) * 250_000_000n, 5_900_250_000_000n + BigInt(i) * 250_000_000n),
    );
  return {
    rtype: 0x0a,
    hd: { length: 92, rtype: 0x0a, publisher_id: 1, instrument_id: p.id ?? 42, ts_event: ts },
    price: p.price ?? 5_900_000_000_000n,
    size: p.size ?? 1,
    action: p.action ?? 'A',
    side: p.side ?? 'B',
    flags: p.flags ?? 0x80,
    depth: p.depth ?? 0,
    ts_recv: p.ts_recv ?? ts + 250_000n,
    ts_in_delta: p.ts_in_delta ?? 20_000,
    sequence: p.sequence ?? 778,
    levels,
  };
}

export function symbolMapping(id: number, symbol: string, start: bigint, end: bigint, ts = start): SymbolMappingMsg {
  return {
    rtype: 0x16,
    hd: { length: 44, rtype: 0x16, publisher_id: 1, instrument_id: id, ts_event: ts },
    stype_in: 1,
    stype_in_symbol: symbol,
    stype_out: 1,
    stype_out_symbol: symbol,
    start_ts: start,
    end_ts: end,
  };
}

/** 2025-01-02T00:00Z and one hour, in ns: the generated GLBX trades day of the fast-path tests */
export const DAY0_NS = 1_735_776_000_000_000_000n;
export const HOUR_NS = 3_600_000_000_000n;

/** metadata of a GLBX.MDP3 trades file of that day: ESH5 mapped to instrument 42 */
export const GLBX_TRADES_META: DbnMetadataInput = {
  dataset: 'GLBX.MDP3',
  schema: 'trades',
  start: DAY0_NS,
  end: DAY0_NS + 24n * HOUR_NS,
  stypeIn: 'raw_symbol',
  stypeOut: 'instrument_id',
  symbols: ['ESH5'],
  mappings: [{ rawSymbol: 'ESH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: '42' }] }],
};
