// Run by tools/pack-check.mjs in a scratch project where the packed tarball is installed (ESM).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isoNs, jsonWithBigints, MD_EXIT, parseMdArgs, parseSince } from '@md/cli';

assert.equal(parseSince('2025-12-16T14:35:00.112000001Z'), 1765895700112000001n);
assert.equal(isoNs(1765895700112000001n), '2025-12-16T14:35:00.112000001Z');
assert.equal(jsonWithBigints({ t: 1765895700112000001n }), '{"t":1765895700112000001}');
assert.deepEqual(MD_EXIT, { ok: 0, error: 1, usage: 2, findings: 3 });
assert.equal(parseMdArgs(['audit', '--json'], {}).json, true);

// the `md` bin from the tarball: help (exit 0) and a usage error (exit 2)
const bin = join(dirname(createRequire(import.meta.url).resolve('@md/cli/package.json')), 'bin', 'md.mjs');
assert.match(execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' }), /^md: look at the market-data bus/);
const bad = spawnSync(process.execPath, [bin, 'tial'], { encoding: 'utf8' });
assert.equal(bad.status, 2);
assert.match(bad.stderr, /did you mean 'tail'\?/);
