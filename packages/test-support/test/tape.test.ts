import { describe, expect, it } from 'vitest';
import { Tape, type TapeEvent, type TapeTrade, compareEvents, itemOf, msOf } from '@md/test-support/tape';

const START = 1765898100000; // 2025-12-16 15:15:00 UTC
const OPTS = ['O:SPY251216C00676000', 'O:SPY251216P00675000', 'O:SPY251216C00680000'];
const tape = Tape.generate({ seed: 7, startMs: START, durationMs: 10_000, rate: 500, optionSymbols: OPTS });
const trades = (sym?: string) => tape.events.filter((e): e is TapeTrade => e.kind === 'T' && (sym === undefined || e.sym === sym));
const group = <K>(xs: readonly TapeEvent[], key: (e: TapeEvent) => K) => {
  const m = new Map<K, TapeEvent[]>();
  for (const e of xs) m.set(key(e), [...(m.get(key(e)) ?? []), e]);
  return m;
};

describe('Tape.generate', () => {
  it('is deterministic by seed: the same seed gives the same events and texts, another seed another tape', () => {
    const o = { seed: 7, startMs: START, durationMs: 10_000, rate: 500, optionSymbols: OPTS };
    const again = Tape.generate(o);
    expect(again.events).toEqual(tape.events);
    expect(again.events.map((e) => again.wsElement(e) + again.restRow(e))).toEqual(
      tape.events.map((e) => tape.wsElement(e) + tape.restRow(e)),
    );
    const other = Tape.generate({ ...o, seed: 8 });
    expect(other.events.map((e) => other.wsElement(e))).not.toEqual(tape.events.map((e) => tape.wsElement(e)));
  });

  it('has rate x duration events inside the window, sorted by (sipNs, seq), one increasing sequence series per item', () => {
    expect(tape.events).toHaveLength(5000);
    for (let k = 1; k < tape.events.length; k++) expect(compareEvents(tape.events[k - 1]!, tape.events[k]!)).toBeLessThan(0);
    for (const e of tape.events) {
      expect(msOf(e)).toBeGreaterThanOrEqual(START);
      expect(msOf(e)).toBeLessThan(START + 10_000);
    }
    for (const [item, xs] of group(tape.events, itemOf)) {
      for (let k = 1; k < xs.length; k++) expect(xs[k]!.seq, item).toBeGreaterThan(xs[k - 1]!.seq);
    }
    expect([...group(tape.events, itemOf).keys()].sort()).toEqual([...OPTS.flatMap((s) => [`Q.${s}`, `T.${s}`]), 'Q.SPY', 'T.SPY'].sort());
    expect(tape.symbols).toEqual(['SPY', ...OPTS]);
    // the option share is about 0.3 by default
    const share = tape.events.filter((e) => e.sym.startsWith('O:')).length / tape.events.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.4);
    const stockOnly = Tape.generate({ seed: 1, startMs: START, durationMs: 1000, rate: 100 });
    expect(new Set(stockOnly.events.map((e) => e.sym))).toEqual(new Set(['SPY']));
  });

  it('bursts: many ms with several events, equal ns inside one item, and ns digits below the ms everywhere', () => {
    const byMs = group(tape.events, msOf);
    expect([...byMs.values()].filter((xs) => xs.length >= 3).length).toBeGreaterThan(100);
    const sameNsInItem = [...group(tape.events, (e) => `${itemOf(e)}@${e.sipNs}`).values()].filter((xs) => xs.length > 1);
    expect(sameNsInItem.length).toBeGreaterThan(5);
    for (const e of tape.events) expect(e.sipNs % 1_000_000n).not.toBe(0n);
  });

  it('stock trades: ids repeat across exchanges, some keep leading zeros; conditions null, empty and present', () => {
    const st = trades('SPY');
    const exchangesById = new Map<string, Set<number>>();
    for (const t of st) exchangesById.set(t.i!, (exchangesById.get(t.i!) ?? new Set()).add(t.x));
    expect([...exchangesById.values()].filter((xs) => xs.size > 1).length).toBeGreaterThan(20);
    expect(st.some((t) => /^0\d{7}$/.test(t.i ?? ''))).toBe(true);
    for (const sym of ['SPY', OPTS[0]!]) {
      const ts = trades(sym);
      expect(ts.some((t) => t.c === null)).toBe(true);
      expect(ts.some((t) => t.c !== null && t.c.length === 0)).toBe(true);
      expect(ts.some((t) => (t.c?.length ?? 0) > 0)).toBe(true);
    }
    expect(
      trades()
        .filter((t) => t.sym.startsWith('O:'))
        .every((t) => t.i === null && t.z === undefined),
    ).toBe(true);
  });

  it('option trades: runs of identical trades (contract, ms, x, p, s, c) in one ms, told apart only by q', () => {
    const runs = [
      ...group(
        trades().filter((t) => t.sym.startsWith('O:')),
        (e) => {
          const t = e as TapeTrade;
          return `${t.sym}|${msOf(t)}|${t.x}|${t.p}|${t.s}|${JSON.stringify(t.c)}`;
        },
      ).values(),
    ].filter((xs) => xs.length > 1);
    expect(runs.length).toBeGreaterThan(20);
    expect(runs.some((xs) => xs.length >= 3)).toBe(true);
    for (const xs of runs) expect(new Set(xs.map((e) => e.seq)).size).toBe(xs.length);
  });

  it('every symbol is quoted before its first trade; prices on a cent grid; SPY near 676 drifting slowly', () => {
    for (const sym of tape.symbols) {
      const first = tape.events.find((e) => e.sym === sym);
      expect(first?.kind, sym).toBe('Q');
      expect(msOf(first!)).toBe(START);
    }
    const prices = tape.events.flatMap((e) => (e.kind === 'T' ? [e.p] : [e.bp, e.ap]));
    for (const p of prices) expect(String(p)).toMatch(/^\d+(\.\d{1,2})?$/);
    const spy = trades('SPY').map((t) => t.p);
    const [lo, hi] = [Math.min(...spy), Math.max(...spy)];
    expect(lo).toBeGreaterThan(670);
    expect(hi).toBeLessThan(683);
    expect(hi - lo).toBeGreaterThan(0.02); // it moves
    expect(hi - lo).toBeLessThan(3); // slowly
    for (const q of tape.events) if (q.kind === 'Q') expect(q.ap).toBeGreaterThan(q.bp);
  });

  it('wsElement: the vendor keys, t = floor(sipNs / 1e6), q on every event (option trades too), i on stock trades only', () => {
    for (const e of tape.events.slice(0, 800)) {
      const text = tape.wsElement(e);
      const o = JSON.parse(text);
      expect(o.ev).toBe(e.kind);
      expect(o.sym).toBe(e.sym);
      expect(o.t).toBe(Number(e.sipNs / 1_000_000n));
      expect(o.q).toBe(e.seq);
      expect(JSON.stringify(o)).toBe(text); // nothing a JSON reader would change
      if (e.kind === 'T') {
        expect([o.x, o.p, o.s, o.c ?? null]).toEqual([e.x, e.p, e.s, e.c]);
        expect('c' in o).toBe(e.c !== null); // absent, never null
        expect(o.i).toBe(e.sym.startsWith('O:') ? undefined : e.i);
        expect(o.z).toBe(e.sym.startsWith('O:') ? undefined : 2);
      } else {
        expect([o.bx, o.bp, o.bs, o.ax, o.ap, o.as]).toEqual([e.bx, e.bp, e.bs, e.ax, e.ap, e.as]);
      }
    }
  });

  it('restRow: raw 19-digit ns; option trades without id and sequence_number; stock trades with id, sequence_number, tape', () => {
    for (const e of tape.events) {
      const text = tape.restRow(e);
      expect(text).toContain(`"sip_timestamp":${e.sipNs.toString()}`);
      expect(e.sipNs.toString()).toHaveLength(19);
      const o = JSON.parse(text);
      const option = e.sym.startsWith('O:');
      if (e.kind === 'T') {
        expect([o.exchange, o.price, o.size]).toEqual([e.x, e.p, e.s]);
        expect(o.conditions ?? null).toEqual(e.c);
        if (option) {
          expect(Object.keys(o).sort()).toEqual([
            ...(e.c ? ['conditions'] : []),
            'exchange',
            'participant_timestamp',
            'price',
            'sip_timestamp',
            'size',
          ]);
        } else {
          expect(text).toContain(`"id":"${e.i}"`);
          expect(text).toContain(`"sequence_number":${e.seq},`);
          expect(o.tape).toBe(2);
        }
        const pt = /"participant_timestamp":(\d+)/.exec(text)?.[1];
        expect(BigInt(pt!)).toBeLessThan(e.sipNs);
      } else {
        expect([o.bid_exchange, o.bid_price, o.bid_size, o.ask_exchange, o.ask_price, o.ask_size]).toEqual([
          e.bx,
          e.bp,
          e.bs,
          e.ax,
          e.ap,
          e.as,
        ]);
        expect(text).toContain(`"sequence_number":${e.seq},`);
        if (option) expect(Object.keys(o)).toHaveLength(8);
      }
    }
  });

  it('select and indexAfter agree with a scan, at bounds that fall on equal-ns events', () => {
    const [sym, kind] = ['SPY', 'T'] as const;
    const xs = tape.events.filter((e) => e.kind === kind && e.sym === sym);
    const tie = xs.find((e, k) => xs[k + 1]?.sipNs === e.sipNs)!;
    const bounds = [tape.firstNs, tie.sipNs, tie.sipNs + 1n, BigInt(START + 4000) * 1_000_000n + 123n, tape.lastNs + 1n];
    for (const gte of bounds) {
      for (const lt of bounds) {
        expect(tape.select(kind, sym, gte, lt)).toEqual(xs.filter((e) => e.sipNs >= gte && e.sipNs < lt));
      }
      expect(tape.indexAfter(gte)).toBe(tape.events.filter((e) => e.sipNs <= gte).length);
    }
    expect(tape.indexAfter(tape.lastNs)).toBe(tape.events.length);
    expect(tape.indexAfter(tape.firstNs - 1n)).toBe(0);
    expect(tape.select('T', 'QQQ', 0n, tape.lastNs + 1n)).toEqual([]);
  });

  it('names a wrong option', () => {
    expect(() => Tape.generate({ seed: 1, startMs: START / 1000, durationMs: 10, rate: 1 })).toThrow('Tape: startMs must be Unix ms');
    expect(() => Tape.generate({ seed: 1, startMs: START, durationMs: 10, rate: 1, optionSymbols: ['SPY251216C00676000'] })).toThrow(
      'lacks the O: prefix',
    );
  });
});
