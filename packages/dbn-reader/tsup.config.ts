import { existsSync } from 'node:fs';
import { defineConfig } from 'tsup';

// src/cli.ts (the `dbn` command, written by dbn-events) is built as its own ESM entry once it exists.
const hasCli = existsSync('src/cli.ts');

export default defineConfig([
  {
    // the sample session generator is its own entry (`@md/dbn-reader/sample`): not part of the library API
    entry: { index: 'src/index.ts', sample: 'src/sample.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    // import.meta.url in the CJS build (createRequire for zstd-napi's native binding)
    shims: true,
  },
  ...(hasCli
    ? [
        {
          entry: { cli: 'src/cli.ts' },
          format: ['esm' as const],
          dts: false,
          sourcemap: true,
          clean: false,
          target: 'node20',
          banner: { js: '#!/usr/bin/env node' },
        },
      ]
    : []),
]);
