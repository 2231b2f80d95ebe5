/**
 * The `md` command's arguments: one @md/app-kit option table per command (`tail`, `audit`), the NATS options
 * shared, the help texts, and parseMdArgs (argv -> the command and its values, or a ConfigError: exit 2).
 */
import { ConfigError, defineOptions, helpText, LOG_LEVELS, nearestFlag, opt, parseOptions, type Env, type InferOptions } from '@md/app-kit';
import { STREAM_NAME } from '@md/event-types';
import { DEFAULT_NATS_URL } from '@md/nats-bus';
import { checkPattern } from './subjects.js';
import { parseSince } from './time.js';

/** exit codes: 0 ok, 1 error, 2 usage, 3 `md audit` found duplicates, order breaks or undecodable messages */
export const MD_EXIT = { ok: 0, error: 1, usage: 2, findings: 3 } as const;

export const MD_COMMANDS = ['tail', 'audit'] as const;
export type MdCommand = (typeof MD_COMMANDS)[number];

const NATS = {
  natsUrl: opt.string({
    env: 'NATS_URL',
    default: null,
    placeholder: 'URL[,URL]',
    defaultText: DEFAULT_NATS_URL,
    group: 'NATS',
    help: 'NATS server(s); user:password@ or token@ in a URL work and are never printed',
  }),
  stream: opt.string({ env: 'MD_STREAM', default: STREAM_NAME, placeholder: 'NAME', group: 'NATS', help: 'the JetStream stream to read' }),
  logLevel: opt.enum({
    env: 'MD_LOG_LEVEL',
    choices: LOG_LEVELS,
    default: 'warn',
    group: 'NATS',
    help: 'the lowest level logged (on stderr)',
  }),
} as const;

export const TAIL_OPTIONS = defineOptions({
  since: opt.custom({
    parse: (text, name) => parseSince(text, name),
    placeholder: 'TIME',
    help: 'events with ts_event_ns at or after TIME: a duration back from now (5m, 2h, 1d), an ISO 8601 time (2026-12-01T14:30:00Z, up to 9 fractional digits) or Unix nanoseconds; read from the start of the stream',
  }),
  last: opt.number({
    int: true,
    min: 0,
    default: 10,
    placeholder: 'N',
    help: 'without --since: start with the last N stored events (0: only new ones)',
  }),
  limit: opt.number({ int: true, min: 1, placeholder: 'N', defaultText: 'no limit', help: 'stop after N events printed' }),
  follow: opt.boolean({
    default: true,
    defaultText: 'follow',
    show: 'both',
    help: 'keep printing new events as they are stored (--no-follow: stop at the stream end as it was at the start)',
  }),
  pretty: opt.boolean({ short: 'p', help: 'one line per event for people: time (ISO, 9 fractional digits), subject, #seq, key fields' }),
  ...NATS,
});

export const AUDIT_OPTIONS = defineOptions({
  json: opt.boolean({ help: 'the report as one JSON object (nanoseconds as exact integers)' }),
  examples: opt.number({
    int: true,
    min: 0,
    max: 1000,
    default: 5,
    placeholder: 'N',
    help: 'list the first N duplicates, order breaks and undecodable messages of each kind',
  }),
  idleTimeout: opt.duration({
    unit: 's',
    as: 'ms',
    default: '10s',
    help: 'fail when no message arrives for this long before the end of the stream is reached',
  }),
  ...NATS,
});

const NATS_OUTRO = `NATS credentials/TLS from the environment: NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED, NATS_CREDS,
NATS_TLS_CA/CERT/KEY (as the apps); secrets are never printed.`;

export const MAIN_HELP = `md: look at the market-data bus

Usage: md <command> [SUBJECT...] [options]

Commands:
  tail    print the stream's events (decoded and validated, nanoseconds exact), then follow new ones
  audit   read a whole stream and report counts per subject, duplicate message ids, order breaks,
          the gaps announced on md.live.gaps, first and last event times

\`md <command> --help\` for its options.
${NATS_OUTRO}
Exit status: 0 ok, 1 error (NATS unreachable, no such stream, ...), 2 usage, 3 audit findings.
`;

export const TAIL_HELP = helpText(TAIL_OPTIONS, {
  title: 'md tail: print the events of the stream',
  usage: 'md tail [SUBJECT...] [options]',
  intro: `SUBJECT: subjects or wildcards (market.futures.*, market.>); default: the whole stream.
By default the last 10 stored events are printed, then new ones as they arrive (like \`tail -f\`); --no-follow
stops at the end. One JSON line per event: {"seq":N,"subject":"...","msg_id":"...","event":<the stored body>};
--pretty: a line for people. A message that does not decode is reported on stderr (seq, subject, why) and skipped.`,
  outro: `${NATS_OUTRO}\nExit status: 0 ok (also when the reader goes away, \`| head\`), 1 error, 2 usage.`,
});

export const AUDIT_HELP = helpText(AUDIT_OPTIONS, {
  title: 'md audit: read a whole stream and check it',
  usage: 'md audit [SUBJECT...] [options]',
  intro: `SUBJECT: subjects or wildcards to audit; default: the whole stream (up to its last message at the start).
Reports counts, first and last event times per subject, message ids stored more than once, order breaks
(ts_event_ns decreasing on a subject, in stream order), undecodable messages, and the gap windows announced on
md.live.gaps when a stream stores that subject (it is core NATS by default: then the report says so).`,
  outro: `${NATS_OUTRO}\nExit status: 0 clean, 3 duplicates, order breaks or undecodable messages found, 1 error, 2 usage.`,
});

export type TailArgs = InferOptions<typeof TAIL_OPTIONS> & { command: 'tail'; subjects: string[] };
export type AuditArgs = InferOptions<typeof AUDIT_OPTIONS> & { command: 'audit'; subjects: string[] };
export type MdArgs = TailArgs | AuditArgs;

const isCommand = (s: string): s is MdCommand => (MD_COMMANDS as readonly string[]).includes(s);

/** argv -> the command with its values; 'help' (with the text to print) for -h / --help */
export function parseMdArgs(argv: readonly string[], env: Env): MdArgs | { help: string } {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') return { help: MAIN_HELP };
  if (!isCommand(cmd)) {
    const near = nearestFlag(cmd, MD_COMMANDS);
    throw new ConfigError(
      `unknown command ${JSON.stringify(cmd)}${near ? `, did you mean '${near}'?` : ''} (commands: ${MD_COMMANDS.join(', ')}; see md --help)`,
      {
        value: cmd,
      },
    );
  }
  const hint = ` (see md ${cmd} --help)`;
  if (cmd === 'tail') {
    const r = parseOptions(TAIL_OPTIONS, { argv: rest, env, positionals: true, hint });
    if (r === 'help') return { help: TAIL_HELP };
    if (r.given.since && r.given.last)
      throw new ConfigError('--since and --last contradict each other: --since reads from the start of the stream, --last from its end');
    return { ...r.values, command: 'tail', subjects: r.positionals.map((p) => checkPattern(p)) };
  }
  const r = parseOptions(AUDIT_OPTIONS, { argv: rest, env, positionals: true, hint });
  if (r === 'help') return { help: AUDIT_HELP };
  return { ...r.values, command: 'audit', subjects: r.positionals.map((p) => checkPattern(p)) };
}
