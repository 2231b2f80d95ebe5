import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const FIXTURES_DIR = process.env.POLYGON_FIXTURES_DIR ?? resolve(import.meta.dirname, '../../../../shared/fixtures/polygon');
export const haveFixtures = existsSync(resolve(FIXTURES_DIR, 'index.json'));
if (!haveFixtures) console.warn(`polygon fixtures not found at ${FIXTURES_DIR} (set POLYGON_FIXTURES_DIR): fixture tests skipped`);

/** the lines (frames) of a fixture file, without the trailing newline; read as UTF-8 (a BOM stays) */
export function frames(file: string): string[] {
  const text = readFileSync(resolve(FIXTURES_DIR, file), 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface IndexEntry {
  line: number;
  kind?: string;
  note?: string;
  events?: Record<string, number>;
  case?: string;
  expect?: string;
  valid_events?: number;
  status?: string;
  provenance?: string;
}
export function fixtureIndex(): Record<string, IndexEntry[]> {
  return JSON.parse(readFileSync(resolve(FIXTURES_DIR, 'index.json'), 'utf8'));
}

/** the index.json entries of a fixture file (a missing file fails the test, naming it) */
export function indexOf(file: string): IndexEntry[] {
  const idx = fixtureIndex()[file];
  if (!idx) throw new Error(`index.json has no entry for ${file}`);
  return idx;
}

export { at } from '@md/test-support';
