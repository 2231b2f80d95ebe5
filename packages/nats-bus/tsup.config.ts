import { defineConfig } from 'tsup';

export default defineConfig({
  // the main entry and @md/nats-bus/testing share server.ts and errors.ts
  entry: ['src/index.ts', 'src/testing.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // shared code goes into one chunk in both formats (tsup splits only the ESM build by default): one copy of
  // each error class, so `instanceof` holds across the two entries, and one set of running local servers
  splitting: true,
});
