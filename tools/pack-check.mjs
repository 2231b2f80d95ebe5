#!/usr/bin/env node
// Checks that the package in the current directory is publishable and works from outside the repo:
//  1. publint (package.json exports/files/types are consistent with the build output);
//  2. are-the-types-wrong (types resolve for node10, node16-cjs, node16-esm and bundler);
//  3. `npm pack`, then install the tarball (with the tarballs of any @md/* dependencies) into a
//     scratch project outside the repository, and load it with
//     `import` and with `require`: both must expose the same, non-empty set of exports.
//  4. runs pack-smoke.mjs / pack-smoke.cjs from the package directory there, when present.
// Usage: node tools/pack-check.mjs   (from a package directory, after its build)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = process.cwd();
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const bin = (name) => join(repo, 'node_modules', '.bin', name);
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });

function fail(msg, err) {
  console.error(`pack-check ${pkg.name}: ${msg}`);
  if (err) console.error(String(err.stdout ?? ''), String(err.stderr ?? err.message ?? err));
  process.exit(1);
}

try {
  run(bin('publint'), ['--strict'], { cwd: pkgDir });
} catch (e) {
  fail('publint found problems', e);
}
try {
  run(bin('attw'), ['--pack', '.', '--format', 'ascii'], { cwd: pkgDir });
} catch (e) {
  fail('are-the-types-wrong found problems', e);
}

const work = mkdtempSync(join(tmpdir(), 'md-pack-check-'));
try {
  // Pack this package and every workspace package it depends on (transitively).
  const tarballs = [];
  const seen = new Set();
  const packOne = (dir) => {
    const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (seen.has(p.name)) return;
    seen.add(p.name);
    for (const dep of Object.keys(p.dependencies ?? {})) {
      if (dep.startsWith('@md/')) packOne(join(repo, 'packages', dep.slice(4)));
    }
    const out = run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: dir }).trim().split('\n').pop();
    tarballs.push(join(work, out));
  };
  packOne(pkgDir);

  // One scratch project (no "type" field), loaded once as ESM (check.mjs) and once as CJS (check.cjs).
  // Install scripts of dependencies are blocked by npm 11 unless allowed: allow the ones we use.
  const dir = join(work, 'scratch');
  run('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, allowScripts: { 'zstd-napi': true } }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', ...tarballs], { cwd: dir });
  const load = (file, code) => {
    writeFileSync(join(dir, file), code);
    return JSON.parse(run(process.execPath, [file], { cwd: dir }).trim().split('\n').pop());
  };
  const esm = load('check.mjs', `import * as m from '${pkg.name}';\nconsole.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()));\n`);
  const cjs = load('check.cjs', `const m = require('${pkg.name}');\nconsole.log(JSON.stringify(Object.keys(m).sort()));\n`);
  if (esm.length === 0) fail('the ESM build exports nothing');
  if (JSON.stringify(esm) !== JSON.stringify(cjs)) {
    fail(`ESM and CJS exports differ:\n  esm: ${esm.join(', ')}\n  cjs: ${cjs.join(', ')}`);
  }
  // Optional package-provided smoke scripts, run in the scratch project: pack-smoke.mjs / pack-smoke.cjs.
  const smokes = [];
  for (const f of ['pack-smoke.mjs', 'pack-smoke.cjs']) {
    if (!existsSync(join(pkgDir, f))) continue;
    writeFileSync(join(dir, f), readFileSync(join(pkgDir, f)));
    try {
      run(process.execPath, [f], { cwd: dir });
    } catch (e) {
      fail(`${f} failed in the scratch project`, e);
    }
    smokes.push(f);
  }
  console.log(`pack-check ${pkg.name}: publint ok, attw ok, ${esm.length} exports via import and require from a scratch project` +
    (smokes.length ? `, ${smokes.join(' and ')} passed` : ''));
} catch (e) {
  fail('scratch-project check failed', e);
} finally {
  if (!process.env.KEEP_PACK_CHECK && existsSync(work)) rmSync(work, { recursive: true, force: true });
}
