/**
 * Compiles each schema's codec from its field table (kinds.ts's modelOf) once, when the module loads: the text
 * encoder, the byte encoder and the decoder's straight-line parser of the canonical layout are generated source
 * (new Function) that calls the kinds' checks, writers and readers field by field, with the constant text
 * between two values (keys, brackets, and an enum's whole text) merged into one write. That is the code one
 * would write by hand per schema, as fast, from the one definition of the fields; a loop over the field table
 * at run time would pay a dispatch per field.
 */
import * as bytes from './bytes.js';
import { checkItem, checkItems, checkObj, emptySideMessage, fail } from './check.js';
import { ch, err, lit, readItems, type ObjDesc, type Reader } from './decode.js';
import type { Field, ItemsKind, Kind, ObjModel, ValueKind } from './kinds.js';
import { modelOf } from './kinds.js';
import type { EmptySide } from './schemas.js';
import type { z } from 'zod';

/** The values a generated function refers to (helpers, tables, constants), each under a name of its own. */
class Scope {
  private readonly names = new Map<unknown, string>();

  ref(v: unknown): string {
    let n = this.names.get(v);
    if (n === undefined) {
      n = `$${this.names.size}`;
      this.names.set(v, n);
    }
    return n;
  }

  compile<F>(name: string, params: string, body: string): F {
    const fn = name.replace(/\W/g, '_');
    const src = `"use strict";\nreturn function ${fn}(${params}) {\n${body}\n};\n//# sourceURL=md-event-types/${fn}.js`;
    // the source is built from the schemas' own field names (JSON-quoted) and this file's code: nothing external
    const make = new Function(...this.names.values(), src) as (...values: unknown[]) => F;
    return make(...this.names.keys());
  }
}

const q = (s: string): string => JSON.stringify(s);
const isItems = (k: Kind): k is ItemsKind => 'items' in k;
const isEnum = (k: Kind): boolean => !isItems(k) && k.values !== undefined;
/** the constant text before field i: `{"key":` for the first, `,"key":` for the others, `}` after the last */
const gapBefore = (fields: readonly Field[], i: number): string => {
  const f = fields[i];
  return f === undefined ? '}' : (i === 0 ? '{' : ',') + q(f.name) + ':';
};

function itemModel(k: ItemsKind, schemaId: string): ObjModel {
  return modelOf(k.items.of, schemaId);
}

/** `levels[3].bid_px`: the name of field j of item i, for errors */
function itemNames(field: string, m: ObjModel, length: number): string[][] {
  return Array.from({ length }, (_, i) => m.fields.map((f) => `${field}[${i}].${f.name}`));
}

function ruleIndexes(m: ObjModel, r: EmptySide): [number, number] {
  const px = m.fields.findIndex((f) => f.name === r.px);
  const sz = m.fields.findIndex((f) => f.name === r.sz);
  if (px < 0 || sz < 0) throw new TypeError(`${m.schemaId}: the empty-side rule names fields the object does not have`);
  return [px, sz];
}

// ---- encoders -------------------------------------------------------------------------------------------

/** How an encoder writes: the text encoder appends to a string, the byte encoder into the slab (bytes.ts). */
interface Backend {
  /** statements that start the body, after the event object's check */
  begin(reserve: number): string;
  readonly end: string;
  /** a statement writing constant text t */
  text(t: string): string;
  /** what stands for constant text t in a table (an enum's merged texts) */
  constant(t: string): unknown;
  /** a statement writing the table constant that expression x gives */
  put(x: string): string;
  /** a statement writing the checked, non-null value x of kind k */
  write(k: ValueKind, x: string): string;
}

function textBackend(sc: Scope): Backend {
  return {
    begin: () => 'let s = "";',
    end: 'return s;',
    text: (t) => `s += ${q(t)};`,
    constant: (t) => t,
    put: (x) => `s += ${x};`,
    write: (k, x) => `s += ${sc.ref(k.text)}(${x});`,
  };
}

function bytesBackend(sc: Scope): Backend {
  const keys = new Map<string, bytes.Key>();
  const constant = (t: string): bytes.Key => {
    let k = keys.get(t);
    if (k === undefined) keys.set(t, (k = bytes.mkKey(t)));
    return k;
  };
  const key = sc.ref(bytes.key);
  return {
    begin: (reserve) => `${sc.ref(bytes.begin)}(${reserve});`,
    end: `return ${sc.ref(bytes.end)}();`,
    text: (t) => (t.length === 1 ? `${sc.ref(bytes.byte)}(${t.charCodeAt(0)});` : `${key}(${sc.ref(constant(t))});`),
    constant,
    put: (x) => `${key}(${x});`,
    write: (k, x) => `${sc.ref(k.bytes)}(${x});`,
  };
}

/** bound on the bytes of an object written without room checks of their own (keys, numbers, enums, nulls) */
function reserveOf(m: ObjModel): number {
  let n = 0;
  m.fields.forEach((f, i) => {
    n += gapBefore(m.fields, i).length;
    const k = f.kind;
    if (isItems(k)) n += 2 + k.items.length * (1 + reserveOf(itemModel(k, m.schemaId)));
    else n += Math.max(k.nullable ? 4 : 0, k.max) + (k.quoted ? 2 : 0);
  });
  return n + 1;
}

/** The code of one encoder: checks and writes, and the constant text not yet written. */
class EncoderGen {
  private n = 0;
  constructor(
    private readonly sc: Scope,
    private readonly b: Backend,
    private readonly id: string,
  ) {}

  private text(t: string): string {
    return t === '' ? '' : this.b.text(t);
  }

  /**
   * Code that checks and writes the fields of object `obj` (of model m); `name(j)` is the code of field j's name
   * (for errors), `carry` the constant text before the first value. Objects with cross-field rules check every
   * field, then the rules, then write (as zod reports the field issues before a refinement's); others check
   * and write field by field. Returns the code and the constant text left after the last value.
   */
  object(m: ObjModel, obj: string, name: (j: number) => string, carry: string): [string, string] {
    const checks: string[] = [];
    const writes: string[] = [];
    const locals: string[] = [];
    const fields = m.fields;
    fields.forEach((f, j) => {
      const k = f.kind;
      const x = `x${this.n++}`;
      locals.push(x);
      const v = `${obj}[${q(f.name)}]`;
      const next = gapBefore(fields, j + 1);
      const after = fields[j + 1];
      // an enum or nullable value takes the text after it into its own writes, unless an enum follows (which
      // takes it as its prefix)
      const absorb = after === undefined || !isEnum(after.kind);
      if (isItems(k)) {
        checks.push(`const ${x} = ${this.sc.ref(checkItems)}(${v}, ${name(j)}, ${k.items.length}, ${q(k.items.noun)}, ${this.id});`);
        writes.push(this.text(carry + '[') + '\n' + this.items(k, x, f.name, m.schemaId));
        carry = ']' + next;
        return;
      }
      const check = this.sc.ref(k.check);
      if (k.values !== undefined) {
        const table = new Map(k.values.map((e) => [e, this.b.constant(carry + JSON.stringify(e) + (absorb ? next : ''))]));
        const t = this.sc.ref(table);
        const raw = `r${x}`;
        // the check only runs for a value not in the table (and throws); a few values are compared in line,
        // more (the sources) looked up (Map keys compare as === does, but -0 is 0: so does the check)
        const invalid = `${t}.get(${check}(${raw}, ${name(j)}, ${this.id}))`;
        const select =
          k.values.length <= 4
            ? [...table].map(([e, c]) => `${raw} === ${JSON.stringify(e)} ? ${this.sc.ref(c)} : `).join('') + invalid
            : `${t}.get(${raw}) ?? ${invalid}`;
        checks.push(`const ${raw} = ${v}; const ${x} = ${select};`);
        writes.push(this.b.put(x));
        carry = absorb ? '' : next;
        return;
      }
      checks.push(`const ${x} = ${check}(${v}, ${name(j)}, ${this.id});`);
      const quote = k.quoted ? '"' : '';
      const value = this.text(carry + quote) + this.b.write(k, x);
      if (k.nullable && absorb) {
        writes.push(`if (${x} === null) { ${this.text(carry + 'null' + next)} } else { ${value} ${this.text(quote + next)} }`);
        carry = '';
      } else if (k.nullable) {
        writes.push(`if (${x} === null) { ${this.text(carry + 'null')} } else { ${value} }`);
        carry = next;
      } else {
        writes.push(value);
        carry = quote + next;
      }
    });
    if (m.emptySides.length === 0) return [checks.map((c, j) => c + '\n' + (writes[j] ?? '')).join('\n'), carry];
    const rules = m.emptySides.map((r) => {
      const [px, sz] = ruleIndexes(m, r);
      const msg = this.sc.ref((got: unknown) => emptySideMessage(r, got));
      return `if (${locals[px]} === null && ${locals[sz]} !== 0) ${this.sc.ref(fail)}(${name(sz)}, ${msg}(${locals[sz]}), ${this.id});`;
    });
    return [[...checks, ...rules, ...writes].join('\n'), carry];
  }

  /** the loop over an array of objects (already checked: `arr`), each written as `{...}` with commas between */
  private items(k: ItemsKind, arr: string, field: string, schemaId: string): string {
    const m = itemModel(k, schemaId);
    const names = this.sc.ref(itemNames(field, m, k.items.length));
    const it = `i${this.n++}`;
    const first = gapBefore(m.fields, 0);
    const [body, rest] = this.object(m, it, (j) => `f[${j}]`, '');
    return `for (let i = 0; i < ${k.items.length}; i++) {
const f = ${names}[i];
const ${it} = ${this.sc.ref(checkItem)}(${arr}[i], ${q(field)}, i, ${this.id});
${this.b.put(`(i === 0 ? ${this.sc.ref(this.b.constant(first))} : ${this.sc.ref(this.b.constant(',' + first))})`)}
${body}
${this.text(rest)}
}`;
  }

  encoder(m: ObjModel, reserve: number): string {
    const [body, rest] = this.object(m, 'e', (j) => q(m.fields[j]?.name ?? ''), gapBefore(m.fields, 0));
    return `const e = ${this.sc.ref(checkObj)}(ev, ${this.id});\n${this.b.begin(reserve)}\n${body}\n${this.text(rest)}\n${this.b.end}`;
  }
}

function encoderOf<F>(m: ObjModel, backend: (sc: Scope) => Backend, name: string): F {
  const sc = new Scope();
  const gen = new EncoderGen(sc, backend(sc), q(m.schemaId));
  const bound = reserveOf(m);
  // the slab's reserve as before this was generated: a power of two, at least 512
  const reserve = Math.max(512, 2 ** Math.ceil(Math.log2(bound)));
  return sc.compile<F>(name, 'ev', gen.encoder(m, reserve));
}

// ---- decoder --------------------------------------------------------------------------------------------

/** The straight-line parser of the canonical layout: each constant matched in place, each value read. */
class FastGen {
  private n = 0;
  constructor(private readonly sc: Scope) {}

  private match(t: string): string {
    if (t === '') return '';
    const test = t.length === 1 ? `${this.sc.ref(ch)}(${t.charCodeAt(0)})` : `${this.sc.ref(lit)}(${q(t)})`;
    return `if (!${test}) return undefined;`;
  }

  /** code reading the fields of one object up to its `}`, its first key already matched unless `carry` holds it;
   * returns the code and the object literal of the values */
  object(m: ObjModel, name: (j: number) => string, carry: string): [string, string] {
    const lines: string[] = [];
    const props: string[] = [];
    const locals: string[] = [];
    m.fields.forEach((f, j) => {
      const k = f.kind;
      const v = `v${this.n++}`;
      locals.push(v);
      props.push(`${q(f.name)}: ${v}`);
      carry += j === 0 ? '' : gapBefore(m.fields, j);
      if (isItems(k)) {
        lines.push(this.match(carry + '['), this.items(k, v, f.name, m.schemaId));
        carry = ']';
        return;
      }
      lines.push(this.match(carry), `const ${v} = ${this.sc.ref(k.read)}(${name(j)});`);
      carry = '';
    });
    lines.push(this.match(carry + '}'));
    for (const r of m.emptySides) {
      const [px, sz] = ruleIndexes(m, r);
      const msg = this.sc.ref((got: unknown) => emptySideMessage(r, got));
      lines.push(`if (${locals[px]} === null && ${locals[sz]} !== 0) ${this.sc.ref(err)}(${name(sz)}, ${msg}(${locals[sz]}));`);
    }
    return [lines.join('\n'), `{ ${props.join(', ')} }`];
  }

  private items(k: ItemsKind, out: string, field: string, schemaId: string): string {
    const m = itemModel(k, schemaId);
    const names = this.sc.ref(itemNames(field, m, k.items.length));
    const first = gapBefore(m.fields, 0);
    const [body, literal] = this.object(m, (j) => `f[${j}]`, '');
    return `const ${out} = new Array(${k.items.length});
for (let i = 0; i < ${k.items.length}; i++) {
const f = ${names}[i];
if (!${this.sc.ref(lit)}(i === 0 ? ${q(first)} : ${q(',' + first)})) return undefined;
${body}
${out}[i] = ${literal};
}`;
  }

  parser(m: ObjModel): string {
    const [body, literal] = this.object(m, (j) => q(m.fields[j]?.name ?? ''), gapBefore(m.fields, 0));
    return `${body}\nreturn ${literal};`;
  }
}

/** The general parser's descriptor of an object (any key order, whitespace), with the fast parser for the top. */
function descOf(m: ObjModel, fast?: () => unknown): ObjDesc {
  const sc = new Scope();
  const keys = m.fields.map((f) => f.name);
  const readers = m.fields.map((f): Reader => {
    const k = f.kind;
    if (!isItems(k)) return k.read;
    const item = descOf(itemModel(k, m.schemaId));
    const { length, noun } = k.items;
    const prefixes = Array.from({ length }, (_, i) => `${f.name}[${i}].`);
    return (field) => readItems(field, item, length, noun, prefixes);
  });
  const rules = m.emptySides.map((r) => [...ruleIndexes(m, r), r] as const);
  const check =
    rules.length === 0
      ? undefined
      : (v: unknown[]): [number, string] | undefined => {
          for (const [px, sz, r] of rules) if (v[px] === null && v[sz] !== 0) return [sz, emptySideMessage(r, v[sz])];
          return undefined;
        };
  const build = sc.compile<(v: unknown[]) => unknown>(
    `build_${m.schemaId}`,
    'v',
    `return { ${keys.map((key, i) => `${q(key)}: v[${i}]`).join(', ')} };`,
  );
  return {
    schemaId: m.schemaId,
    keys,
    readers,
    quotedKeys: keys.map((key) => q(key) + ':'),
    index: new Map(keys.map((key, i) => [key, i])),
    build,
    check,
    fast,
  };
}

/** The codec of one object schema: its text and byte encoders and its decoder's descriptor. */
export interface Compiled<E> {
  encodeToString: (e: E) => string;
  encode: (e: E) => Uint8Array;
  desc: ObjDesc;
}

export function compileCodec<E>(schema: z.ZodObject, schemaId: string): Compiled<E> {
  const m = modelOf(schema, schemaId);
  const sc = new Scope();
  const fast = sc.compile<() => unknown>(`decode_${schemaId}`, '', new FastGen(sc).parser(m));
  return {
    encodeToString: encoderOf(m, textBackend, `encodeToString_${schemaId}`),
    encode: encoderOf(m, bytesBackend, `encode_${schemaId}`),
    desc: descOf(m, fast),
  };
}
