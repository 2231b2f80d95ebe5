/**
 * The subject registry: ONE table, subject <-> schema id <-> schema <-> codec, used by publishers and consumers.
 * The subject, schema id and event-name unions, SUBJECTS / SCHEMA_IDS and the event type of each subject are
 * all derived from TABLE; each entry's codec is compiled from its schema's fields (codegen.ts).
 */
import type { z } from 'zod';
import { compileCodec } from './codegen.js';
import { decodeWith } from './decode.js';
import { EncodeError, UnknownSubjectError } from './errors.js';
import { FuturesTradeSchema, GreeksSnapshotSchema, MBP10Schema, OptionTradeSchema, StockQuoteSchema, StockTradeSchema } from './schemas.js';

/** Per event type, under its key in SUBJECTS / SCHEMA_IDS: its name, subject, schema id and schema. */
const TABLE = {
  stockTrades: { name: 'StockTrade', subject: 'market.stocks.trades', schemaId: 'stocks.trades.v1', schema: StockTradeSchema },
  stockQuotes: { name: 'StockQuote', subject: 'market.stocks.quotes', schemaId: 'stocks.quotes.v1', schema: StockQuoteSchema },
  optionTrades: { name: 'OptionTrade', subject: 'market.options.trades', schemaId: 'options.trades.v1', schema: OptionTradeSchema },
  futuresTrades: { name: 'FuturesTrade', subject: 'market.futures.trades', schemaId: 'futures.trades.v1', schema: FuturesTradeSchema },
  futuresMbp10: { name: 'MBP10', subject: 'market.futures.mbp10', schemaId: 'futures.mbp10.v1', schema: MBP10Schema },
  /** an extension of the contract's table (see schemas.ts) */
  optionGreeks: { name: 'GreeksSnapshot', subject: 'market.options.greeks', schemaId: 'options.greeks.v1', schema: GreeksSnapshotSchema },
} as const;
const EXTENSIONS: ReadonlySet<Key> = new Set<Key>(['optionGreeks']);

type Table = typeof TABLE;
type Key = keyof Table;
type EventOf<K extends Key> = z.infer<Table[K]['schema']>;
const KEYS = Object.keys(TABLE) as Key[];

export type SchemaId = Table[Key]['schemaId'];
export type Subject = Table[Key]['subject'];
export type EventName = Table[Key]['name'];
/** Any event of the registry. */
export type MarketEvent = EventOf<Key>;

function column<C extends 'subject' | 'schemaId'>(c: C): { readonly [K in Key]: Table[K][C] } {
  return Object.freeze(Object.fromEntries(KEYS.map((k) => [k, TABLE[k][c]]))) as { readonly [K in Key]: Table[K][C] };
}
export const SUBJECTS = column('subject');
export const SCHEMA_IDS = column('schemaId');

/** Header carrying the schema id of a message body. */
export const SCHEMA_HEADER = 'md-schema';
export const MSG_ID_HEADER = 'Nats-Msg-Id';
export const STREAM_NAME = 'MARKET_DATA';
export const STREAM_SUBJECTS: readonly string[] = Object.freeze(['market.>']);
/** Replay progress/status messages: outside `market.>` on purpose (never stored in the market-data stream). */
export const REPLAY_STATUS_SUBJECT = 'md.replay.status';
/** Live gap announcements (docs/gap-free-live.md): outside `market.>` on purpose, like the replay status. */
export const LIVE_GAPS_SUBJECT = 'md.live.gaps';

export interface RegistryEntry<E extends MarketEvent = MarketEvent> {
  readonly subject: Subject;
  readonly schemaId: SchemaId;
  readonly name: EventName;
  readonly schema: z.ZodType<E>;
  /** `true` for entries that are extensions of the contract's table (GreeksSnapshot) */
  readonly extension: boolean;
  /** the contract's bytes (UTF-8) of a valid event; throws EncodeError naming the field otherwise */
  encode(event: E): Uint8Array;
  /** the contract's JSON text of a valid event */
  encodeToString(event: E): string;
  /** validate and decode a body (exact bigint nanoseconds); throws DecodeError naming the field */
  decode(bytes: Uint8Array | string): E;
}

function entry<K extends Key>(key: K): RegistryEntry<EventOf<K>> {
  const t: Table[Key] = TABLE[key];
  const codec = compileCodec<EventOf<K>>(t.schema, t.schemaId);
  const desc = codec.desc;
  return Object.freeze({
    subject: t.subject,
    schemaId: t.schemaId,
    name: t.name,
    // t.schema is TABLE[key].schema, whose output is EventOf<K> by definition (TypeScript does not follow K here)
    schema: t.schema as unknown as z.ZodType<EventOf<K>>,
    extension: EXTENSIONS.has(key),
    encode: codec.encode,
    encodeToString: codec.encodeToString,
    decode: (b: Uint8Array | string) => decodeWith<EventOf<K>>(desc, b),
  });
}

/** the entries by key; typed as RegistryEntry (of any event) for the lookups */
const ENTRIES = Object.fromEntries(KEYS.map((k) => [k, entry(k)])) as unknown as Readonly<Record<Key, RegistryEntry>>;

export const REGISTRY: readonly RegistryEntry[] = Object.freeze(KEYS.map((k) => ENTRIES[k]));

const BY_KEY = new Map<string, RegistryEntry>();
for (const e of REGISTRY) {
  BY_KEY.set(e.subject, e);
  BY_KEY.set(e.schemaId, e);
}
const KNOWN = REGISTRY.flatMap((e) => [e.subject, e.schemaId]);

/** The event type of each subject and schema id. */
export type EventTypes = { [K in Key as Table[K]['subject'] | Table[K]['schemaId']]: EventOf<K> };
/** The event type of a subject or schema id (MarketEvent for a plain string). */
export type EventFor<K extends string> = K extends keyof EventTypes ? EventTypes[K] : MarketEvent;

/** The registry entry of a subject or schema id; throws UnknownSubjectError. Typed for a literal subject / schema id. */
export function lookup<K extends Subject | SchemaId>(subjectOrSchemaId: K): RegistryEntry<EventFor<K>>;
export function lookup(subjectOrSchemaId: string): RegistryEntry;
export function lookup(subjectOrSchemaId: string): RegistryEntry {
  const e = BY_KEY.get(subjectOrSchemaId);
  if (e === undefined) throw new UnknownSubjectError(subjectOrSchemaId, KNOWN);
  return e;
}

/** Like lookup, but returns undefined for an unknown subject or schema id. */
export function tryLookup(subjectOrSchemaId: string): RegistryEntry | undefined {
  return BY_KEY.get(subjectOrSchemaId);
}

/** The entry whose event has this shape (by its distinguishing keys); throws EncodeError if none fits. */
export function entryForEvent(event: MarketEvent): RegistryEntry {
  if (event === null || typeof event !== 'object')
    throw new EncodeError('', `event must be an object, got ${event === null ? 'null' : typeof event}`);
  if ('levels' in event) return ENTRIES.futuresMbp10;
  if ('option_symbol' in event) return 'iv' in event || 'delta' in event ? ENTRIES.optionGreeks : ENTRIES.optionTrades;
  if ('bid_px' in event) return ENTRIES.stockQuotes;
  if ('aggressor' in event) return ENTRIES.futuresTrades;
  if ('price' in event) return ENTRIES.stockTrades;
  throw new EncodeError('', 'cannot tell the schema of this event from its keys: pass a subject or schema id');
}

function pick(event: MarketEvent, subjectOrSchemaId: string | undefined): RegistryEntry {
  return subjectOrSchemaId === undefined ? entryForEvent(event) : lookup(subjectOrSchemaId);
}

/** The contract's bytes of an event. The schema is the given subject's / schema id's, or inferred from the event's keys. */
export function encode(event: MarketEvent, subjectOrSchemaId?: string): Uint8Array {
  return pick(event, subjectOrSchemaId).encode(event);
}

/** The contract's JSON text of an event (see encode). */
export function encodeToString(event: MarketEvent, subjectOrSchemaId?: string): string {
  return pick(event, subjectOrSchemaId).encodeToString(event);
}

/** Validate and decode a body of the given subject or schema id (exact bigint nanoseconds). */
export function decode<K extends Subject | SchemaId>(subjectOrSchemaId: K, bytes: Uint8Array | string): EventFor<K>;
export function decode(subjectOrSchemaId: string, bytes: Uint8Array | string): MarketEvent;
export function decode(subjectOrSchemaId: string, bytes: Uint8Array | string): MarketEvent {
  return lookup(subjectOrSchemaId).decode(bytes);
}

/** What flows from a source (DBN mapping, Polygon normalizer) through stream-merge into nats-bus. */
export interface Publishable<E extends MarketEvent = MarketEvent> {
  subject: Subject;
  event: E;
  msgId: string;
}
