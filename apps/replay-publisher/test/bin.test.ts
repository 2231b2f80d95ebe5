import { realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };

const appDir = join(import.meta.dirname, '..');
const repoBin = join(appDir, '../../node_modules/.bin/replay-publisher');

describe('bin', () => {
  // npm links a bin at install time only when its file exists: a bin pointing into dist/ is missing on a fresh
  // clone (install runs before the build), so the bin is a committed launcher that imports dist/
  it('the replay-publisher bin is a committed, executable launcher, linked at the repository root', () => {
    const bin: string = pkg.bin['replay-publisher'];
    expect(bin).toMatch(/^\.\/bin\//);
    const file = join(appDir, bin);
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(realpathSync(repoBin)).toBe(realpathSync(file));
  });
});
