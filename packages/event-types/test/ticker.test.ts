import { describe, expect, it } from 'vitest';
import { formatOptionTicker, OptionTickerError, parseOptionTicker } from '../src/index.js';

describe('parseOptionTicker', () => {
  it('the contract example', () => {
    expect(parseOptionTicker('O:SPY251216C00676000')).toEqual({ underlying: 'SPY', expDate: '2025-12-16', right: 'C', strike: 676 });
  });
  it('roots of any length, parsed from the right', () => {
    expect(parseOptionTicker('O:SPXW250117P05900000')).toEqual({ underlying: 'SPXW', expDate: '2025-01-17', right: 'P', strike: 5900 });
    expect(parseOptionTicker('O:BRKB260320C00450500')).toEqual({ underlying: 'BRKB', expDate: '2026-03-20', right: 'C', strike: 450.5 });
    expect(parseOptionTicker('O:F250620C00012500').underlying).toBe('F');
    expect(parseOptionTicker('O:AAPL1240119C00190000').underlying).toBe('AAPL1'); // adjusted root with a digit
    expect(parseOptionTicker('O:GOOGL240229P00000500')).toEqual({ underlying: 'GOOGL', expDate: '2024-02-29', right: 'P', strike: 0.5 });
    expect(parseOptionTicker('O:X991231C99999999').strike).toBe(99999.999);
  });
  const bad: [string, RegExp][] = [
    ['SPY251216C00676000', /O:/],
    ['O:251216C00676000', /empty root/],
    ['O:SPY251216X00676000', /right must be C or P/],
    ['O:SPY251216C0676000', /right must be C or P|strike/], // 7-digit strike
    ['O:SPY251216C006760000', /right must be C or P|strike/], // 9-digit strike
    ['O:SPY251316C00676000', /month 13/],
    ['O:SPY251232C00676000', /day 32/],
    ['O:SPY250230C00676000', /day 30/],
    ['O:SPY230229C00676000', /day 29/], // 2023 is not a leap year
    ['O:SPY2512A6C00676000', /6 digits/],
    ['O:SPY251216C0067600A', /strike/],
    ['O:spy251216C00676000', /upper-case/],
    ['O:SP Y251216C00676000', /upper-case/],
    ['O:C00676000', /too short/],
    ['', /O:/],
  ];
  for (const [t, msg] of bad) {
    it(`rejects ${JSON.stringify(t)}`, () => {
      expect(() => parseOptionTicker(t)).toThrow(OptionTickerError);
      expect(() => parseOptionTicker(t)).toThrow(msg);
    });
  }
});

describe('formatOptionTicker', () => {
  it('inverts parseOptionTicker', () => {
    for (const t of [
      'O:SPY251216C00676000',
      'O:SPXW250117P05900000',
      'O:BRKB260320C00450500',
      'O:GOOGL240229P00000500',
      'O:X991231C99999999',
    ]) {
      expect(formatOptionTicker(parseOptionTicker(t))).toBe(t);
    }
    expect(formatOptionTicker({ underlying: 'SPY', expDate: '2025-12-16', right: 'C', strike: 676 })).toBe('O:SPY251216C00676000');
    expect(formatOptionTicker({ underlying: 'SPY', expDate: '2025-12-16', right: 'P', strike: 0.1 + 0.2 - 0.3 + 676.005 })).toBe(
      'O:SPY251216P00676005',
    );
  });
  it('every strike in thousandths survives format -> parse', () => {
    for (let milli = 0; milli < 100_000_000; milli += 9973) {
      const strike = milli / 1000;
      const t = formatOptionTicker({ underlying: 'QQQ', expDate: '2030-06-30', right: 'P', strike });
      expect(parseOptionTicker(t).strike).toBe(strike);
    }
  });
  it('rejects what cannot be written', () => {
    const ok = { underlying: 'SPY', expDate: '2025-12-16', right: 'C' as const, strike: 676 };
    expect(() => formatOptionTicker({ ...ok, strike: 676.0005 })).toThrow(/multiple of 0.001/);
    expect(() => formatOptionTicker({ ...ok, strike: 100000 })).toThrow(/8 digits/);
    expect(() => formatOptionTicker({ ...ok, strike: -1 })).toThrow(OptionTickerError);
    expect(() => formatOptionTicker({ ...ok, strike: NaN })).toThrow(OptionTickerError);
    expect(() => formatOptionTicker({ ...ok, expDate: '1999-12-16' })).toThrow(/2000\.\.2099/);
    expect(() => formatOptionTicker({ ...ok, expDate: '2025-02-30' })).toThrow(/day 30/);
    expect(() => formatOptionTicker({ ...ok, right: 'X' as 'C' })).toThrow(/right/);
    expect(() => formatOptionTicker({ ...ok, underlying: '' })).toThrow(/underlying/);
  });
});
