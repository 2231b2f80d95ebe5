/** The JSON Schema files generated from the zod schemas accept the golden bodies and reject bad ones:
 * checked with a tiny validator here, and with Python's jsonschema package when it is installed. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INT64_MAX, INT64_MIN, jsonSchemaFor, jsonSchemaText, REGISTRY } from '../src/index.js';
import { havePython, python, SAMPLES } from './fixtures.js';

/** lossless JSON parse: integer lexemes become bigint, other numbers number */
function parseExact(text: string): unknown {
  let p = 0;
  const ws = () => {
    while (/\s/.test(text[p] ?? '')) p++;
  };
  const value = (): unknown => {
    ws();
    const c = text[p];
    if (c === '{') {
      p++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[p] === '}') return (p++, o);
      for (;;) {
        ws();
        const k = value() as string;
        ws();
        if (text[p++] !== ':') throw new Error(`: expected at ${p}`);
        o[k] = value();
        ws();
        if (text[p] === ',') p++;
        else if (text[p++] === '}') return o;
        else throw new Error(`bad object at ${p}`);
      }
    }
    if (c === '[') {
      p++;
      const a: unknown[] = [];
      ws();
      if (text[p] === ']') return (p++, a);
      for (;;) {
        a.push(value());
        ws();
        if (text[p] === ',') p++;
        else if (text[p++] === ']') return a;
        else throw new Error(`bad array at ${p}`);
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(p))!;
      p += m[0].length;
      return JSON.parse(m[0]);
    }
    const m = /^(?:true|false|null|-?\d+(\.\d+)?([eE][-+]?\d+)?)/.exec(text.slice(p));
    if (!m) throw new Error(`bad token at ${p}`);
    p += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    if (m[0] === 'null') return null;
    return m[1] === undefined && m[2] === undefined ? BigInt(m[0]) : Number(m[0]);
  };
  const v = value();
  ws();
  if (p !== text.length) throw new Error('trailing text');
  return v;
}

type Schema = Record<string, unknown>;
const typeOf = (v: unknown): string[] => {
  if (v === null) return ['null'];
  if (typeof v === 'bigint') return ['integer', 'number'];
  if (typeof v === 'number') return Number.isInteger(v) ? ['integer', 'number'] : ['number'];
  if (Array.isArray(v)) return ['array'];
  return [typeof v];
};
const cmp = (a: unknown, b: unknown) =>
  typeof a === 'bigint' || typeof b === 'bigint' ? BigInt(a as number) - BigInt(b as number) : (a as number) - (b as number);
const eq = (a: unknown, b: unknown) =>
  typeof a === 'bigint' || typeof b === 'bigint'
    ? typeof a !== 'string' && typeof b !== 'string' && (a as bigint) === (b as bigint)
    : a === b;

/** A tiny JSON Schema validator: the keywords the generated schemas use. Returns the error paths. */
function validate(s: Schema, v: unknown, path = '$'): string[] {
  const errs: string[] = [];
  if (s.type !== undefined) {
    const want = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!want.some((t) => typeOf(v).includes(t))) return [`${path}: type ${typeOf(v)[0]} not in ${want}`];
  }
  if (s.const !== undefined && !eq(v, s.const)) errs.push(`${path}: const`);
  if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => eq(v, e))) errs.push(`${path}: enum`);
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (s.minimum !== undefined && cmp(v, s.minimum) < 0) errs.push(`${path}: minimum`);
    if (s.maximum !== undefined && cmp(v, s.maximum) > 0) errs.push(`${path}: maximum`);
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < (s.minLength as number)) errs.push(`${path}: minLength`);
    if (s.pattern !== undefined && !new RegExp(s.pattern as string, 'u').test(v)) errs.push(`${path}: pattern`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < (s.minItems as number)) errs.push(`${path}: minItems`);
    if (s.maxItems !== undefined && v.length > (s.maxItems as number)) errs.push(`${path}: maxItems`);
    if (s.items) v.forEach((x, i) => errs.push(...validate(s.items as Schema, x, `${path}[${i}]`)));
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const r of (s.required ?? []) as string[]) if (!(r in o)) errs.push(`${path}.${r}: required`);
    for (const [k, x] of Object.entries(o)) {
      if (props[k]) errs.push(...validate(props[k], x, `${path}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${path}.${k}: additional property`);
    }
  }
  if (s.anyOf && !(s.anyOf as Schema[]).some((x) => validate(x, v, path).length === 0)) errs.push(`${path}: anyOf`);
  if (s.oneOf && (s.oneOf as Schema[]).filter((x) => validate(x, v, path).length === 0).length !== 1) errs.push(`${path}: oneOf`);
  for (const x of (s.allOf ?? []) as Schema[]) errs.push(...validate(x, v, path));
  if (s.if && validate(s.if as Schema, v, path).length === 0 && s.then) errs.push(...validate(s.then as Schema, v, path));
  return errs;
}

const BAD: [string, (j: string) => string][] = [
  ['ts above int64', (j) => j.replace(/"ts_recv_ns":\d+/, '"ts_recv_ns":9223372036854775808')],
  ['ts as float', (j) => j.replace(/"ts_event_ns":\d+/, '"ts_event_ns":1.5')],
  ['unknown source', (j) => j.replace(/"source":"[a-z_]+"/, '"source":"bloomberg"')],
  ['extra key', (j) => j.replace('"ts_event_ns"', '"extra":1,"ts_event_ns"')],
  ['missing seq', (j) => j.replace(/,"seq":(\d+|null)/, '')],
];

describe('generated JSON Schema', () => {
  it('one schema per schema id, int64 bounds exact in the text', () => {
    for (const e of REGISTRY) {
      const text = jsonSchemaText(e.schemaId);
      expect(text).toContain('"minimum": -9223372036854775808');
      expect(text).toContain('"maximum": 9223372036854775807');
      const s = parseExact(text) as Schema;
      expect(s.$id).toMatch(new RegExp(`${e.schemaId.replace(/\./g, '\\.')}\\.json$`));
      expect(s.additionalProperties).toBe(false);
      expect(Object.keys(s.properties as object)).toEqual(Object.keys(SAMPLES.find((x) => x.schemaId === e.schemaId)!.event));
      const o = jsonSchemaFor(e.subject) as { properties: { ts_event_ns: { minimum: bigint; maximum: bigint } } };
      expect(o.properties.ts_event_ns.minimum).toBe(INT64_MIN);
      expect(o.properties.ts_event_ns.maximum).toBe(INT64_MAX);
    }
  });

  it('the built files (when dist/ exists) are what jsonSchemaText generates', () => {
    const dir = join(import.meta.dirname, '..', 'dist', 'schemas');
    if (!existsSync(dir)) {
      console.warn(`${dir} missing (package not built): only the in-memory schemas are checked`);
      return;
    }
    for (const e of REGISTRY) expect(readFileSync(join(dir, `${e.schemaId}.json`), 'utf8')).toBe(jsonSchemaText(e.schemaId));
  });

  it('accepts every golden body and rejects broken ones (tiny validator)', () => {
    for (const s of SAMPLES) {
      const schema = parseExact(jsonSchemaText(s.schemaId)) as Schema;
      expect(validate(schema, parseExact(s.json))).toEqual([]);
      for (const [name, f] of BAD) {
        const bad = f(s.json);
        expect(bad, name).not.toBe(s.json);
        expect(validate(schema, parseExact(bad)).length, `${s.schemaId} ${name}`).toBeGreaterThan(0);
      }
    }
    const mb = parseExact(jsonSchemaText('futures.mbp10.v1')) as Schema;
    const emptySideWithSize = SAMPLES[4].json.replace('"bid_px":null,"bid_sz":0', '"bid_px":null,"bid_sz":5');
    expect(validate(mb, parseExact(emptySideWithSize))).toEqual(['$.levels[9].bid_sz: const']);
    const nine = SAMPLES[4].json.replace('{"bid_px":3720.0,"bid_sz":10,"ask_px":3720.25,"ask_sz":20},', '');
    expect(validate(mb, parseExact(nine))).toContain('$.levels: minItems');
  });
});

const haveJsonschema =
  havePython &&
  (() => {
    try {
      python('import jsonschema', '');
      return true;
    } catch {
      return false;
    }
  })();
if (!haveJsonschema) console.warn("python3's jsonschema package is not installed: skipping the Python JSON Schema validation");

describe.skipIf(!haveJsonschema)("Python's jsonschema validates with the generated files", () => {
  it('golden bodies valid, broken bodies invalid', () => {
    const jobs: { schema: string; body: string; valid: boolean }[] = [];
    for (const s of SAMPLES) {
      const schema = jsonSchemaText(s.schemaId);
      jobs.push({ schema, body: s.json, valid: true });
      for (const [, f] of BAD) jobs.push({ schema, body: f(s.json), valid: false });
    }
    jobs.push({
      schema: jsonSchemaText('futures.mbp10.v1'),
      body: SAMPLES[4].json.replace('"ask_px":3722.5,"ask_sz":29', '"ask_px":null,"ask_sz":29'),
      valid: false,
    });
    const out = python(
      `import sys, json, jsonschema
for line in sys.stdin:
    job = json.loads(line)
    v = jsonschema.Draft202012Validator(json.loads(job["schema"]))
    print("1" if v.is_valid(json.loads(job["body"])) else "0")`,
      jobs.map((j) => JSON.stringify(j)).join('\n') + '\n',
    )
      .trim()
      .split('\n');
    expect(out).toEqual(jobs.map((j) => (j.valid ? '1' : '0')));
  });
});
