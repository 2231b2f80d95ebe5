/** --log-format json / MD_LOG_FORMAT: every line on stderr is one JSON object, configuration errors included; secrets redacted. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines as jsonLinesOf } from '@md/test-support/app-probes';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { killAll, run, tempDir } from './helpers';

afterEach(() => killAll());

const jsonLines = (stderr: string) => jsonLinesOf(stderr, 'replay-publisher');

describe('replay-publisher --log-format json', () => {
  let root: string;
  beforeAll(async () => {
    root = tempDir('replay-logs-');
    await generateSampleSession({ root, seed: 7, trades: 2000, mbp10: 1000, options: 0 });
  }, 60_000);

  it('--sink stdout: progress lines and the final statistics as JSON objects (fields, ns exact), stdout only events', async () => {
    const r = run(['--data-root', root, '--sink', 'stdout', '--speed', '0', '--progress-every', '1000', '--log-format', 'json'], {
      NATS_URL: 'nats://127.0.0.1:1',
    });
    expect(await r.exit, r.out.stderr).toBe(0);
    const lines = jsonLines(r.out.stderr);
    expect(lines.filter((l) => String(l.msg).startsWith('progress events=')).length).toBe(3);
    const end = lines.find((l) => l.msg === 'replay complete');
    expect(end, r.out.stderr).toBeDefined();
    const stats = end?.stats as Record<string, unknown>;
    expect(stats.events).toBe(3000);
    expect(stats.first_ts_event_ns).toMatch(/^\d{19}$/); // bigint ns: a decimal string, exact
    expect(r.out.stdout.trimEnd().split('\n')).toHaveLength(3000);
  });

  it('MD_LOG_FORMAT=json: a configuration error is one JSON line too (exit 2)', async () => {
    const r = run(['--data-root', root, '--speed', '-1'], { MD_LOG_FORMAT: 'json' });
    expect(await r.exit).toBe(2);
    const [line, ...more] = jsonLines(r.out.stderr);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: 'error', msg: 'replay-publisher: --speed / REPLAY_SPEED must be a number >= 0, got "-1"' });
  });

  it('secrets never appear: the URL password and NATS_PASSWORD, in JSON lines as in text', async () => {
    for (const format of ['json', 'text']) {
      const r = run(['--data-root', root, '--log-format', format, '--progress-every', '0'], {
        NATS_URL: 'nats://alice:Pa55-w0rd-in-url@127.0.0.1:1',
        NATS_PASSWORD: 'env-secret-pw-42',
      });
      expect(await r.exit).toBe(1);
      expect(r.out.stderr).not.toContain('Pa55-w0rd-in-url');
      expect(r.out.stderr).not.toContain('env-secret-pw-42');
      expect(r.out.stderr).toContain('alice:***@127.0.0.1:1');
      if (format === 'json') expect(jsonLines(r.out.stderr).some((l) => l.level === 'error')).toBe(true);
      else expect(r.out.stderr).toMatch(/^\S+Z (INFO|ERROR) /m);
    }
  });
});
