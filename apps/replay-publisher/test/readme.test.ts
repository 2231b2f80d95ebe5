/** The docs are the option table: the README's options table and `--help` are generated from it and list every option. */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReadmeOptions, describeOptions, updateReadmeOptions } from '@md/app-kit';
import { HELP, OPTIONS } from '../src/config';

const README = resolve(import.meta.dirname, '../README.md');

describe('docs', () => {
  it('the README options table is the option table', () => {
    if (process.env.UPDATE_README) writeFileSync(README, updateReadmeOptions(readFileSync(README, 'utf8'), OPTIONS, 'replay-publisher'));
    const r = checkReadmeOptions(readFileSync(README, 'utf8'), OPTIONS, 'replay-publisher');
    expect(r.actual, `${r.message}; regenerate: cd apps/replay-publisher && UPDATE_README=1 npx vitest run test/readme.test.ts`).toBe(
      r.expected,
    );
  });

  it('--help lists every option of the table: its flags, aliases and environment variables', () => {
    const docs = describeOptions(OPTIONS);
    expect(docs).toHaveLength(Object.keys(OPTIONS).length); // nothing hidden
    const missing = docs.flatMap((d) =>
      [...d.forms, ...d.aliases, ...d.env].filter((name) => !HELP.includes(name)).map((n) => `${d.key}: ${n}`),
    );
    expect(missing).toEqual([]);
    expect(HELP).toMatch(/--publish-mode batch\|ack .*\(also --mode\)/s);
  });
});
