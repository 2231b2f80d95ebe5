/**
 * Programs as child processes for process-level tests: `node --import tsx <script>` with a minimal
 * environment, its output collected, its exit awaited, and every one started killed by `killAll()`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** a running program: the child, its output so far, and its exit code (null when killed by a signal) */
export interface Proc {
  p: ChildProcessWithoutNullStreams;
  out: { stdout: string; stderr: string };
  exit: Promise<number | null>;
}

export interface RunOptions {
  /** the working directory of the child */
  cwd: string;
  /** added to the minimal environment (PATH and HOME of the test process only) */
  env?: Record<string, string>;
}

const procs: ChildProcessWithoutNullStreams[] = [];

/**
 * `script` (a TypeScript entry point) run through tsx as a child process with PATH, HOME and `env` only;
 * stdout and stderr collected into `out`. The child is tracked for `killAll()`.
 */
export function runTsx(script: string, args: readonly string[], o: RunOptions): Proc {
  const p = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...o.env },
  });
  procs.push(p);
  const out = { stdout: '', stderr: '' };
  p.stdout.on('data', (d) => (out.stdout += d));
  p.stderr.on('data', (d) => (out.stderr += d));
  const exit = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  return { p, out, exit };
}

/** SIGKILL every child started by `runTsx` (in this test file) that is still running; for afterEach/afterAll */
export function killAll(): void {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}
