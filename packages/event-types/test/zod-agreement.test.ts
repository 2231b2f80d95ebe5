/** The hand-written codecs and the zod schemas (the source of truth) accept and reject the same values. */
import { describe, expect, it } from 'vitest';
import { decode, encode, EncodeError, encodeToString, lookup, type MarketEvent } from '../src/index.js';
import { SAMPLES } from './fixtures.js';

const VALUES: unknown[] = [
  undefined,
  null,
  true,
  'x',
  '',
  'C',
  'P',
  'replay',
  'bloomberg',
  '2025-12-16',
  '2025-02-29',
  '2024-02-29',
  0,
  -0,
  1,
  -1,
  2,
  1.5,
  -3.25,
  NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  0n,
  5n,
  2n ** 63n - 1n,
  2n ** 63n,
  -(2n ** 63n),
  -(2n ** 63n) - 1n,
  [],
  [1, 2],
  [1.5],
  ['a'],
  {},
  1e-9,
  1e300,
];

describe('encode agrees with the zod schema', () => {
  for (const s of SAMPLES) {
    it(`${s.schemaId}: every field x ${VALUES.length} values`, () => {
      const entry = lookup(s.schemaId);
      let accepted = 0;
      let rejected = 0;
      const fields = Object.keys(s.event).flatMap((k) =>
        k === 'levels' ? ['bid_px', 'bid_sz', 'ask_px', 'ask_sz'].map((f) => `levels.3.${f}`) : [k],
      );
      for (const f of fields) {
        for (const v of VALUES) {
          const ev = structuredClone(s.event) as Record<string, unknown>;
          if (f.startsWith('levels.')) {
            const [, i, k] = f.split('.');
            const level = (ev.levels as Record<string, unknown>[])[Number(i)];
            if (level === undefined || k === undefined) throw new Error(`bad field path ${f}`);
            level[k] = v;
          } else ev[f] = v;
          const zodOk = entry.schema.safeParse(ev).success;
          let encOk = true;
          let bytes: Uint8Array | undefined;
          let field: string | undefined;
          try {
            bytes = encode(ev as unknown as MarketEvent, s.schemaId);
          } catch (err) {
            expect(err).toBeInstanceOf(EncodeError);
            field = (err as EncodeError).field;
            encOk = false;
          }
          expect(encOk, `${f} = ${String(v)}: zod ${zodOk ? 'accepts' : 'rejects'}`).toBe(zodOk);
          // the text encoder agrees with the byte encoder: same bytes, or the same error field
          if (bytes) expect(encodeToString(ev as unknown as MarketEvent, s.schemaId)).toBe(new TextDecoder().decode(bytes));
          else {
            let textField: string | undefined;
            try {
              encodeToString(ev as unknown as MarketEvent, s.schemaId);
            } catch (err) {
              textField = (err as EncodeError).field;
            }
            expect(textField, `${f} = ${String(v)}`).toBe(field);
          }
          if (bytes) {
            accepted++;
            const back = decode(s.schemaId, bytes);
            expect(entry.schema.safeParse(back).success).toBe(true);
          } else rejected++;
        }
      }
      expect(accepted).toBeGreaterThan(0);
      expect(rejected).toBeGreaterThan(0);
    });
  }
});
