/**
 * The gap-free scenarios run the app as a child process (src/main.ts through tsx) against the workspace
 * libraries' sources, like vitest does in-process, so they never test a stale build: a tsconfig whose `paths`
 * map every `@md/x` to packages/x/src/index.ts and every `@md/x/sub` to packages/x/src/sub.ts, written once
 * per test process into a temporary directory and handed to tsx with TSX_TSCONFIG_PATH.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
let written: string | null = null;

/** the path of the tsconfig mapping the workspace libraries to their sources */
export function sourceTsconfig(): string {
  if (written) return written;
  const packages = join(ROOT, 'packages');
  const paths: Record<string, string[]> = {};
  for (const d of readdirSync(packages, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const src = join(packages, d.name, 'src');
    let files: string[];
    try {
      files = readdirSync(src);
    } catch {
      continue;
    }
    for (const f of files)
      if (f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts') paths[`@md/${d.name}/${f.slice(0, -3)}`] = [join(src, f)];
    paths[`@md/${d.name}`] = [join(src, 'index.ts')];
  }
  const dir = mkdtempSync(join(tmpdir(), 'live-ingestor-src-'));
  const file = join(dir, 'tsconfig.json');
  writeFileSync(file, JSON.stringify({ extends: join(ROOT, 'tsconfig.base.json'), compilerOptions: { paths } }, null, 1));
  written = file;
  return file;
}
