/** Python-compatible float text and DBN fixed-point conversion. */

/**
 * The text Python's `repr(float)` / `json.dumps` writes for a finite double: the shortest digits that read back
 * to the same double (the same digits as JavaScript's), an integral value keeps `.0` (`676.0`), and the
 * exponent form is used when the decimal exponent is < -4 or >= 16 (`1e-05`, `1.5e-07`, `1e+16`, `5e-324`),
 * with a sign and at least two exponent digits. `-0` is written `-0.0` (as Python does).
 * Throws RangeError for NaN and ±Infinity (JSON has no such values).
 */
export function formatFloat(x: number): string {
  if (typeof x !== 'number') throw new TypeError(`formatFloat expects a number, got ${typeof x}`);
  if (x !== x || x === Infinity || x === -Infinity) throw new RangeError(`not a finite number: ${x}`);
  return floatText(x);
}

/** formatFloat for a value already known to be a finite number. */
export function floatText(x: number): string {
  const a = x < 0 ? -x : x;
  if (a >= 1e-4 && a < 1e16) {
    // JavaScript uses plain notation in [1e-6, 1e21): same text as Python's in this range, bar the `.0`
    return Number.isInteger(x) ? '' + x + '.0' : '' + x;
  }
  if (x === 0) return 1 / x < 0 ? '-0.0' : '0.0';
  return expForm(x);
}

function expForm(x: number): string {
  const s = x.toExponential(); // shortest round-trip digits, e.g. "1.5e-7", "1e+16"
  const i = s.indexOf('e');
  const digits = s.slice(i + 2);
  return s.slice(0, i + 2) + (digits.length < 2 ? '0' + digits : digits);
}

/** DBN's undefined-price sentinel, i64::MAX. */
export const UNDEF_PRICE: bigint = 2n ** 63n - 1n;
/** Fixed-point scale of DBN prices: 1 unit = 1e-9. */
export const FIXED_PRICE_SCALE = 1_000_000_000n;

const MAX_EXACT = 2n ** 53n;

/**
 * A DBN fixed-point price (raw * 1e-9) as the correctly rounded double nearest to raw / 1e9.
 * |raw| <= 2^53: both operands are exact doubles, and one IEEE division is correctly rounded.
 * Otherwise the exact decimal text is converted by Number(), which is correctly rounded too.
 * UNDEF_PRICE is not special-cased here (see fixedToFloatOrNull).
 */
export function fixedToFloat(raw: bigint): number {
  if (typeof raw !== 'bigint') throw new TypeError(`fixedToFloat expects a bigint, got ${typeof raw}`);
  if (raw <= MAX_EXACT && raw >= -MAX_EXACT) return Number(raw) / 1e9;
  const neg = raw < 0n;
  const s = (neg ? -raw : raw).toString(); // > 2^53, so at least 16 digits
  const text = s.slice(0, s.length - 9) + '.' + s.slice(s.length - 9);
  return Number(neg ? '-' + text : text);
}

/** fixedToFloat, with DBN's UNDEF_PRICE mapped to null (an empty book side). */
export function fixedToFloatOrNull(raw: bigint): number | null {
  return raw === UNDEF_PRICE ? null : fixedToFloat(raw);
}
