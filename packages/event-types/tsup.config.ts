import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // JSON Schema files (dist/schemas/<schemaId>.json), generated from the zod schemas of the fresh build
  onSuccess: 'node scripts/gen-json-schema.mjs',
});
