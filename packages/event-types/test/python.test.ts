/** The bytes as a Python consumer sees them: json.loads gives the same values, types and key order, and
 * Python's own json.dumps of what it read writes the very same bytes back. */
import { describe, expect, it } from 'vitest';
import { encode, encodeToString, formatFloat, type FuturesTrade } from '../src/index.js';
import { rng } from '@md/test-support';
import { futuresTrade, havePython, python, SAMPLES } from './fixtures.js';

if (!havePython) console.warn('python3 not found on PATH: skipping the Python json.loads checks');

const td = new TextDecoder();

// For each input line: the key order, the Python type of each top-level value, and json.dumps of the value
const PY_DESCRIBE = `
import sys, json
for line in sys.stdin:
    obj = json.loads(line)
    types = {k: type(v).__name__ for k, v in obj.items()}
    print(json.dumps({"keys": list(obj.keys()), "types": types,
                      "redump": json.dumps(obj, separators=(",", ":"), ensure_ascii=False),
                      "ts": [str(obj["ts_event_ns"]), str(obj["ts_recv_ns"])]}))
`;

describe.skipIf(!havePython)('python3 json.loads', () => {
  it('reads every golden body with the same key order, types and values, and re-dumps the same bytes', () => {
    const lines = SAMPLES.map((s) => td.decode(encode(s.event, s.schemaId)));
    const out = python(PY_DESCRIBE, lines.join('\n') + '\n')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    SAMPLES.forEach((s, i) => {
      const r = out[i];
      expect(r.keys).toEqual(Object.keys(s.event));
      expect(r.redump).toBe(lines[i]);
      expect(r.ts).toEqual([String(s.event.ts_event_ns), String(s.event.ts_recv_ns)]);
      for (const [k, v] of Object.entries(s.event)) {
        const want =
          v === null
            ? 'NoneType'
            : typeof v === 'bigint'
              ? 'int'
              : typeof v === 'string'
                ? 'str'
                : typeof v === 'boolean'
                  ? 'bool'
                  : Array.isArray(v)
                    ? 'list'
                    : null;
        if (want) expect(r.types[k], k).toBe(want);
      }
    });
    // floats are floats in Python (even integral ones), ints are ints
    const ft = out[3];
    expect(ft.types.price).toBe('float');
    expect(ft.types.size).toBe('int');
    expect(ft.types.aggressor).toBe('int');
    expect(out[2].types.strike).toBe('float'); // 676.0
  });

  it('exact 19-digit nanoseconds and int64 bounds reach Python exactly', () => {
    const vals = [0n, 2n ** 53n + 1n, 1702900800123456789n, 2n ** 63n - 1n, -(2n ** 63n)];
    const lines = vals.map((v) => encodeToString({ ...futuresTrade, ts_event_ns: v, ts_recv_ns: v } as FuturesTrade));
    const out = python(PY_DESCRIBE, lines.join('\n') + '\n')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    out.forEach((r, i) => {
      expect(r.ts).toEqual([String(vals[i]), String(vals[i])]);
      expect(r.redump).toBe(lines[i]);
    });
  });

  it("formatFloat equals Python's repr(float) for 20000 random doubles and edge values", () => {
    const rnd = rng(987654321);
    const dv = new DataView(new ArrayBuffer(8));
    const xs: number[] = [
      0,
      -0,
      0.1,
      4500.25,
      676,
      1e-9,
      1e16,
      1e-4,
      1e-5,
      9.999999999999999e-5,
      9999999999999998,
      1e15 + 0.5,
      1e21,
      1e22,
      5e-324,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      2 ** 53,
      2 ** 53 + 2,
      123e-20,
      1.5e-7,
      -2.5e16,
      0.30000000000000004,
    ];
    for (let i = 0; i < 20000; i++) {
      if (i % 4 === 0) {
        dv.setUint32(0, Math.floor(rnd() * 2 ** 32));
        dv.setUint32(4, Math.floor(rnd() * 2 ** 32));
        const x = dv.getFloat64(0);
        if (Number.isFinite(x)) xs.push(x);
      } else if (i % 4 === 1)
        xs.push(Math.round(rnd() * 4e6) / 4 / 10 ** Math.floor(rnd() * 12)); // price-like
      else if (i % 4 === 2)
        xs.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 44 - 22)); // around the exponent switches
      else xs.push(Math.floor(rnd() * 2 ** 53) * 10 ** Math.floor(rnd() * 8 - 4));
    }
    // Python reads the exact doubles from their hex form, so the check does not depend on our formatting
    const hex = xs.map((x) => {
      dv.setFloat64(0, x);
      return dv.getBigUint64(0).toString(16).padStart(16, '0');
    });
    const out = python(
      'import sys, struct\nfor h in sys.stdin.read().split():\n    print(repr(struct.unpack(">d", bytes.fromhex(h))[0]))',
      hex.join('\n'),
    )
      .trim()
      .split('\n');
    expect(out.length).toBe(xs.length);
    const bad = xs.map((x, i) => [formatFloat(x), out[i]]).filter(([a, b]) => a !== b);
    expect(bad.slice(0, 10)).toEqual([]);
  });
});
