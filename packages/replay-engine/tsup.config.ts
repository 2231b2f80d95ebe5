import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // defaultSampleCacheDir() starts from this module's location: import.meta.url in the CommonJS build too
  shims: true,
});
