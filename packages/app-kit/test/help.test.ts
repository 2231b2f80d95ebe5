import { describe, expect, it } from 'vitest';
import {
  checkReadmeOptions,
  defineOptions,
  describeOptions,
  helpText,
  markdownOptionsTable,
  opt,
  ReadmeOptionsError,
  updateReadmeOptions,
} from '../src/index.ts';

const TABLE = defineOptions({
  dataRoot: opt.string({
    env: 'REPLAY_DATA_ROOT',
    default: null,
    placeholder: 'DIR',
    help: 'the DBN data root',
    defaultText: 'none: the sample session',
  }),
  speed: opt.number({
    env: 'REPLAY_SPEED',
    min: 0,
    placeholder: 'X',
    default: (v) => (v.dataRoot === null ? 0 : 1),
    defaultText: '1 with a data root, 0 for the sample session',
    help: '1 = real time, 10 = ten times faster, 0 = as fast as possible',
  }),
  options: opt.boolean({ env: 'REPLAY_INCLUDE_OPTIONS', default: 'auto', help: 'include OPRA option trades' }),
  trades: opt.boolean({ default: true, help: 'leave out futures trades' }),
  resume: opt.boolean({ help: 'continue after the last event already in the stream' }),
  sink: opt.enum({ choices: ['nats', 'stdout'], short: 's', default: 'nats', help: 'where events go | pipes' }),
  reorderWindow: opt.duration({ env: 'REPLAY_REORDER_WINDOW', unit: 'ms', as: 'ns', default: '100ms', help: 'hold events this long' }),
  maxGap: opt.duration({ unit: 's', as: 'ms', default: 5, placeholder: 'S', help: 'cap an idle gap' }),
  sessions: opt.list({ choices: ['stocks', 'options'], default: ['stocks', 'options'], help: 'which sessions to run' }),
  publishMode: opt.enum({
    choices: ['ack', 'batch'],
    aliases: ['mode'],
    env: ['NATS_PUBLISH_MODE', 'PUBLISH_MODE'],
    default: 'ack',
    group: 'NATS',
    help: 'JetStream publisher mode',
  }),
  apiKey: opt.string({ flag: false, env: ['POLYGON_API_KEY', 'MASSIVE_API_KEY'], help: 'the API key (never logged)' }),
  stepTimeout: opt.duration({ unit: 's', as: 'ms', default: 10, hidden: true }),
});

describe('helpText', () => {
  it('renders title, usage, intro, aligned sections with placeholders, [ENV] and (default), outro', () => {
    const text = helpText(TABLE, {
      title: 'replay-publisher: DBN files -> NATS',
      usage: ['replay-publisher [options]', 'replay-publisher --help'],
      intro: 'Without a data root, a sample session is generated.',
      outro: 'Exit codes: 0 done, 2 bad configuration, 1 other error.',
      width: 100,
    });
    expect(text).toBe(
      [
        'replay-publisher: DBN files -> NATS',
        '',
        'Usage: replay-publisher [options]',
        '       replay-publisher --help',
        '',
        'Without a data root, a sample session is generated.',
        '',
        'Options:',
        '  --data-root DIR            the DBN data root [REPLAY_DATA_ROOT] (none: the sample session)',
        '  --speed X                  1 = real time, 10 = ten times faster, 0 = as fast as possible',
        '                             [REPLAY_SPEED] (1 with a data root, 0 for the sample session)',
        '  --options / --no-options   include OPRA option trades [REPLAY_INCLUDE_OPTIONS] (auto)',
        '  --no-trades                leave out futures trades',
        '  --resume                   continue after the last event already in the stream',
        '  -s, --sink nats|stdout     where events go | pipes (nats)',
        '  --reorder-window D         hold events this long [REPLAY_REORDER_WINDOW] (100ms)',
        '  --max-gap S                cap an idle gap (5s)',
        '  --sessions stocks,options  which sessions to run (stocks,options)',
        '  POLYGON_API_KEY / MASSIVE_API_KEY',
        '                             the API key (never logged)',
        '  -h, --help                 this text',
        '',
        'NATS:',
        '  --publish-mode ack|batch   JetStream publisher mode (also --mode) [NATS_PUBLISH_MODE or',
        '                             PUBLISH_MODE] (ack)',
        '',
        'Exit codes: 0 done, 2 bad configuration, 1 other error.',
        '',
      ].join('\n'),
    );
    expect(text).not.toContain('step-timeout');
  });

  it('sections: titles, order and text of the groups; explicit line breaks; no help row', () => {
    const text = helpText(TABLE, {
      sections: [
        { group: 'NATS', title: 'NATS (the bus):', text: '  credentials: NATS_USER/NATS_PASSWORD, NATS_TOKEN' },
        { title: 'Options (flags override the environment variable in brackets):' },
      ],
      helpRow: false,
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('NATS (the bus):');
    expect(lines[1]).toBe('  credentials: NATS_USER/NATS_PASSWORD, NATS_TOKEN');
    expect(lines[2]).toMatch(/^ {2}--publish-mode ack\|batch {2,}JetStream/);
    expect(lines).toContain('Options (flags override the environment variable in brackets):');
    expect(text).not.toContain('--help');
    const br = helpText(defineOptions({ x: opt.string({ help: 'line one\nline two' }) }), { helpRow: false });
    expect(br).toBe('Options:\n  --x VALUE  line one\n             line two\n');
  });

  it('wraps long descriptions at the width, never inside a word', () => {
    const t = defineOptions({ x: opt.string({ help: 'word '.repeat(40).trim() }) });
    for (const l of helpText(t, { width: 60 }).split('\n')) expect(l.length).toBeLessThanOrEqual(60);
  });
});

describe('markdownOptionsTable', () => {
  it('flag, environment (aliases marked), default, description; | escaped; hidden left out', () => {
    expect(markdownOptionsTable(TABLE)).toBe(
      [
        '| Flag | Environment variable | Default | Description |',
        '| --- | --- | --- | --- |',
        '| `--data-root DIR` | `REPLAY_DATA_ROOT` | none: the sample session | the DBN data root |',
        '| `--speed X` | `REPLAY_SPEED` | 1 with a data root, 0 for the sample session | 1 = real time, 10 = ten times faster, 0 = as fast as possible |',
        '| `--options`, `--no-options` | `REPLAY_INCLUDE_OPTIONS` | `auto` | include OPRA option trades |',
        '| `--no-trades` | | | leave out futures trades |',
        '| `--resume` | | | continue after the last event already in the stream |',
        '| `-s, --sink nats\\|stdout` | | `nats` | where events go \\| pipes |',
        '| `--reorder-window D` | `REPLAY_REORDER_WINDOW` | `100ms` | hold events this long |',
        '| `--max-gap S` | | `5s` | cap an idle gap |',
        '| `--sessions stocks,options` | | `stocks,options` | which sessions to run |',
        '| `--publish-mode ack\\|batch`, `--mode` (alias) | `NATS_PUBLISH_MODE`, `PUBLISH_MODE` (alias) | `ack` | JetStream publisher mode |',
        '| | `POLYGON_API_KEY`, `MASSIVE_API_KEY` (alias) | | the API key (never logged) |',
      ].join('\n'),
    );
    expect(describeOptions(TABLE).map((d) => d.key)).not.toContain('stepTimeout');
  });
});

describe('README options block', () => {
  const readme = (block: string) => `# app\n\nIntro.\n\n<!-- options:app -->\n${block}\n<!-- /options:app -->\n\nMore.\n`;

  it('check: equal (blank lines and CRLF ignored), different, or markers missing', () => {
    const table = markdownOptionsTable(TABLE);
    expect(checkReadmeOptions(readme(table), TABLE, 'app')).toEqual({ ok: true, expected: table, actual: table, message: '' });
    expect(checkReadmeOptions(readme(`\n\n${table}\n\n`).replace(/\n/g, '\r\n'), TABLE, 'app').ok).toBe(true);
    const stale = checkReadmeOptions(readme(table.replace('`nats`', '`stdout`')), TABLE, 'app');
    expect(stale.ok).toBe(false);
    expect(stale.message).toMatch(/options:app table differs/);
    expect(checkReadmeOptions('# no markers', TABLE, 'app')).toMatchObject({
      ok: false,
      actual: null,
      message: 'README: no <!-- options:app --> marker',
    });
    expect(checkReadmeOptions('<!-- options:app -->\n| x |', TABLE, 'app').message).toMatch(/no <!-- \/options:app --> marker/);
    // another block's markers are not this one's
    expect(checkReadmeOptions(readme(table).replace(/options:app/g, 'options:other'), TABLE, 'app').ok).toBe(false);
  });

  it('update: replaces only the block; the result checks ok; idempotent; missing markers throw', () => {
    const before = readme('| old | table |');
    const after = updateReadmeOptions(before, TABLE, 'app');
    expect(after.startsWith('# app\n\nIntro.\n\n<!-- options:app -->\n| Flag |')).toBe(true);
    expect(after.endsWith('|\n<!-- /options:app -->\n\nMore.\n')).toBe(true);
    expect(checkReadmeOptions(after, TABLE, 'app').ok).toBe(true);
    expect(updateReadmeOptions(after, TABLE, 'app')).toBe(after);
    expect(() => updateReadmeOptions('# none', TABLE, 'app')).toThrow(ReadmeOptionsError);
    try {
      updateReadmeOptions('# none', TABLE, 'app');
    } catch (e) {
      expect((e as ReadmeOptionsError).code).toBe('E_README_OPTIONS');
    }
  });
});
