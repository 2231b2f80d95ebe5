#!/usr/bin/env node
// Committed launcher: npm links a bin only when its file exists at install time, and dist/main.js exists only
// after a build; this file is there from the clone on, so `npx live-ingestor` works once the project is built.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('live-ingestor: not built yet: run `npx nx build live-ingestor` (or `npm run build`) first\n');
  process.exit(1);
}
await import(entry.href);
