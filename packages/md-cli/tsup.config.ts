import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // the library: what `md tail` and `md audit` do, for programs that want the same without the command
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    // the `md` command (bin/md.mjs loads it)
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
