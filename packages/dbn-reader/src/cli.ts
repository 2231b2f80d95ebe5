/**
 * The `dbn` command:
 *
 *   dbn metadata FILE            the metadata as one JSON object
 *   dbn json FILE                one JSON line per record, shaped like Databento's `dbn FILE --json`
 *   dbn events FILE              canonical events, `subject<TAB>body` per line
 *
 * The options (--limit, --pretty, --upgrade, --kind, --fragment, --help) are ONE @md/app-kit option table, in
 * cli-options.ts, with the help text. This file runs the command under app-kit's runMain: errors go to stderr
 * (with the file and byte offset) and exit 1 for bad data or I/O, 2 for bad usage; a closed stdout (EPIPE,
 * `| head`) ends the command quietly with 0; SIGINT / SIGTERM exit at once (130).
 */
import { basename } from 'node:path';
import { createLogger, EXIT_CODES, isConfigError, ConfigError, runMain, type MainContext } from '@md/app-kit';
import { encodeToString, UNDEF_PRICE } from '@md/event-types';
import { DBN_HELP, parseDbnArgs, type DbnArgs } from './cli-options.js';
import { UNDEF_TIMESTAMP } from './constants.js';
import { decodeDbn } from './decode/stream.js';
import { DbnError } from './errors.js';
import { layoutTable, type Field, type Layout } from './layouts.js';
import { mapDbnFile } from './mapping.js';
import type { DbnMetadata } from './metadata.js';
import type { AnyDbnRecord } from './records.js';

// ---------------------------------------------------------------------------------------------
// output with backpressure (a closed stdout is runMain's: EPIPE ends the process with 0)

class Out {
  private buf: string[] = [];
  private len = 0;
  constructor(private readonly stdout: NodeJS.WriteStream) {}
  async line(s: string): Promise<void> {
    this.buf.push(s);
    this.len += s.length + 1;
    if (this.len >= 1 << 16) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.len = 0;
    const stdout = this.stdout;
    if (!stdout.write(text)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stdout.off('drain', done);
          stdout.off('error', done);
          resolve();
        };
        stdout.once('drain', done);
        stdout.once('error', done);
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Databento JSON shape

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** `dbn --pretty` timestamp: ISO 8601 with 9 fractional digits, null for 0 / undefined. */
export function prettyTs(ns: bigint): string | null {
  if (ns === 0n || ns === UNDEF_TIMESTAMP) return null;
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const d = new Date(Number(secs) * 1000);
  const iso = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return `${iso}.${frac.toString().padStart(9, '0')}Z`;
}

/** `dbn --pretty` price: decimal with 9 fractional digits, null for UNDEF_PRICE. */
export function prettyPx(px: bigint): string | null {
  if (px === UNDEF_PRICE) return null;
  const neg = px < 0n;
  const a = neg ? -px : px;
  return `${neg ? '-' : ''}${a / 1_000_000_000n}.${(a % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Fields the official encoder writes first (its `encode_order`), after `ts_recv` and `hd`. */
const ENCODE_FIRST: Record<string, string[]> = {
  TradeMsg: ['action', 'side', 'depth'],
  Mbp1Msg: ['action', 'side', 'depth'],
  Mbp10Msg: ['action', 'side', 'depth'],
  MboMsg: ['action', 'side', 'price', 'size', 'channel_id'],
  BboMsg: ['side'],
  CbboMsg: ['side'],
  Cmbp1Msg: ['action', 'side'],
};

/** The official v3 InstrumentDefMsg JSON order (after ts_recv and hd). */
const DEFINITION_ORDER = (
  'raw_symbol security_update_action instrument_class min_price_increment display_factor expiration activation ' +
  'high_limit_price low_limit_price max_price_variation unit_of_measure_qty min_price_increment_amount price_ratio ' +
  'inst_attrib_value underlying_id raw_instrument_id market_depth_implied market_depth market_segment_id max_trade_vol ' +
  'min_lot_size min_lot_size_block min_lot_size_round_lot min_trade_vol contract_multiplier decay_quantity ' +
  'original_contract_size appl_id maturity_year decay_start_date channel_id currency settl_currency secsubtype group ' +
  'exchange asset cfi security_type unit_of_measure underlying strike_price_currency strike_price match_algorithm ' +
  'main_fraction price_display_format sub_fraction underlying_product maturity_month maturity_day maturity_week ' +
  'user_defined_instrument contract_multiplier_unit flow_schedule_type tick_rule leg_count leg_index leg_instrument_id ' +
  'leg_raw_symbol leg_instrument_class leg_side leg_price leg_delta leg_ratio_price_numerator leg_ratio_price_denominator ' +
  'leg_ratio_qty_numerator leg_ratio_qty_denominator leg_underlying_id'
).split(' ');

/** enum-typed char fields: always written as a one-character string (never null) */
const ENUM_CHARS = new Set(['security_update_action', 'user_defined_instrument']);

/** Fields holding a timestamp (pretty: ISO) rather than a price (pretty: decimal) or a plain integer. */
const TS_FIELDS = new Set(['ts_recv', 'ts_ref', 'expiration', 'activation', 'auction_time', 'start_ts', 'end_ts', 'ts_out']);
const PX_FIELDS = new Set([
  'price',
  'open',
  'high',
  'low',
  'close',
  'min_price_increment',
  'display_factor',
  'high_limit_price',
  'low_limit_price',
  'max_price_variation',
  'unit_of_measure_qty',
  'min_price_increment_amount',
  'price_ratio',
  'strike_price',
  'leg_price',
  'leg_delta',
  'trading_reference_price',
  'ref_price',
  'cont_book_clr_price',
  'auct_interest_clr_price',
  'ssr_filling_price',
  'ind_match_price',
  'upper_collar',
  'lower_collar',
  'bid_px',
  'ask_px',
]);

interface JsonPlan {
  fields: Field[];
}
const plans = new Map<Layout, JsonPlan>();

function planFor(layout: Layout): JsonPlan {
  let p = plans.get(layout);
  if (p !== undefined) return p;
  const byName = new Map(layout.fields.map((f) => [f[0], f]));
  const order: string[] = [];
  const take = (n: string): void => {
    if (byName.has(n) && !order.includes(n)) order.push(n);
  };
  take('ts_recv');
  order.push('hd');
  if (layout.name === 'InstrumentDefMsg') for (const n of DEFINITION_ORDER) take(n);
  for (const n of ENCODE_FIRST[layout.name] ?? []) take(n);
  for (const f of layout.fields) take(f[0]);
  const fields = order.map((n) => (n === 'hd' ? (['hd', 'u8', 0] as Field) : byName.get(n)!));
  p = { fields };
  plans.set(layout, p);
  return p;
}

function str(v: string): string {
  return JSON.stringify(v);
}

function int64(name: string, v: bigint, pretty: boolean): string {
  if (pretty) {
    if (TS_FIELDS.has(name)) {
      const t = prettyTs(v);
      return t === null ? 'null' : str(t);
    }
    if (PX_FIELDS.has(name)) {
      const p = prettyPx(v);
      return p === null ? 'null' : str(p);
    }
  }
  return `"${v}"`;
}

function levelsJson(levels: Array<Record<string, bigint | number>>, consolidated: boolean, pretty: boolean): string {
  const parts: string[] = [];
  for (const l of levels) {
    parts.push(
      `{"bid_px":${int64('bid_px', l.bid_px as bigint, pretty)},"ask_px":${int64('ask_px', l.ask_px as bigint, pretty)},` +
        `"bid_sz":${l.bid_sz},"ask_sz":${l.ask_sz},` +
        (consolidated ? `"bid_pb":${l.bid_pb},"ask_pb":${l.ask_pb}}` : `"bid_ct":${l.bid_ct},"ask_ct":${l.ask_ct}}`),
    );
  }
  return `[${parts.join(',')}]`;
}

/**
 * One record as Databento's JSON encoder writes it (`dbn FILE --json`): `ts_recv` first when the
 * record has one, then `hd` ({ts_event, rtype, publisher_id, instrument_id}), then the fields in
 * the official order; 64-bit integers as strings, prices as the raw fixed-point integer (or
 * decimals with `pretty`), one-byte chars as strings (NUL as null), `ts_out` last when present.
 */
export function recordToDbnJson(rec: AnyDbnRecord, version: number, pretty = false): string {
  const layout = layoutTable(version)[rec.hd.rtype];
  if (layout === undefined) throw new Error(`no DBN v${version} layout for rtype ${rec.hd.rtype}`);
  const r = rec as unknown as Record<string, unknown>;
  const parts: string[] = [];
  for (const [name, type] of planFor(layout).fields) {
    let v: string;
    if (name === 'hd') {
      const h = rec.hd;
      const ts = pretty ? (prettyTs(h.ts_event) === null ? 'null' : str(prettyTs(h.ts_event)!)) : `"${h.ts_event}"`;
      v = `{"ts_event":${ts},"rtype":${h.rtype},"publisher_id":${h.publisher_id},"instrument_id":${h.instrument_id}}`;
    } else {
      const x = r[name];
      if (type === 'u64' || type === 'i64') v = int64(name, x as bigint, pretty);
      else if (type === 'c') v = x === '\0' && !ENUM_CHARS.has(name) ? 'null' : str(x as string);
      else if (type === 'ba1' || type === 'ba10' || type === 'cba1')
        v = levelsJson(x as Array<Record<string, bigint | number>>, type === 'cba1', pretty);
      else if (type.startsWith('s')) v = str(x as string);
      else v = String(x);
    }
    parts.push(`"${name}":${v}`);
  }
  if (rec.ts_out !== undefined) parts.push(`"ts_out":${int64('ts_out', rec.ts_out, pretty)}`);
  return `{${parts.join(',')}}`;
}

function dateInt(d: string): number {
  return Number(d.replaceAll('-', ''));
}

/** The metadata as Databento's JSON encoder writes it (`dbn FILE --json --metadata`). */
export function metadataToDbnJson(m: DbnMetadata, pretty = false): string {
  const ts = (v: bigint): string => (pretty ? (prettyTs(v) === null ? 'null' : str(prettyTs(v)!)) : `"${v}"`);
  const list = (xs: string[]): string => `[${xs.map(str).join(',')}]`;
  const mappings = m.mappings.map(
    (mp) =>
      `{"raw_symbol":${str(mp.rawSymbol)},"intervals":[${mp.intervals
        .map(
          (iv) =>
            `{"start_date":${pretty ? str(iv.startDate) : dateInt(iv.startDate)},"end_date":${pretty ? str(iv.endDate) : dateInt(iv.endDate)},"symbol":${str(iv.symbol)}}`,
        )
        .join(',')}]}`,
  );
  return (
    `{"version":${m.version},"dataset":${str(m.dataset)},"schema":${m.schema === null ? 'null' : str(m.schema)},` +
    `"start":${ts(m.start)},"end":${m.end === null ? 'null' : ts(m.end)},"limit":${m.limit === 0n ? 'null' : `"${m.limit}"`},` +
    `"stype_in":${m.stypeIn === null ? 'null' : str(m.stypeIn)},"stype_out":${m.stypeOut === null ? 'null' : str(m.stypeOut)},` +
    `"ts_out":${m.tsOut},"symbol_cstr_len":${m.symbolCstrLen},"symbols":${list(m.symbols)},"partial":${list(m.partial)},` +
    `"not_found":${list(m.notFound)},"mappings":[${mappings.join(',')}]}`
  );
}

// ---------------------------------------------------------------------------------------------

/** Releases a stream's file after reading only its metadata (errors past the metadata are not ours to report here). */
async function closeQuietly(s: { close(): Promise<void> }): Promise<void> {
  try {
    await s.close();
  } catch {
    // the records are not read: a fault among them does not concern metadata
  }
}

async function run(args: DbnArgs, out: Out, ctx: MainContext): Promise<void> {
  const { file } = args;
  const limit = args.limit ?? Infinity;
  const stdin = file === '-';
  const input = stdin ? process.stdin : file;
  const fileName = stdin ? '<stdin>' : file;
  if (args.command === 'metadata') {
    const s = decodeDbn(input, { upgradePolicy: args.upgrade ? 'upgrade' : 'as-is', version: args.fragment, fileName });
    const m = await s.metadata();
    await closeQuietly(s);
    if (m === null) throw new ConfigError(`${fileName}: a fragment has no metadata`);
    await out.line(metadataToDbnJson(m, args.pretty));
    return;
  }
  if (args.command === 'json') {
    if (limit === 0) return;
    const s = decodeDbn(input, { upgradePolicy: args.upgrade ? 'upgrade' : 'as-is', version: args.fragment, fileName });
    const m = await s.metadata();
    const version = args.upgrade ? 3 : (m?.sourceVersion ?? args.fragment ?? 3);
    let n = 0;
    for await (const batch of s.batches()) {
      for (const rec of batch) {
        await out.line(recordToDbnJson(rec, version, args.pretty));
        if (++n >= limit) return;
      }
    }
    return;
  }
  // events
  let kind = args.kind;
  if (kind === undefined && stdin) throw new ConfigError('events from standard input need --kind trades|mbp10|options');
  if (kind === undefined) {
    const probe = decodeDbn(file);
    const m = await probe.metadata();
    await closeQuietly(probe);
    if (m?.schema === 'mbp-10') kind = 'mbp10';
    else if (m?.schema === 'trades' || m?.schema === 'tbbo') kind = m.dataset.startsWith('OPRA') ? 'options' : 'trades';
    else
      throw new ConfigError(
        `${file}: schema ${m?.schema ?? 'none'} has no canonical events; pass --kind trades|mbp10|options to force one`,
      );
  }
  if (limit === 0) return;
  const ev = mapDbnFile(input, {
    kind,
    fileBaseName: stdin ? 'stdin' : basename(file),
    onWarning: (w) =>
      ctx.stderr.write(`dbn: warning: ${w.file}${w.recordIndex !== undefined ? ` record #${w.recordIndex}` : ''}: ${w.message}\n`),
  });
  let n = 0;
  for await (const batch of ev.batches()) {
    for (const p of batch) {
      await out.line(`${p.subject}\t${encodeToString(p.event, p.subject)}`);
      if (++n >= limit) return;
    }
  }
}

/** The command: 0 done, 1 bad data or I/O (`dbn: <ErrorClass>: <message>`), 2 usage (a ConfigError). */
export async function main(ctx: MainContext): Promise<number> {
  let args: DbnArgs | 'help';
  try {
    args = parseDbnArgs(ctx.argv, ctx.env);
  } catch (e) {
    if (!isConfigError(e)) throw e;
    ctx.stderr.write(`dbn: ${e.message}\n\n${DBN_HELP}`);
    return EXIT_CODES.config;
  }
  if (args === 'help') {
    ctx.stdout.write(DBN_HELP);
    return EXIT_CODES.ok;
  }
  const out = new Out(process.stdout);
  try {
    await run(args, out, ctx);
    await out.flush();
    return EXIT_CODES.ok;
  } catch (e) {
    await out.flush().catch(() => undefined);
    // a usage error found while running (no metadata to map with, ...): runMain writes `dbn: <message>`, exit 2
    if (isConfigError(e)) throw e;
    // DbnError messages name the file and byte offset already
    const msg =
      e instanceof DbnError
        ? `${e.name}: ${e.message}`
        : `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)} [${args.file}]`;
    ctx.stderr.write(`dbn: ${msg}\n`);
    return EXIT_CODES.fatal;
  }
}

// No stop handler: a signal exits at once (130) and a closed stdout (EPIPE) at once with 0, as before the kit.
// The logger only for errors: runMain's "stdout closed (EPIPE)" / "SIGINT: exiting" notices stay out of stderr.
void runMain('dbn', main, { logger: createLogger({ name: 'dbn', level: 'error' }) });
