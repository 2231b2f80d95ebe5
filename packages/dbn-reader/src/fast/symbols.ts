/**
 * SymbolMap lookups for the fast path without a bigint per record: the symbol of an instrument at a ts_recv
 * given as two u32 halves. Each instrument's last answer is kept with the interval it came from (as halves);
 * a record inside that interval gets the same symbol with two comparisons. A record outside it asks the
 * SymbolMap itself (one bigint), exactly as the object path does.
 *
 * An answer is kept only when no other interval can shadow part of it, by the same rule as SymbolMap's own
 * cache: the interval is the instrument's last one in the map (later additions win), or, for an instrument the
 * map has none of, the last one in a fallback that has no fallback of its own. `apply` (a SymbolMappingMsg)
 * forgets everything kept.
 */
import { UNMAPPED_PREFIX } from '../mapping.js';
import type { SymbolMappingMsg, SymbolMappingMsgV1 } from '../records.js';
import type { SymbolInterval, SymbolMap } from '../symbology.js';

interface Kept {
  symbol: string;
  startHi: number;
  startLo: number;
  endHi: number;
  endLo: number;
}

const TWO32 = 2n ** 32n;

/** a u64 bigint as halves; a value past u64 (never in a map built from DBN) is clamped to u64::MAX */
function halves(v: bigint): [number, number] {
  if (v < 0n) return [0, 0];
  if (v >= TWO32 * TWO32) return [0xffffffff, 0xffffffff];
  return [Number(v / TWO32), Number(v % TWO32)];
}

export class FastSymbols {
  private readonly kept = new Map<number, Kept>();
  private readonly unmapped = new Map<number, string>();
  /** lookups answered from the kept intervals, and by the SymbolMap */
  hits = 0;
  misses = 0;

  constructor(readonly map: SymbolMap) {}

  /** applies a SymbolMappingMsg to the map (and forgets the kept answers) */
  apply(rec: SymbolMappingMsg | SymbolMappingMsgV1): void {
    this.map.applySymbolMapping(rec);
    this.kept.clear();
  }

  /** `UNMAPPED:<id>`, one string per instrument */
  unmappedSymbol(id: number): string {
    let s = this.unmapped.get(id);
    if (s === undefined) {
      s = UNMAPPED_PREFIX + id;
      this.unmapped.set(id, s);
    }
    return s;
  }

  /** the symbol of instrument `id` at ts (hi * 2^32 + lo), or null (SymbolMap.symbolFor's answer) */
  symbolFor(id: number, hi: number, lo: number): string | null {
    const k = this.kept.get(id);
    if (
      k !== undefined &&
      (hi > k.startHi || (hi === k.startHi && lo >= k.startLo)) &&
      (hi < k.endHi || (hi === k.endHi && lo < k.endLo))
    ) {
      this.hits++;
      return k.symbol;
    }
    this.misses++;
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    const symbol = this.map.symbolFor(id, ts);
    if (symbol === null) return null;
    const iv = this.keepable(id, ts);
    if (iv !== null && iv.symbol === symbol) {
      const [startHi, startLo] = halves(iv.start);
      const [endHi, endLo] = halves(iv.end);
      this.kept.set(id, { symbol, startHi, startLo, endHi, endLo });
    } else this.kept.delete(id);
    return symbol;
  }

  /** the interval that answered, when nothing can shadow it (see the header) */
  private keepable(id: number, ts: bigint): SymbolInterval | null {
    const own = this.map.intervalsFor(id);
    const last = (ivs: readonly SymbolInterval[]): SymbolInterval | null => {
      const iv = ivs[ivs.length - 1];
      return iv !== undefined && ts >= iv.start && ts < iv.end ? iv : null;
    };
    if (own.length > 0) return last(own);
    const fb = this.map.fallback;
    if (fb === null || fb.fallback !== null) return null;
    return last(fb.intervalsFor(id));
  }
}
