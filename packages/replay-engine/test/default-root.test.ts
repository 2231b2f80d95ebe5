/** The CLI's default data root (defaultDataRoot) and the subjects of a plan (replaySubjects). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataRoot, replaySubjects, SUBJECT_OF_KIND, type ReplayPlan } from '../src/index.js';
import { tempDir } from './helpers';

describe('defaultDataRoot', () => {
  it('<cwd>/dbn-data first; else the dbn-data of the nearest folder above holding nx.json; else null', () => {
    const ws = tempDir('replay-root-');
    const app = join(ws, 'apps', 'x');
    mkdirSync(app, { recursive: true });
    expect(defaultDataRoot(app)).toBeNull(); // no nx.json above (up to /): none
    writeFileSync(join(ws, 'nx.json'), '{}');
    expect(defaultDataRoot(app)).toBeNull(); // a workspace without dbn-data
    mkdirSync(join(ws, 'dbn-data'));
    expect(defaultDataRoot(app)).toBe(join(ws, 'dbn-data'));
    mkdirSync(join(app, 'dbn-data'));
    expect(defaultDataRoot(app)).toBe(join(app, 'dbn-data'));
    writeFileSync(join(ws, 'apps', 'dbn-data'), 'a file, not a folder');
    expect(defaultDataRoot(join(ws, 'apps'))).toBe(join(ws, 'dbn-data'));
  });
});

describe('replaySubjects', () => {
  it("every kind of the plan's dates once, as its subject", () => {
    const plan = { perDate: { '2025-01-02': ['trades', 'mbp10'], '2025-01-03': ['trades'] } } as unknown as ReplayPlan;
    expect(replaySubjects(plan)).toEqual([SUBJECT_OF_KIND.trades, SUBJECT_OF_KIND.mbp10]);
  });
});
