#!/usr/bin/env node
// Committed launcher: npm links a bin only when its file exists at install time, and dist/cli.js exists only
// after a build; this file is there from the clone on, so `npx dbn` works once the project is built.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('dbn: not built yet: run `npx nx build dbn-reader` (or `npm run build`) first\n');
  process.exit(1);
}
await import(entry.href);
