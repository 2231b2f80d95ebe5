/** Robustness: random edits of valid bodies either decode to an event the zod schema accepts (and that
 * re-encodes to a body decoding to the same event) or throw DecodeError; never any other error. Random valid
 * events of every type survive Python's json.loads and json.dumps byte for byte. */
import { describe, expect, it } from 'vitest';
import { decode, DecodeError, encode, encodeToString, lookup, type MarketEvent } from '../src/index.js';
import { Rng } from '@md/test-support';
import { havePython, python, SAMPLES } from './fixtures.js';

const random = new Rng(20251216);
const rnd = () => random.next();
const pick = <T>(xs: readonly T[]): T => random.pick(xs);
const TOKENS = [
  '0',
  '-',
  '1',
  '9',
  '.',
  'e',
  'E',
  '+',
  '"',
  '\\',
  ',',
  ':',
  '{',
  '}',
  '[',
  ']',
  ' ',
  'n',
  'null',
  'true',
  'x',
  '\u00e9',
  '\u0000',
  '1e400',
  'NaN',
  '9223372036854775808',
];

function mutate(s: string): string {
  const i = Math.floor(rnd() * s.length);
  switch (Math.floor(rnd() * 4)) {
    case 0:
      return s.slice(0, i) + s.slice(i + 1); // delete a character
    case 1:
      return s.slice(0, i) + pick(TOKENS) + s.slice(i); // insert a token
    case 2:
      return s.slice(0, i) + pick(TOKENS) + s.slice(i + 1); // replace a character
    default: {
      const j = Math.floor(rnd() * s.length); // swap two characters
      const a = Math.min(i, j);
      const b = Math.max(i, j);
      return a === b ? s : s.slice(0, a) + s[b] + s.slice(a + 1, b) + s[a] + s.slice(b + 1);
    }
  }
}

describe('decode fuzz', () => {
  it('random edits of every golden body: a valid event or a DecodeError, nothing else', () => {
    let ok = 0;
    let bad = 0;
    for (const s of SAMPLES) {
      const entry = lookup(s.schemaId);
      for (let n = 0; n < 2500; n++) {
        let text = s.json;
        const edits = 1 + Math.floor(rnd() * 3);
        for (let k = 0; k < edits; k++) text = mutate(text);
        let ev: MarketEvent | undefined;
        try {
          ev = decode(s.schemaId, text);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw new Error(`${s.schemaId}: ${String(e)} for ${JSON.stringify(text)}`);
          bad++;
          continue;
        }
        ok++;
        expect(entry.schema.safeParse(ev).success, text).toBe(true);
        expect(decode(s.schemaId, encode(ev, s.schemaId))).toEqual(ev);
      }
    }
    expect(bad).toBeGreaterThan(0);
    expect(ok).toBeGreaterThan(0); // some edits keep a body valid (a digit changed, whitespace inserted)
  });
});

function randomEvent(schemaId: string): MarketEvent {
  const base = SAMPLES.find((x) => x.schemaId === schemaId)!.event as Record<string, unknown>;
  const e: Record<string, unknown> = structuredClone(base);
  const price = () =>
    pick([
      () => Math.round(rnd() * 1e7) / pick([1, 4, 100, 1000, 1e6]),
      () => rnd() * 10 ** Math.floor(rnd() * 40 - 20),
      () => -rnd() * 1e3,
      () => pick([0, -0, 1e-9, 1e16, 5e-324, 2 ** 31, 0.1 + 0.2]),
    ])();
  const ts = () => BigInt(Math.floor(rnd() * 2 ** 31)) * BigInt(Math.floor(rnd() * 2 ** 32)) * (rnd() < 0.05 ? -1n : 1n);
  e.ts_event_ns = ts();
  e.ts_recv_ns = ts();
  for (const k of Object.keys(e)) {
    const v = e[k];
    if (typeof v === 'number' && !['size', 'bid_sz', 'ask_sz', 'exchange', 'bid_exch', 'ask_exch', 'seq', 'aggressor'].includes(k))
      e[k] = price();
    if (k === 'size' || k === 'bid_sz' || k === 'ask_sz') e[k] = Math.floor(rnd() * 1e6);
    if (k === 'seq') e[k] = rnd() < 0.2 ? null : Math.floor(rnd() * 2 ** 40);
    if (k === 'symbol' || k === 'underlying') e[k] = pick(['ESH6', 'SPY', 'BRK.B', 'Ünï', '"q"', 'a\\b', 'tab\t']);
  }
  if (Array.isArray(e.levels)) {
    e.levels = (e.levels as unknown[]).map(() =>
      rnd() < 0.1 ? { bid_px: null, bid_sz: 0, ask_px: price(), ask_sz: 5 } : { bid_px: price(), bid_sz: 7, ask_px: price(), ask_sz: 0 },
    );
  }
  return e as unknown as MarketEvent;
}

if (!havePython) console.warn('python3 not found on PATH: skipping the random-event Python round trip');

describe.skipIf(!havePython)('random events through Python', () => {
  it('json.loads then json.dumps gives the same bytes for 3000 random events of every type', () => {
    const lines: string[] = [];
    for (let n = 0; n < 500; n++)
      for (const s of SAMPLES) lines.push(new TextDecoder().decode(encode(randomEvent(s.schemaId), s.schemaId)));
    const out = python(
      'import sys, json\nfor line in sys.stdin.read().split("\\n")[:-1]:\n    print(json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False))',
      lines.join('\n') + '\n',
    ).split('\n');
    const diff = lines.map((l, i) => [l, out[i]]).filter(([a, b]) => a !== b);
    expect(diff.slice(0, 5)).toEqual([]);
    // and the text encoder writes the same bytes
    for (let n = 0; n < 200; n++) {
      for (const s of SAMPLES) {
        const e = randomEvent(s.schemaId);
        expect(encodeToString(e, s.schemaId)).toBe(new TextDecoder().decode(encode(e, s.schemaId)));
      }
    }
  });
});
