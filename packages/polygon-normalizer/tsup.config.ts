import { defineConfig } from 'tsup';

export default defineConfig({
  // the I/O on entries of their own (the session: `ws`; the REST client: fetch): importing the main entry
  // never loads a socket library nor touches the network
  entry: ['src/index.ts', 'src/session.ts', 'src/rest.ts'],
  format: ['esm', 'cjs'],
  // shared code (parseFrame, FrameError, ...) in one chunk for both formats, so that `instanceof FrameError`
  // holds for the errors the session produces whichever entry the class is imported from
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
