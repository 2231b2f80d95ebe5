#!/usr/bin/env node
// Committed launcher: npm links a bin only when its file exists at install time, and dist/cli.js exists only
// after a build; this file is there from the clone on, so `npx md` works once the project is built.
// dist/cli.js imports the built @md/app-kit, @md/event-types and @md/nats-bus: `nx build md-cli` builds them first.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('md: not built yet: run `npx nx build md-cli` (or `npm run build`) first\n');
  process.exit(1);
}
try {
  await import(entry.href);
} catch (e) {
  // a workspace dependency without its dist (cloned, only md-cli built by hand)
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !/@md\//.test(String(e?.message))) throw e;
  process.stderr.write(`md: a dependency is not built yet (${e.message}): run \`npx nx build md-cli\` first\n`);
  process.exit(1);
}
