/**
 * The option table as documentation: the `--help` text, a Markdown table for the README, and the check /
 * update of that table between `<!-- options:NAME -->` markers (so a README cannot drift from the code).
 */
import { ReadmeOptionsError } from './errors.js';
import { envsOf, flagOf, type Option, type OptionTable } from './options.js';

/** One option as the help and the README show it. */
export interface OptionDoc {
  key: string;
  /** the flag forms with the placeholder: ['-s, --sink nats|stdout'], ['--options', '--no-options']; [] when env-only */
  forms: string[];
  /** alias flags, e.g. ['--mode'] */
  aliases: string[];
  /** environment variables, canonical first */
  env: string[];
  /** the default as text (defaultText, or the static default formatted); undefined: none shown */
  defaultText: string | undefined;
  /** true when defaultText is the formatted static default (a value: code in Markdown), false for a written `defaultText` */
  defaultIsValue: boolean;
  help: string;
  group: string | undefined;
}

function placeholderOf(o: Option<unknown>): string {
  const s = o.spec;
  if (s.placeholder !== undefined) return s.placeholder;
  switch (o.kind) {
    case 'number':
      return s.int ? 'N' : 'X';
    case 'enum':
      return (s.choices ?? []).join('|');
    case 'list':
      return s.choices ? s.choices.join(',') : 'VALUE[,...]';
    case 'duration':
      return 'D';
    default:
      return 'VALUE';
  }
}

/** the static default as text, for the docs (not for booleans: the flag form shown says it) */
function defaultTextOf(o: Option<unknown>): string | undefined {
  const s = o.spec;
  if (s.defaultText !== undefined) return s.defaultText;
  const d = s.default;
  if (d === undefined || d === null || typeof d === 'function') return undefined;
  if (typeof d === 'boolean') return undefined;
  if (Array.isArray(d)) return d.length ? d.join(s.separator ?? ',') : undefined;
  if (o.kind === 'duration' && typeof d === 'number') return `${d}${s.unit ?? ''}`;
  if (typeof d === 'string') return d === '' ? "''" : d;
  return String(d);
}

function docOf(key: string, o: Option<unknown>): OptionDoc {
  const flag = flagOf(key, o);
  const forms: string[] = [];
  if (flag !== null) {
    const short = o.spec.short ? `-${o.spec.short}, ` : '';
    if (o.kind === 'boolean') {
      const d = o.spec.default;
      const show = o.spec.show ?? (d === true ? 'no-flag' : d === false || d === undefined ? 'flag' : 'both');
      if (show !== 'no-flag') forms.push(`${short}--${flag}`);
      if (show !== 'flag') forms.push(`${show === 'no-flag' ? short : ''}--no-${flag}`);
    } else {
      forms.push(`${short}--${flag} ${placeholderOf(o)}`);
    }
  }
  return {
    key,
    forms,
    aliases: (o.spec.aliases ?? []).map((a) => `--${a}`),
    env: [...envsOf(o)],
    defaultText: defaultTextOf(o),
    defaultIsValue: o.spec.defaultText === undefined,
    help: o.spec.help ?? '',
    group: o.spec.group,
  };
}

/** The documented options of a table (hidden ones left out), in table order. */
export function describeOptions(table: OptionTable): OptionDoc[] {
  return Object.entries(table)
    .filter(([, o]) => !o.spec.hidden)
    .map(([k, o]) => docOf(k, o));
}

/** Text sections of the help: the options of one group under a title. */
export interface HelpSection {
  /** the options whose `group` is this; omitted: the options without a group */
  group?: string;
  /** e.g. 'Options (flags override the environment variable in brackets):' */
  title: string;
  /** printed under the title, before the options */
  text?: string;
}

export interface HelpOptions {
  /** the first line, e.g. 'replay-publisher: DBN files -> NATS JetStream' */
  title?: string;
  /** 'replay-publisher [options]' -> `Usage: replay-publisher [options]` (several: one per line) */
  usage?: string | readonly string[];
  /** free text after the usage (paragraphs, a commands list, ...) */
  intro?: string;
  /**
   * the option sections in order. Default: 'Options:' for the options without a group, then one section per
   * group (titled `group:`) in table order; groups not listed here are appended the same way.
   */
  sections?: readonly HelpSection[];
  /** free text at the end (exit codes, ...) */
  outro?: string;
  /** the text of the `-h, --help` row, at the end of the first section; false: no row (default 'this text') */
  helpRow?: string | false;
  /** the line width to wrap descriptions at (default 100) */
  width?: number;
  /** the widest flag column before descriptions move to their own line (default 30) */
  maxFlagColumn?: number;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/ +/)) {
      if (word === '') continue;
      if (line !== '' && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    out.push(line);
  }
  return out;
}

function block(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  return [text.replace(/\s+$/, ''), ''];
}

/**
 * The `--help` text: title, usage, intro, the options section by section (`--flag PLACEHOLDER`, the help
 * text, `[ENV_VAR]`, `(default)`, aligned and wrapped), outro. Ends with a newline.
 */
export function helpText(table: OptionTable, options: HelpOptions = {}): string {
  const width = options.width ?? 100;
  const docs = describeOptions(table);
  const lines: string[] = [];
  if (options.title) lines.push(options.title, '');
  const usage = typeof options.usage === 'string' ? [options.usage] : (options.usage ?? []);
  if (usage.length) {
    usage.forEach((u, i) => lines.push(`${i === 0 ? 'Usage: ' : '       '}${u}`));
    lines.push('');
  }
  lines.push(...block(options.intro));

  // the sections: the listed ones, then any group nobody listed
  const sections: HelpSection[] = [...(options.sections ?? [])];
  const listed = new Set(sections.map((s) => s.group));
  if (!listed.has(undefined) && docs.some((d) => d.group === undefined)) {
    sections.unshift({ title: 'Options:' });
    listed.add(undefined);
  }
  for (const d of docs) {
    if (!listed.has(d.group)) {
      sections.push({ group: d.group, title: `${d.group}:` });
      listed.add(d.group);
    }
  }
  if (sections.length === 0 && options.helpRow !== false) sections.push({ title: 'Options:' });

  type Row = { left: string; desc: string };
  const rowsOf = (s: HelpSection, first: boolean): Row[] => {
    const rows: Row[] = docs
      .filter((d) => d.group === s.group)
      .map((d) => {
        const left = d.forms.length ? d.forms.join(' / ') : d.env.join(' / ');
        const parts = [d.help];
        if (d.aliases.length) parts.push(`(also ${d.aliases.join(', ')})`);
        if (d.forms.length && d.env.length) parts.push(`[${d.env.join(' or ')}]`);
        if (d.defaultText !== undefined) parts.push(`(${d.defaultText})`);
        return { left, desc: parts.filter(Boolean).join(' ') };
      });
    if (first && options.helpRow !== false) rows.push({ left: '-h, --help', desc: options.helpRow ?? 'this text' });
    return rows;
  };
  const all = sections.map((s, i) => ({ s, rows: rowsOf(s, i === 0) }));
  const maxCol = options.maxFlagColumn ?? 30;
  // rows wider than maxCol put their description on the next line: they do not widen the column
  const col = Math.max(0, ...all.flatMap((x) => x.rows.map((r) => r.left.length).filter((n) => n <= maxCol)));
  const indent = ' '.repeat(2 + col + 2);
  const descWidth = Math.max(20, width - indent.length);
  for (const { s, rows } of all) {
    lines.push(s.title);
    if (s.text) lines.push(...s.text.replace(/\s+$/, '').split('\n'));
    for (const r of rows) {
      const desc = r.desc ? wrap(r.desc, descWidth) : [];
      if (r.left.length > col) {
        lines.push(`  ${r.left}`);
        for (const l of desc) lines.push(indent + l);
      } else {
        lines.push(`  ${r.left.padEnd(col)}  ${desc[0] ?? ''}`.trimEnd());
        for (const l of desc.slice(1)) lines.push(indent + l);
      }
    }
    lines.push('');
  }
  lines.push(...block(options.outro));
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return `${lines.join('\n')}\n`;
}

const cell = (s: string) => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim();
const code = (s: string) => `\`${cell(s)}\``;

/**
 * The options as a Markdown table: Flag | Environment variable | Default | Description (aliases marked as
 * such). Hidden options are left out. No trailing newline.
 */
export function markdownOptionsTable(table: OptionTable): string {
  const rows = describeOptions(table).map((d) => {
    const flags = [...d.forms.map(code), ...d.aliases.map((a) => `${code(a)} (alias)`)].join(', ');
    const env = d.env.map((e, i) => (i === 0 ? code(e) : `${code(e)} (alias)`)).join(', ');
    const dflt = d.defaultText === undefined ? '' : d.defaultIsValue ? code(d.defaultText) : cell(d.defaultText);
    return `|${[flags, env, dflt, cell(d.help)].map((c) => (c ? ` ${c} ` : ' ')).join('|')}|`;
  });
  return ['| Flag | Environment variable | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

interface Block {
  start: number;
  end: number;
  content: string;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function findBlock(readme: string, marker: string): Block | string {
  const open = new RegExp(`<!--\\s*options:${escapeRe(marker)}\\s*-->`).exec(readme);
  if (!open) return `no <!-- options:${marker} --> marker`;
  const rest = readme.slice(open.index + open[0].length);
  const close = new RegExp(`<!--\\s*/options:${escapeRe(marker)}\\s*-->`).exec(rest);
  if (!close) return `no <!-- /options:${marker} --> marker after <!-- options:${marker} -->`;
  const start = open.index + open[0].length;
  return { start, end: start + close.index, content: rest.slice(0, close.index) };
}

const normalize = (s: string) => s.replace(/\r\n/g, '\n').trim();

export interface ReadmeCheck {
  /** the block equals the generated table (blank lines around it and CRLF ignored) */
  ok: boolean;
  /** the generated table */
  expected: string;
  /** the block's content as found (trimmed), or null when the markers are missing */
  actual: string | null;
  /** what is wrong, and how to fix it; '' when ok */
  message: string;
}

/**
 * Compares the block between `<!-- options:NAME -->` and `<!-- /options:NAME -->` with the table generated
 * from `table`. For a test: `const r = checkReadmeOptions(readme, OPTIONS, 'replay-publisher'); expect(r.actual, r.message).toBe(r.expected)`.
 */
export function checkReadmeOptions(readme: string, table: OptionTable, marker: string): ReadmeCheck {
  const expected = markdownOptionsTable(table);
  const b = findBlock(readme, marker);
  if (typeof b === 'string') return { ok: false, expected, actual: null, message: `README: ${b}` };
  const actual = normalize(b.content);
  const ok = actual === expected;
  return {
    ok,
    expected,
    actual,
    message: ok ? '' : `README: the options:${marker} table differs from the option table (regenerate it with updateReadmeOptions)`,
  };
}

/** The README with the block between the markers replaced by the generated table. Throws ReadmeOptionsError without markers. */
export function updateReadmeOptions(readme: string, table: OptionTable, marker: string): string {
  const b = findBlock(readme, marker);
  if (typeof b === 'string') throw new ReadmeOptionsError(`README: ${b}`, marker);
  return `${readme.slice(0, b.start)}\n${markdownOptionsTable(table)}\n${readme.slice(b.end)}`;
}
