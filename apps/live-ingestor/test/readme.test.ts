import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReadmeOptions, describeOptions, updateReadmeOptions } from '@md/app-kit';
import { HELP, OPTIONS } from '../src/config';

const REGENERATE = 'UPDATE_README=1 npx vitest run test/readme.test.ts (in apps/live-ingestor)';

describe('the docs come from the option table', () => {
  it('the README options table is the option table', () => {
    const file = resolve(import.meta.dirname, '../README.md');
    if (process.env.UPDATE_README) writeFileSync(file, updateReadmeOptions(readFileSync(file, 'utf8'), OPTIONS, 'live-ingestor'));
    const r = checkReadmeOptions(readFileSync(file, 'utf8'), OPTIONS, 'live-ingestor');
    expect(r.actual, `${r.message || 'README: no options table'}; regenerate: ${REGENERATE}`).toBe(r.expected);
  });
  it('--help lists every option of the table: its flag and its environment variables', () => {
    const docs = describeOptions(OPTIONS);
    expect(docs.length).toBe(Object.keys(OPTIONS).length);
    for (const d of docs) {
      for (const form of d.forms) expect(HELP, d.key).toContain(`  ${form}`);
      for (const e of d.env) expect(HELP, d.key).toMatch(new RegExp(`\\b${e}\\b`));
      if (d.forms.length === 0) expect(HELP, d.key).toContain(`  ${d.env.join(' / ')}`);
    }
  });
});
