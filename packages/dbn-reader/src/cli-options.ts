/**
 * The `dbn` command's arguments: ONE option table (@md/app-kit), shared by the three commands, from which the
 * parsing, `--help` and the README's options table (test/cli-readme.test.ts) come. No side effects: src/cli.ts
 * runs the command.
 */
import { ConfigError, defineOptions, helpText, opt, parseOptions, type Env, type InferOptions } from '@md/app-kit';

export const DBN_COMMANDS = ['metadata', 'json', 'events'] as const;
export type DbnCommand = (typeof DBN_COMMANDS)[number];

/** `--fragment V`: a DBN version (the message as it was before the table) */
function dbnVersion(text: string, name: string): 1 | 2 | 3 {
  if (text === '1' || text === '2' || text === '3') return Number(text) as 1 | 2 | 3;
  throw new ConfigError(`${name} must be a DBN version 1, 2 or 3, got ${JSON.stringify(text)}`, { option: name, value: text });
}

/** Every option of every command, once (an option a command does not use is ignored by it). */
export const DBN_OPTIONS = defineOptions({
  limit: opt.number({
    int: true,
    min: 0,
    placeholder: 'N',
    defaultText: 'no limit',
    help: 'stop after N records (json) or N events (events)',
  }),
  pretty: opt.boolean({ help: 'json/metadata: ISO 8601 times, decimal prices (like `dbn --pretty`)' }),
  upgrade: opt.boolean({ help: 'json/metadata: v1/v2 data in the v3 layout (default: as in the file)' }),
  kind: opt.enum({
    choices: ['trades', 'mbp10', 'options'],
    defaultText: 'from the metadata: mbp-10 -> mbp10, trades of OPRA.* -> options, other trades -> trades',
    help: 'events: the kind of events to map the records to',
  }),
  fragment: opt.custom({
    parse: dbnVersion,
    placeholder: 'V',
    help: 'the input is a fragment (no metadata) of DBN version V (1, 2 or 3)',
  }),
});

export const DBN_HELP = helpText(DBN_OPTIONS, {
  usage: 'dbn <command> FILE [options]',
  intro: `Commands:
  metadata FILE   print the file's metadata as JSON
  json FILE       print one JSON line per record (the shape of Databento's \`dbn FILE --json\`:
                  \`hd\` nested, 64-bit integers as strings, prices as raw fixed-point integers)
  events FILE     print the canonical events, one \`subject<TAB>json\` line each`,
  helpRow: 'show this help',
  outro: `FILE may be plain or zstd-compressed DBN (detected from its first bytes); '-' reads standard input.
Exit status: 0 ok (also when the reader of the output goes away, e.g. \`| head\`), 1 bad data or I/O error
(the message names the file and byte offset), 2 usage.`,
});

export type DbnArgs = InferOptions<typeof DBN_OPTIONS> & { command: DbnCommand; file: string };

const isCommand = (s: string): s is DbnCommand => (DBN_COMMANDS as readonly string[]).includes(s);

/**
 * argv -> the command, its FILE and the options ('help' for -h / --help). Throws a ConfigError (a usage error:
 * exit 2) naming the flag and the value, or what is wrong with the command and its FILE.
 */
export function parseDbnArgs(argv: readonly string[], env: Env = {}): DbnArgs | 'help' {
  // the usage follows every such message: no "(see --help)" hint
  const parsed = parseOptions(DBN_OPTIONS, { argv, env, positionals: true, hint: '' });
  if (parsed === 'help') return 'help';
  const [command, file, ...more] = parsed.positionals;
  if (command === undefined) throw new ConfigError('missing command');
  if (!isCommand(command))
    throw new ConfigError(`unknown command ${JSON.stringify(command)} (metadata, json or events)`, { value: command });
  if (file === undefined) throw new ConfigError(`${command}: missing FILE`);
  if (more.length > 0) throw new ConfigError(`${command}: one FILE only, got ${more.length + 1}`);
  if (command === 'events' && parsed.values.fragment !== undefined)
    throw new ConfigError('events: fragments have no metadata to map symbols with; use a file with metadata', { option: '--fragment' });
  return { ...parsed.values, command, file };
}
