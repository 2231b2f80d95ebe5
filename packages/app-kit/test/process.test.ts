/** The kit in a real child process (test/fixtures/child.ts through tsx): exit codes, signals, EPIPE. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const CHILD = resolve(import.meta.dirname, 'fixtures/child.ts');
const procs: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

function run(args: string[], env: Record<string, string> = {}) {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  procs.push(p);
  const out = { stdout: '', stderr: '' };
  p.stdout.on('data', (d) => (out.stdout += d));
  p.stderr.on('data', (d) => (out.stderr += d));
  const exit = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  const until = async (re: RegExp, ms = 20_000) => {
    const t0 = Date.now();
    while (!re.test(out.stderr)) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re}; stderr: ${out.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { p, out, exit, until };
}

describe('runMain in a child process', () => {
  it('0: main returned 0, stdout flushed', async () => {
    const r = run(['--mode', 'ok']);
    expect(await r.exit).toBe(0);
    expect(r.out.stdout).toBe('hello\n');
    expect(r.out.stderr).toBe('');
  });

  it('never hangs: something left holding the event loop, exit with the code after ~2 s', async () => {
    const t0 = Date.now();
    const r = run(['--mode', 'linger']);
    expect(await r.exit).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
  });

  it('an app-specific code (4)', async () => {
    expect(await run(['--mode', 'code']).exit).toBe(4);
  });

  it('1: an unexpected error, with its stack, secrets redacted', async () => {
    const r = run(['--mode', 'fatal'], { CHILD_KEY: 'sekret-key-98765' });
    expect(await r.exit).toBe(1);
    expect(r.out.stderr).toMatch(/^child: fatal: Error: boom with \*\*\*\n\s+at /);
    expect(r.out.stderr).not.toContain('sekret-key-98765');
  });

  it('2: a ConfigError, one line, no stack; also a bad flag', async () => {
    const r = run(['--mode', 'config'], { CHILD_KEY: 'sekret-key-98765' });
    expect(await r.exit).toBe(2);
    expect(r.out.stderr).toBe('child: --speed must be a number >= 0, got "x" (***)\n');
    const bad = run(['--mdoe', 'ok']);
    expect(await bad.exit).toBe(2);
    expect(bad.out.stderr).toBe("child: Unknown option '--mdoe', did you mean '--mode'? (see --help)\n");
  });

  it('SIGTERM: graceful (the handler runs, main returns, exit 0)', async () => {
    const r = run(['--mode', 'graceful']);
    await r.until(/INFO ready/);
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.out.stderr).toMatch(/INFO SIGTERM: stopping, waiting for the handlers\n.*INFO stop handler: SIGTERM\n$/);
  });

  it('SIGINT, then a second signal while stopping: 130 at once', async () => {
    const r = run(['--mode', 'stuck']);
    await r.until(/INFO ready/);
    r.p.kill('SIGINT');
    await r.until(/stop handler: SIGINT/);
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(130);
    expect(r.out.stderr).toMatch(/WARN SIGTERM again: exiting without waiting/);
  });

  it('the shutdown timeout ends a stop that takes too long, with its code', async () => {
    const r = run(['--mode', 'timeout']);
    await r.until(/INFO ready/);
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(5);
    expect(r.out.stderr).toMatch(/ERROR shutdown took longer than 200 ms: exiting/);
  });

  it('EPIPE: the reader goes away -> the stop handler runs, exit 0', async () => {
    const r = run(['--mode', 'epipe']);
    await r.until(/INFO ready/);
    while (!r.out.stdout.includes('\n')) await new Promise((res) => setTimeout(res, 10));
    r.p.stdout.destroy();
    expect(await r.exit).toBe(0);
    expect(r.out.stderr).toMatch(/WARN stdout closed \(EPIPE\): stopping\n.*INFO stopped writing\n$/);
  });
});
