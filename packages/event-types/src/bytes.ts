/**
 * The byte encoder's writers: the same text as encode.ts's, written straight into UTF-8 bytes (no JSON string
 * to build, flatten and copy). codegen.ts compiles one byte encoder per schema from its field table out of
 * these; every value goes through the same checks (check.ts) as in the text encoder, and a test checks that
 * both write identical bodies.
 *
 * Bodies are written into a shared 16 KiB slab and returned as Uint8Array views of it (like Buffer's pool):
 * a slab region is never written again once handed out, so small bodies cost no allocation of their own.
 */
import { floatText } from './float.js';

const SLAB = 16 * 1024;
let buf = new Uint8Array(SLAB);
let dv = new DataView(buf.buffer);
let o = 0;
let start = 0;
/** bound on the fixed-size parts (keys, numbers) of the event being written: everything but strings and arrays */
let RESERVE = 512;
const te = new TextEncoder();

/** start an event: room for its fixed-size parts, twice (so that a short string does not move it) */
export function begin(reserve: number): void {
  RESERVE = reserve;
  if (o + 2 * reserve > buf.length) {
    buf = new Uint8Array(SLAB);
    dv = new DataView(buf.buffer);
    o = 0;
  }
  start = o;
}

export function end(): Uint8Array {
  const out = buf.subarray(start, o);
  if (buf.length !== SLAB) {
    // an oversized event got a slab of its own: later events go to a normal one
    buf = new Uint8Array(SLAB);
    dv = new DataView(buf.buffer);
    o = 0;
  }
  return out;
}

/**
 * Make room for n more bytes of the current event plus RESERVE for the fixed-size parts that may follow (its
 * bytes so far move to a new, larger slab). Every variable-length write (strings, arrays) calls it first.
 */
function room(n: number): void {
  if (o + n + RESERVE > buf.length) grow(n + RESERVE);
}

function grow(n: number): void {
  const have = o - start;
  const nb = new Uint8Array(Math.max(SLAB, (have + n) * 2));
  nb.set(buf.subarray(start, o));
  buf = nb;
  dv = new DataView(nb.buffer);
  start = 0;
  o = have;
}

/** constant ASCII bytes (keys), as big-endian 32-bit words plus a tail: 4 bytes per store */
export interface Key {
  readonly w: Uint32Array;
  readonly t: Uint8Array;
  readonly n: number;
}

export function mkKey(s: string): Key {
  const b = te.encode(s);
  const nw = b.length >> 2;
  const w = new Uint32Array(nw);
  const at = (i: number) => b[i] ?? 0;
  for (let i = 0; i < nw; i++) w[i] = ((at(4 * i) << 24) | (at(4 * i + 1) << 16) | (at(4 * i + 2) << 8) | at(4 * i + 3)) >>> 0;
  return { w, t: b.slice(nw * 4), n: b.length };
}

// The writers below run per field of every event: their indexed reads stay within the arrays by construction
// (loop bounds), so they read through `as number` rather than pay a check on the hot path.

/** write a key; within RESERVE */
export function key(k: Key): void {
  const w = k.w;
  const d = dv;
  let p = o;
  for (let i = 0; i < w.length; i++) {
    d.setUint32(p, w[i] as number);
    p += 4;
  }
  const t = k.t;
  const b = buf;
  for (let i = 0; i < t.length; i++) b[p + i] = t[i] as number;
  o += k.n;
}

/** one constant byte (`}`); within RESERVE */
export function byte(c: number): void {
  buf[o++] = c;
}

/** ASCII text (numbers, dates); within RESERVE unless a string came first */
export function ascii(s: string): void {
  const n = s.length;
  if (o + n > buf.length) grow(n + RESERVE);
  const b = buf;
  const p = o;
  for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
  o = p + n;
}

/** a JSON string literal: printable ASCII copied as is, anything else through JSON.stringify and UTF-8 */
export function str(s: string): void {
  const n = s.length;
  room(n + 2);
  const b = buf;
  let p = o;
  b[p++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return strSlow(s);
    b[p++] = c;
  }
  b[p++] = 34;
  o = p;
}

function strSlow(s: string): void {
  const j = JSON.stringify(s); // escapes controls, ", \ and lone surrogates; other text stays as is
  room(j.length * 3);
  o += te.encodeInto(j, buf.subarray(o)).written;
}

/** a non-negative safe integer */
export function uint(v: number): void {
  if (v < 10) {
    buf[o++] = 48 + v;
    return;
  }
  if (v >= 2147483648) return ascii('' + v);
  let n = 2;
  for (let t = (v / 100) | 0; t > 0; t = (t / 10) | 0) n++;
  const b = buf;
  let p = o + n;
  o = p;
  for (let x = v; x > 0;) {
    const q = (x / 10) | 0;
    b[--p] = 48 + x - q * 10;
    x = q;
  }
}

/** a safe integer */
export function int(v: number): void {
  if (v >= 0) uint(v);
  else ascii('' + v);
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * A finite float as Python writes it (float.ts's floatText). Fast path for the usual prices: a value that is
 * exactly m / 10^k (as a correctly rounded division) for an integer m < 2^31 and k <= 6 has that decimal as
 * its shortest round-trip text (with the smallest such k, m is unique and nothing shorter reads back to the
 * same double), so its digits are written straight from m. Everything else goes through floatText.
 */
export function float(v: number): void {
  const a = v < 0 ? -v : v;
  if (a >= 1e-4 && a < 2147483647) {
    for (let k = 0; k <= 6; k++) {
      const p = POW10[k] as number;
      const m = Math.round(a * p);
      if (m / p === a) {
        if (m >= 2147483648) break;
        if (v < 0) buf[o++] = 45;
        decimal(m, k);
        return;
      }
    }
  }
  ascii(floatText(v));
}

/** digits of m with a decimal point before the last k (k = 0: m + ".0"); m < 2^31 */
function decimal(m: number, k: number): void {
  let n = 1; // digits of m, at least k + 1 (leading zeros: "0.05")
  for (let t = (m / 10) | 0; t > 0; t = (t / 10) | 0) n++;
  if (n <= k) n = k + 1;
  const b = buf;
  const end = o + n + (k === 0 ? 2 : 1);
  let p = end;
  if (k === 0) {
    b[--p] = 48;
    b[--p] = 46;
  }
  let x = m;
  for (let i = 0; i < n; i++) {
    if (i === k && k > 0) b[--p] = 46;
    const q = (x / 10) | 0;
    b[--p] = 48 + x - q * 10;
    x = q;
  }
  o = end;
}

const E9 = 1_000_000_000n;
/** the whole seconds (a multiple of 1e9) whose digits are cached; far below any int64 at first */
let hiBase = -(2n ** 66n);
let hiDigits = mkKey('');

/** exact nanoseconds (checked by the caller): digits of the whole seconds cached, the 9 last from a Number */
export function ns(v: bigint): void {
  let x = Number(v - hiBase); // exact when in [0, 1e9); far outside that range otherwise
  if (x >= 0 && x < 1e9) {
    key(hiDigits);
    const b = buf;
    for (let p = o + 8; p >= o; p--) {
      const q = (x / 10) | 0;
      b[p] = 48 + x - q * 10;
      x = q;
    }
    o += 9;
    return;
  }
  if (v >= E9) {
    hiBase = v - (v % E9);
    hiDigits = mkKey((hiBase / E9).toString());
    return ns(v);
  }
  ascii(v.toString());
}

/** an array of safe integers (`conditions`) */
export function ints(c: number[]): void {
  room(c.length * 18 + 2); // "-9007199254740991," at most
  buf[o++] = 91;
  for (let i = 0; i < c.length; i++) {
    if (i > 0) buf[o++] = 44;
    int(c[i] as number);
  }
  buf[o++] = 93;
}
