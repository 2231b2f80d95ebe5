/**
 * VendorSession (@md/polygon-normalizer/session) against the fake vendor of @md/test-support: a real `ws`
 * server on loopback. The engine-level behaviour (counters, strikes, sinks) is tested in @md/live-engine.
 */
import { isUtf8 } from 'node:buffer';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameError, type ParsedFrame } from '@md/polygon-normalizer';
import {
  AuthError,
  describeConnectError,
  firstInvalidUtf8Offset,
  VendorSession,
  type SessionOptions,
} from '@md/polygon-normalizer/session';
import { rng, until } from '@md/test-support';
import { FAKE_API_KEY, FakeVendor, type FakeVendorOptions } from '@md/test-support/fake-vendor';

describe('firstInvalidUtf8Offset', () => {
  it('finds the first bad byte (agrees with isUtf8 on the prefix)', () => {
    const cases: [number[], number][] = [
      [[0x61, 0xff, 0x62], 1],
      [[0x61, 0xc3, 0xa9, 0x62, 0xc3], 4], // truncated 2-byte sequence at the end
      [[0xe2, 0x82, 0xac, 0xed, 0xa0, 0x80], 3], // a surrogate (ED A0 80)
      [[0xc0, 0xaf], 0], // overlong
      [[0xf0, 0x9f, 0x98, 0x80, 0xf4, 0x90, 0x80, 0x80], 4], // > U+10FFFF
      [[0x7b, 0x22, 0x80], 2], // lone continuation byte
    ];
    for (const [bytes, at] of cases) {
      const b = Buffer.from(bytes);
      expect(isUtf8(b)).toBe(false);
      expect(firstInvalidUtf8Offset(b), Buffer.from(bytes).toString('hex')).toBe(at);
      expect(isUtf8(b.subarray(0, at))).toBe(true);
    }
    // random bytes: the offset is always where the valid prefix ends
    const r = rng(7);
    const rnd = () => Math.floor(r() * 256);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(Array.from({ length: 1 + (i % 12) }, () => (rnd() < 200 ? 0x41 + (rnd() % 20) : rnd())));
      if (isUtf8(b)) continue;
      const at = firstInvalidUtf8Offset(b);
      expect(isUtf8(b.subarray(0, at))).toBe(true);
      // the prefix cannot be extended by any whole sequence starting at `at`
      for (let k = at + 1; k <= Math.min(b.length, at + 4); k++) expect(isUtf8(b.subarray(0, k))).toBe(false);
    }
  });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function fake(opts: FakeVendorOptions = {}): Promise<FakeVendor> {
  const fv = await FakeVendor.start(opts);
  cleanups.push(() => fv.close());
  return fv;
}

/** a stocks session on the fake vendor, with fast timings; frames, logs and fatal errors collected */
function session(fv: FakeVendor, over: Partial<SessionOptions> = {}) {
  const frames: ParsedFrame[] = [];
  const logs: string[] = [];
  const fatal: Error[] = [];
  let clock = 1_000n;
  const s = new VendorSession({
    name: 'stocks',
    url: fv.url('stocks'),
    apiKey: FAKE_API_KEY,
    cluster: 'stocks',
    log: (level, msg) => logs.push(`${level} ${msg}`),
    onFrame: (p) => frames.push(p),
    onFatal: (e) => fatal.push(e),
    nowNs: () => clock++,
    maxPayload: 1 << 20,
    idleTimeoutMs: 60_000,
    pingIntervalMs: 20_000,
    stepTimeoutMs: 5_000,
    backoffInitialMs: 20,
    backoffMaxMs: 100,
    stableResetMs: 60_000,
    maxConnectionsCooldownMs: 60_000,
    ...over,
  });
  cleanups.push(() => s.close());
  return { s, frames, logs, fatal };
}

describe('VendorSession', () => {
  it('connect, auth, the desired set in chunks; apply() while streaming sends unsubscribe first; frames in order', async () => {
    const fv = await fake();
    const { s, frames } = session(fv, { chunkSize: 2 });
    s.apply({ subscribe: ['T.A', 'T.B', 'T.C', 'T.D', 'T.E'], unsubscribe: [] });
    s.start();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 5, 5000, 'subscriptions');
    expect(s.isStreaming).toBe(true);
    expect(fv.messages.map((m) => `${m.action} ${m.params}`)).toEqual([
      `auth ${FAKE_API_KEY}`,
      'subscribe T.A,T.B',
      'subscribe T.C,T.D',
      'subscribe T.E',
    ]);
    const mark = fv.messages.length;
    s.apply({ subscribe: ['T.F'], unsubscribe: ['T.A'] });
    await fv.waitFor(() => fv.subscriptions('stocks').has('T.F'), 5000, 'T.F');
    expect(fv.messages.slice(mark).map((m) => `${m.action} ${m.params}`)).toEqual(['unsubscribe T.A', 'subscribe T.F']);
    expect(s.subscriptions().sort()).toEqual(['T.B', 'T.C', 'T.D', 'T.E', 'T.F']);
    await until(() => s.stats.subscribeAcks === 6 && s.stats.unsubscribeAcks === 1, 5000, 'acks');

    const before = frames.length; // connected, auth_success and the ack frames
    fv.broadcast('stocks', '[{"ev":"T","sym":"SPY","x":12,"p":676.41,"s":100,"t":1765898100058,"q":1}]');
    await until(() => frames.length === before + 1, 5000, 'the data frame');
    const p = frames.at(-1);
    expect(p?.messages.map((m) => m.kind)).toEqual(['stock_trade']);
    expect(frames.map((f) => f.receivedAtNs)).toEqual(frames.map((_, i) => 1_000n + BigInt(i)));
    expect(s.stats).toMatchObject({ connects: 1, reconnects: 0, frames: before + 1, authFailures: 0 });
  });

  it('a dropped connection: reconnect with backoff, re-auth, the current set again; the gap is logged', async () => {
    const fv = await fake();
    const { s, logs } = session(fv);
    s.apply({ subscribe: ['T.SPY', 'Q.SPY'], unsubscribe: [] });
    s.start();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 5000, 'subscriptions');
    s.apply({ subscribe: [], unsubscribe: ['Q.SPY'] });
    await fv.waitFor(() => fv.subscriptions('stocks').size === 1, 5000, 'unsubscribe');
    fv.dropAll();
    await fv.waitFor(() => fv.connections.length === 2 && fv.subscriptions('stocks').size === 1, 5000, 'resubscription');
    expect([...fv.subscriptions('stocks')]).toEqual(['T.SPY']);
    expect(fv.authAttempts).toBe(2);
    expect(s.stats.reconnects).toBe(1);
    expect(logs.some((l) => /^warn stocks: connection closed \(code 1006\); reconnect #1 in \d+ ms$/.test(l))).toBe(true);
    await until(() => logs.some((l) => /stocks: authenticated at .* \(reconnected: data gap from /.test(l)), 5000, 'gap log');
    expect(logs.join('\n')).not.toContain(FAKE_API_KEY);
  });

  it('auth refused: onFatal(AuthError) once, no retry', async () => {
    const fv = await fake({ auth: 'plan' });
    const { s, fatal, logs } = session(fv);
    s.apply({ subscribe: ['T.SPY'], unsubscribe: [] });
    s.start();
    await until(() => fatal.length === 1, 5000, 'fatal');
    expect(fatal[0]).toBeInstanceOf(AuthError);
    expect(fatal[0]?.message).toMatch(/plan does not include WebSocket access for this feed.*Not retrying\.$/);
    await new Promise((r) => setTimeout(r, 200)); // more than the backoff
    expect(fv.authAttempts).toBe(1);
    expect(s.stats.authFailures).toBe(1);
    expect(logs.some((l) => /reconnect #/.test(l))).toBe(false);
  });

  it('a frame that is not valid UTF-8 reaches onFrame as a FrameError of the main entry, the socket stays open', async () => {
    const fv = await fake();
    const { s, frames } = session(fv);
    s.apply({ subscribe: ['T.SPY'], unsubscribe: [] });
    s.start();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 1, 5000, 'subscription');
    fv.broadcast('stocks', Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d])); // ["\xff"]
    await until(() => frames.some((f) => f.frameError), 5000, 'the frame');
    const err = frames.find((f) => f.frameError)?.frameError;
    expect(err).toBeInstanceOf(FrameError);
    expect(err?.frame).toBe(`stocks#${s.stats.frames}`);
    expect(err?.message).toContain('not valid UTF-8: first invalid byte at offset 2 of 5 (bytes ff 22 5d)');
    expect(s.stats.reconnects).toBe(0);
  });

  it('close(): the socket closes with 1000 and the session does not reconnect', async () => {
    const fv = await fake();
    const { s } = session(fv);
    s.start();
    await fv.waitFor(() => fv.live('stocks').length === 1, 5000, 'connection');
    const conn = fv.live('stocks')[0];
    const code = new Promise<number>((r) => conn?.ws.on('close', (c) => r(c)));
    await s.close();
    expect(await code).toBe(1000);
    expect(s.isStreaming).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(fv.connections).toHaveLength(1);
    s.start(); // stopped for good: start() does nothing
    await new Promise((r) => setTimeout(r, 100));
    expect(fv.connections).toHaveLength(1);
  });
});

describe('a socket that never opened is reported as what it was, once per attempt', () => {
  const freePort = async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
  };
  const attempts = (logs: string[]) => logs.filter((l) => /reconnect #\d+ in/.test(l));

  it('connection refused: one line per attempt naming it, no "socket error" and no "connection closed (code 1006)"', async () => {
    const fv = await fake();
    const port = await freePort();
    const { s, logs } = session(fv, { url: `ws://127.0.0.1:${port}/stocks` });
    s.start();
    await until(() => attempts(logs).length >= 3, 10_000, 'three attempts');
    s.close();
    for (const l of attempts(logs))
      expect(l).toMatch(
        new RegExp(
          `^warn stocks: could not connect to ws://127\\.0\\.0\\.1:${port}/stocks: connection refused by 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); reconnect #\\d+ in \\d+ ms$`,
        ),
      );
    expect(logs.join('\n')).not.toMatch(/socket error|code 1006/);
    expect(logs.filter((l) => l.includes('ECONNREFUSED')).length).toBe(attempts(logs).length);
  });

  it('an HTTP status instead of the upgrade (401): said as such', async () => {
    const fv = await fake();
    const http = createServer((_req, res) => res.writeHead(401).end('unauthorized'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => http.close(() => r(undefined))));
    const port = (http.address() as AddressInfo).port;
    const { s, logs } = session(fv, { url: `ws://127.0.0.1:${port}/stocks` });
    s.start();
    await until(() => attempts(logs).length >= 2, 10_000, 'two attempts');
    s.close();
    expect(attempts(logs)[0]).toContain('the server answered HTTP 401 instead of upgrading to a WebSocket; reconnect #1 in');
    expect(logs.join('\n')).not.toMatch(/socket error|code 1006/);
  });

  it('a host that does not resolve: the DNS failure, once per attempt', async () => {
    const fv = await fake();
    const { s, logs } = session(fv, { url: 'ws://socket.nonexistent.invalid/stocks' }); // .invalid never resolves (RFC 6761)
    s.start();
    await until(() => attempts(logs).length >= 2, 30_000, 'two attempts');
    s.close();
    for (const l of attempts(logs))
      expect(l).toMatch(
        /^warn stocks: could not connect to ws:\/\/socket\.nonexistent\.invalid\/stocks: DNS lookup of socket\.nonexistent\.invalid failed \((ENOTFOUND|EAI_AGAIN: temporary)\); reconnect #\d+ in \d+ ms$/,
      );
    expect(logs.join('\n')).not.toMatch(/socket error|code 1006/);
  }, 40_000);

  it('describeConnectError names DNS failures, resets, TLS and falls back to the message', () => {
    const e = (message: string, extra: Record<string, unknown>) => Object.assign(new Error(message), extra);
    expect(
      describeConnectError(e('getaddrinfo ENOTFOUND socket.example.invalid', { code: 'ENOTFOUND', hostname: 'socket.example.invalid' })),
    ).toBe('DNS lookup of socket.example.invalid failed (ENOTFOUND)');
    expect(describeConnectError(e('getaddrinfo EAI_AGAIN h', { code: 'EAI_AGAIN', hostname: 'h' }))).toBe(
      'DNS lookup of h failed (EAI_AGAIN: temporary)',
    );
    expect(describeConnectError(e('read ECONNRESET', { code: 'ECONNRESET' }))).toBe('connection reset (ECONNRESET)');
    expect(describeConnectError(e('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toBe(
      'TLS handshake failed: self-signed certificate',
    );
    expect(describeConnectError(e('Opening handshake has timed out', {}))).toBe('Opening handshake has timed out');
  });
});
