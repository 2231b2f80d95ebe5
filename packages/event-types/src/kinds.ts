/**
 * The kinds of field values and how the codec handles each: the encoders' check (check.ts), the writers of
 * its text (encode.ts) and bytes (bytes.ts), and the decoder's reader (decode.ts). A field's kind is the field
 * schema it is built from (schemas.ts): the event schemas are the field tables, this is the one table of kinds.
 */
import type { z } from 'zod';
import * as bytes from './bytes.js';
import {
  checkAggr,
  checkBool,
  checkConds,
  checkDate,
  checkFloat,
  checkFloatOrNull,
  checkIntOrNull,
  checkNs,
  checkRight,
  checkSize,
  checkSource,
  checkStr,
  checkStrOrNull,
} from './check.js';
import {
  readAggr,
  readBool,
  readConds,
  readDate,
  readFloat,
  readFloatNull,
  readIntNull,
  readNs,
  readRight,
  readSize,
  readSource,
  readStr,
  readStrNull,
  type Reader,
} from './decode.js';
import { intsText, intText, nsText, quote, rawText } from './encode.js';
import { floatText } from './float.js';
import {
  AggressorSchema,
  BooleanSchema,
  ConditionsSchema,
  DateSchema,
  EMPTY_SIDES,
  EventSourceSchema,
  IntOrNullSchema,
  LevelsSchema,
  MBP10_DEPTH,
  MBP10LevelSchema,
  NanosSchema,
  OptionRightSchema,
  PriceOrNullSchema,
  PriceSchema,
  SizeSchema,
  StringOrNullSchema,
  SymbolSchema,
  type EmptySide,
} from './schemas.js';

export type Check = (v: unknown, f: string, id: string) => unknown;
export type EnumValue = string | number | boolean;

/** A scalar kind: one value, checked, written and read by the functions named. */
export interface ValueKind {
  readonly check: Check;
  readonly read: Reader;
  /** null is allowed (written `null`; the writers see only the other values) */
  readonly nullable: boolean;
  /** an enum: its wire values, each written as a constant merged with the keys around it (no writers) */
  readonly values?: readonly EnumValue[];
  /** the JSON text of a checked non-null value (encode.ts) and the same written as bytes (bytes.ts) */
  readonly text?: (v: never) => string;
  readonly bytes?: (v: never) => void;
  /** the text is written between quotes that the constants around it hold (a date needs no escaping) */
  readonly quoted?: boolean;
  /** most bytes of the value's text written without a room check of its own (bytes.ts's reserve) */
  readonly max: number;
}

/** An array of exactly `length` objects of schema `of` (MBP10's levels); `noun` names them in messages. */
export interface ItemsKind {
  readonly items: { readonly of: z.ZodObject; readonly length: number; readonly noun: string };
}

export type Kind = ValueKind | ItemsKind;

const str = { text: quote, bytes: bytes.str, max: 0 } as const; // str() makes its own room
const float = { text: floatText, bytes: bytes.float, max: 24 } as const; // "-1.2345678901234567e-308"
const NULLABLE = { nullable: true } as const;
const PLAIN = { nullable: false } as const;
/** an enum's check and reader, and its values; the longest value's text is its max */
const enumKind = (check: Check, read: Reader, values: readonly EnumValue[]): ValueKind => ({
  check,
  read,
  values,
  nullable: false,
  max: Math.max(...values.map((v) => JSON.stringify(v).length)),
});

const AGGRESSORS = AggressorSchema.options.map((o) => o.value);

const KINDS = new Map<z.ZodType, Kind>([
  [NanosSchema, { ...PLAIN, check: checkNs, read: readNs, text: nsText, bytes: bytes.ns, max: 20 }],
  [EventSourceSchema, enumKind(checkSource, readSource, EventSourceSchema.options)],
  [SymbolSchema, { ...PLAIN, ...str, check: checkStr, read: readStr }],
  [StringOrNullSchema, { ...NULLABLE, ...str, check: checkStrOrNull, read: readStrNull }],
  [PriceSchema, { ...PLAIN, ...float, check: checkFloat, read: readFloat }],
  [PriceOrNullSchema, { ...NULLABLE, ...float, check: checkFloatOrNull, read: readFloatNull }],
  [SizeSchema, { ...PLAIN, check: checkSize, read: readSize, text: intText, bytes: bytes.uint, max: 16 }],
  [IntOrNullSchema, { ...NULLABLE, check: checkIntOrNull, read: readIntNull, text: intText, bytes: bytes.int, max: 17 }],
  [ConditionsSchema, { ...NULLABLE, check: checkConds, read: readConds, text: intsText, bytes: bytes.ints, max: 0 }],
  [AggressorSchema, enumKind(checkAggr, readAggr, AGGRESSORS)],
  [OptionRightSchema, enumKind(checkRight, readRight, OptionRightSchema.options)],
  [DateSchema, { ...PLAIN, check: checkDate, read: readDate, quoted: true, text: rawText, bytes: bytes.ascii, max: 10 }],
  [BooleanSchema, enumKind(checkBool, readBool, [true, false])],
  [LevelsSchema, { items: { of: MBP10LevelSchema, length: MBP10_DEPTH, noun: 'levels' } }],
]);

/** cross-field rules of object schemas */
const EMPTY_SIDE_RULES = new Map<z.ZodType, readonly EmptySide[]>([[MBP10LevelSchema, EMPTY_SIDES]]);

export interface Field {
  readonly name: string;
  readonly kind: Kind;
}

/** The codec's view of an object schema: its fields in order, with their kinds, and its cross-field rules. */
export interface ObjModel {
  readonly schemaId: string;
  readonly fields: readonly Field[];
  readonly emptySides: readonly EmptySide[];
}

export function modelOf(schema: z.ZodObject, schemaId: string): ObjModel {
  const fields = Object.entries(schema.shape).map(([name, s]): Field => {
    const kind = KINDS.get(s);
    // a schema built from a field schema that has no kind here: a programming error, caught when the module loads
    if (kind === undefined) throw new TypeError(`${schemaId}: field ${name} is not built from a field schema of kinds.ts`);
    return { name, kind };
  });
  return { schemaId, fields, emptySides: EMPTY_SIDE_RULES.get(schema) ?? [] };
}
