/** The `dbn` docs are its option table: the README's CLI options table and `--help` come from DBN_OPTIONS. */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReadmeOptions, describeOptions, updateReadmeOptions } from '@md/app-kit';
import { DBN_HELP, DBN_OPTIONS } from '../src/cli-options.js';

const README = resolve(import.meta.dirname, '../README.md');

describe('dbn docs', () => {
  it('the README CLI options table is the option table', () => {
    if (process.env.UPDATE_README) writeFileSync(README, updateReadmeOptions(readFileSync(README, 'utf8'), DBN_OPTIONS, 'dbn'));
    const r = checkReadmeOptions(readFileSync(README, 'utf8'), DBN_OPTIONS, 'dbn');
    expect(r.actual, `${r.message}; regenerate: cd packages/dbn-reader && UPDATE_README=1 npx vitest run test/cli-readme.test.ts`).toBe(
      r.expected,
    );
  });

  it('--help lists every option of the table', () => {
    const docs = describeOptions(DBN_OPTIONS);
    expect(docs).toHaveLength(Object.keys(DBN_OPTIONS).length); // nothing hidden
    const missing = docs.flatMap((d) => d.forms.filter((form) => !DBN_HELP.includes(form)).map((f) => `${d.key}: ${f}`));
    expect(missing).toEqual([]);
    expect(DBN_HELP).toMatch(/^Usage: dbn FILE\.\.\. \[-J\|-C\|-T\] \[options\]\n {7}dbn <command> FILE \[options\]\n\n/);
    expect(DBN_HELP).toMatch(/\nCommands:\n {2}metadata FILE/);
  });
});
