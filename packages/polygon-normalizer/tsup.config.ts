import { defineConfig } from 'tsup';

export default defineConfig({
  // the session (the only I/O, `ws`) on an entry of its own: importing the main entry never loads a socket library
  entry: ['src/index.ts', 'src/session.ts'],
  format: ['esm', 'cjs'],
  // shared code (parseFrame, FrameError, ...) in one chunk for both formats, so that `instanceof FrameError`
  // holds for the errors the session produces whichever entry the class is imported from
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
