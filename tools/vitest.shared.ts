import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { ViteUserConfig as UserConfig } from 'vitest/config';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

/** The workspace libraries, resolved to their sources so tests never run against stale builds. */
const libs = ['event-types', 'dbn-reader', 'polygon-normalizer', 'stream-merge', 'nats-bus'];

export function sharedTestConfig(projectDir: string): UserConfig {
  return {
    root: projectDir,
    resolve: {
      alias: Object.fromEntries(libs.map((l) => [`@md/${l}`, resolve(root, 'packages', l, 'src', 'index.ts')])),
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
