/** Runs the BUILT `dbn` command (dist/cli.js) as a child process; rebuilds first when dist is missing or stale. */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { PKG } from './events-helpers.js';

export const CLI = join(PKG, 'dist', 'cli.js');

export function buildCliIfStale(): void {
  const stale =
    !existsSync(CLI) || readdirSync(join(PKG, 'src')).some((f) => statSync(join(PKG, 'src', f)).mtimeMs > statSync(CLI).mtimeMs);
  if (stale) execFileSync('npx', ['tsup'], { cwd: PKG, stdio: 'ignore', timeout: 180_000 });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function dbn(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** runs a command expected to succeed (its stderr shows in the failure) */
export async function ok(...args: string[]): Promise<string> {
  const r = await dbn(...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

export function dbnStdin(input: Uint8Array, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(input);
  });
}

export const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
