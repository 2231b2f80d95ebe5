import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReadmeOptions, updateReadmeOptions } from '@md/app-kit';
import { AUDIT_OPTIONS, TAIL_OPTIONS } from '../src/index.js';

// regenerate: UPDATE_README=1 npx vitest run test/readme.test.ts
describe('README', () => {
  const file = resolve(import.meta.dirname, '../README.md');
  for (const [name, table] of [
    ['md-tail', TAIL_OPTIONS],
    ['md-audit', AUDIT_OPTIONS],
  ] as const) {
    it(`the ${name} options table is the option table`, () => {
      if (process.env.UPDATE_README) writeFileSync(file, updateReadmeOptions(readFileSync(file, 'utf8'), table, name));
      const r = checkReadmeOptions(readFileSync(file, 'utf8'), table, name);
      expect(r.actual, r.message).toBe(r.expected);
    });
  }
});
