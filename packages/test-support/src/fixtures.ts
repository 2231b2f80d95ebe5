/**
 * Fixture readers shared by the engines' and the apps' tests: temporary directories removed after the test
 * file, Databento's DBN fixtures laid out as a replay data root, and the recorded Polygon WebSocket sessions.
 * Both fixture sets live outside the repository (shared/fixtures next to the checkout, or the env overrides);
 * check `haveDbnFixtures` / `havePolygonFixtures` and skip when they are missing.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';

const temps: string[] = [];
// registered on the root suite of every test file importing this module (worker exit hooks do not run)
afterAll(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
/** a temporary directory removed after the test file */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** Databento's DBN test files (DBN_FIXTURES_DIR, default shared/fixtures/dbn beside the checkout) */
export const DBN_FIXTURES_DIR = process.env.DBN_FIXTURES_DIR ?? resolve(import.meta.dirname, '../../../../shared/fixtures/dbn');
/** whether the ES trades and MBP-10 DBN fixtures are there */
export const haveDbnFixtures =
  existsSync(join(DBN_FIXTURES_DIR, 'test_data.trades.v3.dbn.zst')) && existsSync(join(DBN_FIXTURES_DIR, 'test_data.mbp-10.v3.dbn.zst'));

/** A data root holding Databento's ES fixtures (2020-12-28, 2 trades + 2 MBP-10 books) under the replay layout. */
export function fixtureDataRoot(): string {
  const root = tempDir('replay-fixtures-');
  mkdirSync(join(root, 'trades'));
  mkdirSync(join(root, 'MBP-10'));
  copyFileSync(join(DBN_FIXTURES_DIR, 'test_data.trades.v3.dbn.zst'), join(root, 'trades', 'glbx-mdp3-20201228.trades.dbn.zst'));
  copyFileSync(join(DBN_FIXTURES_DIR, 'test_data.mbp-10.v3.dbn.zst'), join(root, 'MBP-10', 'glbx-mdp3-20201228.mbp-10.dbn.zst'));
  return root;
}

/** the recorded Polygon sessions (POLYGON_FIXTURES_DIR, default shared/fixtures/polygon beside the checkout) */
export const POLYGON_FIXTURES_DIR = process.env.POLYGON_FIXTURES_DIR ?? resolve(import.meta.dirname, '../../../../shared/fixtures/polygon');
/** whether the Polygon fixtures (their index.json) are there */
export const havePolygonFixtures = existsSync(resolve(POLYGON_FIXTURES_DIR, 'index.json'));

/** every line (WebSocket frame) of a Polygon fixture file */
export function frames(file: string): string[] {
  const lines = readFileSync(resolve(POLYGON_FIXTURES_DIR, file), 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
/** data lines of a session fixture (index.json kind != control) */
export function dataFrames(file: string): string[] {
  const idx = (
    JSON.parse(readFileSync(resolve(POLYGON_FIXTURES_DIR, 'index.json'), 'utf8')) as Record<string, { line: number; kind: string }[]>
  )[file];
  if (!idx) throw new Error(`index.json has no entry for ${file}`);
  const lines = frames(file);
  return idx
    .filter((e) => e.kind !== 'control')
    .map((e) => {
      const l = lines[e.line - 1];
      if (l === undefined) throw new Error(`${file} has no line ${e.line} (index.json)`);
      return l;
    });
}
