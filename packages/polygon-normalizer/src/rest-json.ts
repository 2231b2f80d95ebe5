/**
 * A lossless JSON reader for REST bodies. REST timestamps are int64 nanoseconds (~1.7e18, beyond 2^53):
 * `JSON.parse` would round them silently (1702900800123456789 -> 1702900800123456800). This reader works
 * on the bytes and is `JSON.parse` except that
 * - an integer lexeme that is not a safe integer becomes a `bigint` (exact);
 * - the value of every key ending in `_timestamp` is a `bigint` whatever its size (an integer lexeme is
 *   required there: a fraction or exponent is refused);
 * - errors (RestJsonError) name the byte offset, and invalid UTF-8 inside a string is refused.
 * Pure: no I/O.
 */

export class RestJsonError extends Error {
  override name = 'RestJsonError';
  constructor(
    /** what was wrong */
    readonly reason: string,
    /** byte offset in the body */
    readonly offset: number,
  ) {
    super(`invalid JSON at byte ${offset}: ${reason}`);
  }
}

export type RestJsonValue = null | boolean | number | bigint | string | RestJsonValue[] | { [key: string]: RestJsonValue };

const MAX_DEPTH = 512;
const TS_SUFFIX = '_timestamp';
const utf8 = new TextDecoder('utf-8', { fatal: true });
const enc = new TextEncoder();

/** Parse a REST body (bytes, or text) losslessly. Throws RestJsonError naming the byte offset. */
export function parseRestJson(body: Uint8Array | string): RestJsonValue {
  const b = typeof body === 'string' ? enc.encode(body) : body;
  const p = new Reader(b);
  p.ws();
  const v = p.value(0, false);
  p.ws();
  if (p.i < b.length) p.fail(`unexpected ${p.what()} after the top-level value`);
  return v;
}

class Reader {
  i = 0;
  constructor(private readonly b: Uint8Array) {}

  fail(reason: string, at: number = this.i): never {
    throw new RestJsonError(reason, at);
  }

  what(at: number = this.i): string {
    if (at >= this.b.length) return 'end of input';
    const c = this.b[at]!;
    return c >= 0x20 && c < 0x7f ? `character ${JSON.stringify(String.fromCharCode(c))}` : `byte 0x${c.toString(16).padStart(2, '0')}`;
  }

  ws(): void {
    const b = this.b;
    let i = this.i;
    for (; i < b.length; i++) {
      const c = b[i];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
    this.i = i;
  }

  value(depth: number, timestamp: boolean): RestJsonValue {
    const c = this.b[this.i];
    switch (c) {
      case 0x7b: // {
        return this.object(depth + 1);
      case 0x5b: // [
        return this.array(depth + 1);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number(timestamp);
        return this.fail(`expected a value, got ${this.what()}`);
    }
  }

  literal<T>(word: string, v: T): T {
    const b = this.b;
    for (let k = 0; k < word.length; k++)
      if (b[this.i + k] !== word.charCodeAt(k)) this.fail(`expected ${JSON.stringify(word)}, got ${this.what(this.i + k)}`, this.i + k);
    this.i += word.length;
    return v;
  }

  object(depth: number): { [key: string]: RestJsonValue } {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    const o: { [key: string]: RestJsonValue } = {};
    this.i++;
    this.ws();
    if (this.b[this.i] === 0x7d) {
      this.i++;
      return o;
    }
    for (;;) {
      if (this.b[this.i] !== 0x22) this.fail(`expected a key string, got ${this.what()}`);
      const k = this.string();
      this.ws();
      if (this.b[this.i] !== 0x3a) this.fail(`expected ':' after key ${JSON.stringify(k)}, got ${this.what()}`);
      this.i++;
      this.ws();
      const v = this.value(depth, k.endsWith(TS_SUFFIX));
      // like JSON.parse: the last duplicate wins, and "__proto__" is an ordinary own key
      if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      else o[k] = v;
      this.ws();
      const c = this.b[this.i];
      if (c === 0x2c) {
        this.i++;
        this.ws();
      } else if (c === 0x7d) {
        this.i++;
        return o;
      } else this.fail(`expected ',' or '}' in an object, got ${this.what()}`);
    }
  }

  array(depth: number): RestJsonValue[] {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    const a: RestJsonValue[] = [];
    this.i++;
    this.ws();
    if (this.b[this.i] === 0x5d) {
      this.i++;
      return a;
    }
    for (;;) {
      a.push(this.value(depth, false));
      this.ws();
      const c = this.b[this.i];
      if (c === 0x2c) {
        this.i++;
        this.ws();
      } else if (c === 0x5d) {
        this.i++;
        return a;
      } else this.fail(`expected ',' or ']' in an array, got ${this.what()}`);
    }
  }

  string(): string {
    const b = this.b;
    const start = this.i;
    let i = start + 1;
    let ascii = true;
    // fast path: no escapes
    for (; i < b.length; i++) {
      const c = b[i]!;
      if (c === 0x22) {
        this.i = i + 1;
        return this.decode(start + 1, i, ascii);
      }
      if (c === 0x5c) break;
      if (c < 0x20) this.fail(`control character 0x${c.toString(16).padStart(2, '0')} in a string`, i);
      if (c >= 0x80) ascii = false;
    }
    if (i >= b.length) this.fail('unterminated string', start);
    // slow path: escapes
    let out = this.decode(start + 1, i, ascii);
    let run = i;
    for (; i < b.length;) {
      const c = b[i]!;
      if (c === 0x22) {
        out += this.decode(run, i, false);
        this.i = i + 1;
        return out;
      }
      if (c < 0x20) this.fail(`control character 0x${c.toString(16).padStart(2, '0')} in a string`, i);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += this.decode(run, i, false);
      const e = b[i + 1];
      let ch: string;
      switch (e) {
        case 0x22:
          ch = '"';
          break;
        case 0x5c:
          ch = '\\';
          break;
        case 0x2f:
          ch = '/';
          break;
        case 0x62:
          ch = '\b';
          break;
        case 0x66:
          ch = '\f';
          break;
        case 0x6e:
          ch = '\n';
          break;
        case 0x72:
          ch = '\r';
          break;
        case 0x74:
          ch = '\t';
          break;
        case 0x75: {
          let u = 0;
          for (let k = 2; k < 6; k++) {
            const h = b[i + k];
            const d = h === undefined ? -1 : hex(h);
            if (d < 0) this.fail(`bad \\u escape: expected a hex digit, got ${this.what(i + k)}`, i + k);
            u = u * 16 + d;
          }
          ch = String.fromCharCode(u);
          i += 4;
          break;
        }
        default:
          return this.fail(e === undefined ? 'unterminated string' : `bad escape \\${String.fromCharCode(e)}`, i);
      }
      out += ch;
      i += 2;
      run = i;
    }
    return this.fail('unterminated string', start);
  }

  decode(from: number, to: number, ascii: boolean): string {
    if (from === to) return '';
    const b = this.b;
    if (ascii && to - from <= 64) {
      let s = '';
      for (let k = from; k < to; k++) s += String.fromCharCode(b[k]!);
      return s;
    }
    try {
      return utf8.decode(b.subarray(from, to));
    } catch {
      return this.fail('invalid UTF-8 in a string', from);
    }
  }

  number(timestamp: boolean): number | bigint {
    const b = this.b;
    const start = this.i;
    let i = start;
    if (b[i] === 0x2d) i++;
    const intStart = i;
    if (b[i] === 0x30) i++;
    else if (isDigit(b[i])) while (isDigit(b[i])) i++;
    else this.fail(`expected a digit, got ${this.what(i)}`, i);
    const intEnd = i;
    let integral = true;
    if (b[i] === 0x2e) {
      integral = false;
      i++;
      if (!isDigit(b[i])) this.fail(`expected a digit after '.', got ${this.what(i)}`, i);
      while (isDigit(b[i])) i++;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      integral = false;
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!isDigit(b[i])) this.fail(`expected a digit in the exponent, got ${this.what(i)}`, i);
      while (isDigit(b[i])) i++;
    }
    this.i = i;
    const digits = intEnd - intStart;
    if (integral && !timestamp && digits <= 15) {
      // the common case, without building the text: exact, since every 15-digit integer is a safe integer
      let n = 0;
      for (let k = intStart; k < intEnd; k++) n = n * 10 + (b[k]! - 0x30);
      return b[start] === 0x2d ? -n : n;
    }
    const text = String.fromCharCode.apply(null, b.subarray(start, i) as unknown as number[]);
    if (!integral) {
      if (timestamp) this.fail(`a *_timestamp value must be an integer (nanoseconds), got ${text}`, start);
      return Number(text);
    }
    if (timestamp) return BigInt(text);
    const big = BigInt(text);
    return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
  }
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
