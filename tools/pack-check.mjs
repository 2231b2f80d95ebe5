#!/usr/bin/env node
// Checks that the package in the current directory is publishable and works from outside the repo:
//  1. publint (package.json exports/files/types are consistent with the build output);
//  2. are-the-types-wrong (types resolve for node10, node16-cjs, node16-esm and bundler; node10 is left out
//     for a package with subpath entries and no typesVersions);
//  3. `npm pack`, then install the tarball (with the tarballs of any @md/* dependencies) into a
//     scratch project outside the repository, and load every entry of its exports map ("." and each
//     subpath) with `import` and with `require`: both must expose the same, non-empty set of exports.
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
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });

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
  // subpath entries cannot resolve under the legacy node10 resolution without typesVersions: check the
  // node16 (CJS and ESM) and bundler resolutions there
  const subpaths = Object.keys(pkg.exports ?? {}).some((k) => k !== '.' && k !== './package.json' && !k.includes('*'));
  const profile = subpaths && !pkg.typesVersions ? ['--profile', 'node16'] : [];
  run(bin('attw'), ['--pack', '.', '--format', 'ascii', ...profile], { cwd: pkgDir });
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
  // Every entry point of the exports map (".", "./sample", ...), not patterns nor package.json.
  const entries = Object.keys(pkg.exports ?? { '.': null }).filter((k) => k !== './package.json' && !k.includes('*'));
  const counts = [];
  for (const [i, entry] of entries.entries()) {
    const spec = entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`;
    const e = load(
      `check${i}.mjs`,
      `import * as m from '${spec}';\nconsole.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()));\n`,
    );
    const c = load(`check${i}.cjs`, `const m = require('${spec}');\nconsole.log(JSON.stringify(Object.keys(m).sort()));\n`);
    if (e.length === 0) fail(`the ESM build of ${spec} exports nothing`);
    if (JSON.stringify(e) !== JSON.stringify(c)) {
      fail(`ESM and CJS exports of ${spec} differ:\n  esm: ${e.join(', ')}\n  cjs: ${c.join(', ')}`);
    }
    counts.push(`${spec} ${e.length}`);
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
  console.log(
    `pack-check ${pkg.name}: publint ok, attw ok, exports via import and require from a scratch project (${counts.join(', ')})` +
      (smokes.length ? `, ${smokes.join(' and ')} passed` : ''),
  );
} catch (e) {
  fail('scratch-project check failed', e);
} finally {
  if (!process.env.KEEP_PACK_CHECK && existsSync(work)) rmSync(work, { recursive: true, force: true });
}
