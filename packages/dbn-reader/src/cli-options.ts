/**
 * The `dbn` command's arguments: ONE option table (@md/app-kit), shared by both forms of the command, from which
 * the parsing, `--help` and the README's options table (test/cli-readme.test.ts) come. No side effects:
 * src/cli.ts runs the command.
 *
 * Two forms:
 * - Databento's (its `dbn` CLI, crate dbn-cli): `dbn FILE... -J|-C|-T [options]`;
 * - this project's commands: `dbn metadata|json|events FILE [options]` (a first argument naming a command).
 */
import { ConfigError, defineOptions, helpText, opt, parseOptions, type Env, type InferOptions } from '@md/app-kit';
import { SCHEMA_NAMES } from './constants.js';

export const DBN_COMMANDS = ['metadata', 'json', 'events'] as const;
export type DbnCommand = (typeof DBN_COMMANDS)[number];
export type TextEncoding = 'json' | 'csv' | 'tsv';

/** `--fragment V` / `--input-dbn-version N`: a DBN version */
function dbnVersion(text: string, name: string): 1 | 2 | 3 {
  if (text === '1' || text === '2' || text === '3') return Number(text) as 1 | 2 | 3;
  throw new ConfigError(`${name} must be a DBN version 1, 2 or 3, got ${JSON.stringify(text)}`, { option: name, value: text });
}

/** Every option of both forms, once (an option a form does not use is refused or ignored, see parseDbnArgs). */
export const DBN_OPTIONS = defineOptions({
  json: opt.boolean({ short: 'J', help: 'output NDJSON: one object per record (or the metadata, with -m)' }),
  csv: opt.boolean({ short: 'C', help: "output CSV: a header line, then one line per record (Databento's columns)" }),
  tsv: opt.boolean({ short: 'T', help: 'output tab-separated values (CSV with tabs)' }),
  metadata: opt.boolean({ short: 'm', help: 'output the metadata (merged, for several files) instead of the records; JSON only' }),
  output: opt.string({
    short: 'o',
    placeholder: 'FILE',
    defaultText: 'standard output',
    help: 'write to FILE, which must not exist (see --force); without -J/-C/-T the encoding comes from its name: .json, .csv, .tsv or .xls, each optionally + .zst',
  }),
  force: opt.boolean({ short: 'f', help: 'allow overwriting an existing --output file' }),
  zstd: opt.boolean({ short: 'z', help: 'zstd-compress the output' }),
  limit: opt.number({
    short: 'l',
    int: true,
    min: 0,
    placeholder: 'N',
    defaultText: 'no limit',
    help: 'stop after N records (json, FILE...: N >= 1) or N events (events)',
  }),
  pretty: opt.boolean({
    short: 'p',
    help: "ISO 8601 timestamps and decimal prices; FILE... -J also indents the JSON (like Databento's `dbn --pretty`)",
  }),
  mapSymbols: opt.boolean({
    short: 's',
    help: "add a `symbol` field/column: the instrument's symbol from the metadata's mappings on the record's day",
  }),
  upgrade: opt.boolean({ short: 'u', help: 'present v1/v2 data in the current (v3) layout (default: as in the file)' }),
  schema: opt.enum({ choices: SCHEMA_NAMES, placeholder: 'SCHEMA', help: 'FILE...: only records of this schema' }),
  omitHeader: opt.boolean({ help: 'FILE... -C/-T: no header line' }),
  inputFragment: opt.boolean({ help: 'FILE...: the inputs are DBN fragments (records without metadata), plain or zstd' }),
  inputZstdFragment: opt.boolean({ help: 'FILE...: the same as --input-fragment (zstd is detected either way)' }),
  inputDbnVersion: opt.custom({
    parse: dbnVersion,
    placeholder: 'N',
    defaultText: '3',
    help: 'FILE... with --input-fragment: the DBN version (1, 2 or 3) of the fragments',
  }),
  kind: opt.enum({
    choices: ['trades', 'mbp10', 'options'],
    defaultText: 'from the metadata: mbp-10 -> mbp10, trades or tbbo of OPRA.* -> options, other trades -> trades',
    help: "events: the kind of events to map the records to (must fit the file's schema)",
  }),
  fragment: opt.custom({
    parse: dbnVersion,
    placeholder: 'V',
    help: 'metadata/json: the input is a fragment (no metadata) of DBN version V (1, 2 or 3)',
  }),
});

export const DBN_HELP = helpText(DBN_OPTIONS, {
  usage: 'dbn FILE... [-J|-C|-T] [options]\n       dbn <command> FILE [options]',
  intro: `Databento's form (its \`dbn\` CLI): decode one or more DBN files to JSON, CSV or TSV; several files are
merged in index-timestamp order (ts_recv, else ts_event). Not supported: DBN output (-D/--dbn, -F/--fragment),
--split-by, --output-pattern.

Commands:
  metadata FILE   print the file's metadata as JSON
  json FILE       print one JSON line per record (the shape of Databento's \`dbn FILE --json\`:
                  \`hd\` nested, 64-bit integers as strings, prices as raw fixed-point integers)
  events FILE     print the canonical events, one \`subject<TAB>json\` line each`,
  helpRow: 'show this help',
  outro: `FILE may be plain or zstd-compressed DBN (detected from its first bytes); '-' reads standard input.
Exit status: 0 ok (also when the reader of the output goes away, e.g. \`| head\`), 1 bad data or I/O error
(the message names the file and byte offset), 2 usage (also an existing --output file without --force, a
--kind that does not fit the file's schema).`,
});

type Values = InferOptions<typeof DBN_OPTIONS>;

/** `dbn metadata|json|events FILE` */
export type DbnCommandArgs = Values & { command: DbnCommand; file: string };
/** `dbn FILE... -J|-C|-T` */
export type DbnTranscodeArgs = Values & {
  command: 'transcode';
  files: string[];
  encoding: TextEncoding;
  /** zstd output (-z, or a .zst output name) */
  compress: boolean;
  /** the inputs are fragments */
  isFragment: boolean;
};
export type DbnArgs = DbnCommandArgs | DbnTranscodeArgs;

const isCommand = (s: string): s is DbnCommand => (DBN_COMMANDS as readonly string[]).includes(s);

/** `-Jp`, `-l2`, `-Co out.csv`: clap's bundled short flags, split into the one-flag form the table parses. */
export function expandShortBundles(argv: readonly string[]): string[] {
  const shorts = new Map<string, boolean>(); // letter -> takes a value
  for (const o of Object.values(DBN_OPTIONS)) if (o.spec.short) shorts.set(o.spec.short, o.kind !== 'boolean');
  const out: string[] = [];
  let ended = false;
  for (const a of argv) {
    if (ended || a === '--' || !/^-[A-Za-z][^-]/.test(a) || !shorts.has(a[1]!)) {
      if (a === '--') ended = true;
      out.push(a);
      continue;
    }
    const parts: string[] = [];
    let ok = true;
    for (let i = 1; i < a.length; i++) {
      const takesValue = shorts.get(a[i]!);
      if (takesValue === undefined) {
        ok = false;
        break;
      }
      parts.push(`-${a[i]}`);
      if (takesValue) {
        if (i + 1 < a.length) parts.push(a.slice(i + 1));
        break;
      }
    }
    out.push(...(ok ? parts : [a]));
  }
  return out;
}

const OUTPUT_NAMES: ReadonlyArray<[RegExp, TextEncoding | 'dbn']> = [
  [/\.json(\.zst)?$/, 'json'],
  [/\.csv(\.zst)?$/, 'csv'],
  [/\.(tsv|xls)(\.zst)?$/, 'tsv'],
  [/\.dbn(\.zst)?$/, 'dbn'],
];

function transcodeArgs(v: Values, files: string[]): DbnTranscodeArgs {
  const conflict = (a: string, b: string): never => {
    throw new ConfigError(`'${a}' cannot be used with '${b}'`, { option: a });
  };
  const chosen = (['json', 'csv', 'tsv'] as const).filter((e) => v[e]);
  if (chosen.length > 1) conflict(`--${chosen[0]}`, `--${chosen[1]}`);
  let encoding: TextEncoding | undefined = chosen[0];
  let compress = v.zstd;
  if (encoding === undefined) {
    if (v.output === undefined)
      throw new ConfigError('no output encoding: pass -J/--json, -C/--csv or -T/--tsv (or -o FILE ending in .json, .csv or .tsv)');
    const hit = OUTPUT_NAMES.find(([re]) => re.test(v.output!));
    if (hit === undefined)
      throw new ConfigError(`unable to infer the output encoding from the output path '${v.output}'`, { option: '--output' });
    if (hit[1] === 'dbn') throw new ConfigError('DBN output is not supported by this dbn: use -J, -C or -T', { option: '--output' });
    encoding = hit[1];
    compress ||= v.output.endsWith('.zst');
  }
  const isFragment = v.inputFragment || v.inputZstdFragment;
  if (v.inputFragment && v.inputZstdFragment) conflict('--input-fragment', '--input-zstd-fragment');
  const fragFlag = v.inputFragment ? '--input-fragment' : '--input-zstd-fragment';
  if (v.metadata && encoding !== 'json') conflict('--metadata', `--${encoding}`);
  if (v.metadata && v.limit !== undefined) conflict('--metadata', '--limit');
  if (v.metadata && isFragment) conflict(fragFlag, '--metadata');
  if (v.mapSymbols && isFragment) conflict('--map-symbols', fragFlag);
  if (v.omitHeader && encoding === 'json') conflict('--omit-header', '--json');
  if (v.inputDbnVersion !== undefined && !isFragment)
    throw new ConfigError("'--input-dbn-version' needs '--input-fragment' (the version of a file with metadata is in it)", {
      option: '--input-dbn-version',
    });
  if (v.limit === 0) throw new ConfigError("invalid value '0' for '--limit': must be at least 1", { option: '--limit', value: '0' });
  if (v.kind !== undefined) throw new ConfigError('--kind is an option of `dbn events FILE`', { option: '--kind' });
  if (v.fragment !== undefined)
    throw new ConfigError(
      '--fragment V is an option of `dbn metadata|json FILE`; with FILE... read fragments with --input-fragment --input-dbn-version V (DBN fragment output is not supported)',
      { option: '--fragment' },
    );
  if (files.filter((f) => f === '-').length > 1) throw new ConfigError("standard input ('-') can be read once only");
  return { ...v, command: 'transcode', files, encoding, compress, isFragment };
}

/**
 * argv -> the form, its FILE(s) and the options ('help' for -h / --help). Throws a ConfigError (a usage error:
 * exit 2) naming the flag and the value, or what is wrong with the command and its FILE.
 */
export function parseDbnArgs(argv: readonly string[], env: Env = {}): DbnArgs | 'help' {
  // the usage follows every such message: no "(see --help)" hint
  const parsed = parseOptions(DBN_OPTIONS, { argv: expandShortBundles(argv), env, positionals: true, hint: '' });
  if (parsed === 'help') return 'help';
  const [command, file, ...more] = parsed.positionals;
  if (command === undefined) throw new ConfigError('missing FILE (or command)');
  if (!isCommand(command)) return transcodeArgs(parsed.values, parsed.positionals);
  if (file === undefined) throw new ConfigError(`${command}: missing FILE`);
  if (more.length > 0) throw new ConfigError(`${command}: one FILE only, got ${more.length + 1}`);
  if (command === 'events' && parsed.values.fragment !== undefined)
    throw new ConfigError('events: fragments have no metadata to map symbols with; use a file with metadata', { option: '--fragment' });
  return { ...parsed.values, command, file };
}
