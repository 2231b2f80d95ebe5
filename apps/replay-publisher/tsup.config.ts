import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  // a young generation of at most 2 x 4 MB (V8's default: 2 x 16 MB): ~40 MB less peak RSS for ~15% more CPU
  banner: { js: '#!/usr/bin/env -S node --max-semi-space-size=4' },
});
