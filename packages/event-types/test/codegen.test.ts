/** The codec is compiled from the schemas' field tables: what the tables say is what the codec does. */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { compileCodec } from '../src/codegen.js';
import { decodeWith } from '../src/decode.js';
import { REGISTRY, SCHEMA_IDS, SUBJECTS } from '../src/index.js';
import { BooleanSchema, NanosSchema, PriceOrNullSchema, StringOrNullSchema, SymbolSchema } from '../src/schemas.js';
import { SAMPLES } from './fixtures.js';

describe('codec compiled from the field tables', () => {
  it('writes the keys of each schema in the order of its zod shape', () => {
    for (const s of SAMPLES) {
      const e = REGISTRY.find((r) => r.schemaId === s.schemaId);
      if (e === undefined) throw new Error(`no entry for ${s.schemaId}`);
      const shape = (e.schema as unknown as z.ZodObject).shape;
      expect(Object.keys(JSON.parse(e.encodeToString(s.event)))).toEqual(Object.keys(shape));
    }
  });

  it('derives SUBJECTS and SCHEMA_IDS from the registry table', () => {
    expect(Object.values(SUBJECTS)).toEqual(REGISTRY.map((e) => e.subject));
    expect(Object.values(SCHEMA_IDS)).toEqual(REGISTRY.map((e) => e.schemaId));
  });

  it('compiles any object built from the field schemas', () => {
    const Demo = z.strictObject({
      ts: NanosSchema,
      name: SymbolSchema,
      px: PriceOrNullSchema,
      venue: StringOrNullSchema,
      live: BooleanSchema,
    });
    const c = compileCodec<z.infer<typeof Demo>>(Demo, 'demo.v1');
    const ev = { ts: 1702900800123456789n, name: 'ESH6', px: null, venue: 'CME', live: true };
    const text = '{"ts":1702900800123456789,"name":"ESH6","px":null,"venue":"CME","live":true}';
    expect(c.encodeToString(ev)).toBe(text);
    expect(new TextDecoder().decode(c.encode(ev))).toBe(text);
    expect(decodeWith(c.desc, text)).toEqual(ev);
    expect(decodeWith(c.desc, '{ "live": true, "venue": "CME", "px": null, "name": "ESH6", "ts": 1702900800123456789 }')).toEqual(ev);
    expect(() => c.encode({ ...ev, live: 1 as unknown as boolean })).toThrow(/live: must be a boolean/);
  });

  it('refuses, when compiling, a field that is not built from a field schema', () => {
    expect(() => compileCodec(z.strictObject({ ts: NanosSchema, n: z.number().min(3) }), 'bad.v1')).toThrow(TypeError);
  });
});
