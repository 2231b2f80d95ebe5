import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { ViteUserConfig as UserConfig } from 'vitest/config';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

/**
 * The workspace libraries (every folder under packages/), resolved to their sources so tests never run
 * against stale builds: `@md/x` -> packages/x/src/index.ts, a subpath entry `@md/x/sub` -> packages/x/src/sub.ts.
 */
const libs = readdirSync(resolve(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const names = libs.map((l) => l.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|');

export function sharedTestConfig(projectDir: string): UserConfig {
  return {
    root: projectDir,
    resolve: {
      alias: [
        { find: new RegExp(`^@md/(${names})/([\\w./-]+)$`), replacement: `${resolve(root, 'packages')}/$1/src/$2.ts` },
        { find: new RegExp(`^@md/(${names})$`), replacement: `${resolve(root, 'packages')}/$1/src/index.ts` },
      ],
    },
    test: {
      watch: false,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
    },
  };
}
