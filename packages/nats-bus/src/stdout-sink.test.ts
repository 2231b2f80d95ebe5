/**
 * StdoutSink's coalescing buffer: reused for the next lines only when the stream is done with a chunk once write()
 * returns (stdout to a file, a socket or pipe whose write completed at once), a new one otherwise. Every stream
 * kind must receive exactly the lines written, in order: a file through process.stdout (SyncWriteStream, in a
 * child process), a socket whose reader stalls (chunks queued in the stream), and a Writable that keeps the
 * chunks it is given without copying them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCHES, expected, writeAll } from './stdout-sink.fixture.js';
import { StdoutSink } from './stdout-sink.js';

describe('StdoutSink: the chunks a stream receives', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stdout-sink-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('process.stdout redirected to a file (SyncWriteStream: the buffer is reused): every line, in order', () => {
    const script = join(dir, 'child.mts');
    const src = new URL('./stdout-sink.fixture.ts', import.meta.url).pathname;
    writeFileSync(script, `import { run } from ${JSON.stringify(src)};\nawait run();\n`);
    const outFile = join(dir, 'out.txt');
    const r = spawnSync('sh', ['-c', `exec "${process.execPath}" --import tsx "${script}" > "${outFile}"`], { encoding: 'utf8' });
    expect(r.stderr).toContain('stdout: SyncWriteStream');
    expect(r.status).toBe(0);
    const got = readFileSync(outFile);
    expect(got.length).toBe(expected(BATCHES).length);
    expect(got.equals(expected(BATCHES))).toBe(true);
  });

  it('a socket whose reader stalls (chunks queued in the stream): every line, in order, after waiting', async () => {
    const received: Buffer[] = [];
    let peer: Socket | undefined;
    const server = createServer((s) => {
      peer = s;
      s.pause(); // let the kernel buffers and the writer's queue fill first
      setTimeout(() => s.resume(), 200);
      s.on('data', (d: Buffer) => received.push(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', r));
    const sink = new StdoutSink(sock);
    const waited = await writeAll(sink, BATCHES);
    await new Promise<void>((r) => sock.end(r));
    await new Promise<void>((r) => (peer as Socket).once('end', r));
    server.close();
    expect(waited).toBeGreaterThan(0); // the stream asked to wait: chunks were queued
    expect(Buffer.concat(received).equals(expected(BATCHES))).toBe(true);
  });

  it('a Writable that keeps the chunks it is given (no copy, done at once): every line, in order', async () => {
    const kept: Uint8Array[] = [];
    const w = new Writable({
      write(chunk: Uint8Array, _enc, cb) {
        kept.push(chunk); // a view of what the sink handed over
        cb();
      },
    });
    await writeAll(new StdoutSink(w), BATCHES);
    expect(kept.length).toBeGreaterThan(50);
    expect(Buffer.concat(kept).equals(expected(BATCHES))).toBe(true);
  });
});
