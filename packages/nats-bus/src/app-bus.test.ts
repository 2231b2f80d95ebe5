import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_NAME, STREAM_SUBJECTS, SUBJECTS } from '@md/event-types';
import {
  BusConnectError,
  connectBus,
  ensureStream,
  lastMessageOn,
  NatsBusError,
  openAppBus,
  StreamConfigMismatchError,
  type AppBusLogLevel,
  type NatsConnection,
} from './index.js';
import { NatsServerNotInstalledError, startNatsServer, type LocalNatsServer } from './testing.js';
import { fakeBody } from './test-util.js';

type Line = { level: AppBusLogLevel; msg: string };
const collect = (lines: Line[]) => (level: AppBusLogLevel, msg: string) => lines.push({ level, msg });
const text = (lines: Line[]) => lines.map((l) => `${l.level} ${l.msg}`).join('\n');
/** nothing listens on port 1 */
const NOBODY = 'nats://127.0.0.1:1';

describe('openAppBus: local-server mode', () => {
  it('nothing answers: a local nats-server is started, MARKET_DATA created, the publisher works, close() stops the server', async () => {
    const lines: Line[] = [];
    const bus = await openAppBus({ name: 'test-app', url: null, env: { NATS_URL: NOBODY }, localServer: true, log: collect(lines) });
    const server = bus.server;
    try {
      expect(server).not.toBeNull();
      expect(server!.running).toBe(true);
      expect(bus.url).toBe(server!.url);
      expect(bus.stream.action).toBe('created');
      expect(bus.stream.info.config).toMatchObject({ name: STREAM_NAME, subjects: [...STREAM_SUBJECTS], num_replicas: 1 });
      expect([bus.replicas, bus.mode, bus.window]).toEqual([1, 'ack', 1024]);
      const t = text(lines);
      expect(t).toMatch(/info no NATS server at nats:\/\/127\.0\.0\.1:1: starting a local nats-server \(JetStream, temporary store\)/);
      expect(t).toMatch(/info local nats-server nats:\/\/127\.0\.0\.1:\d+ \(pid \d+, store [^)]+\); it stops when the bus is closed/);
      expect(t).toMatch(/info nats: connected to 127\.0\.0\.1:\d+/);
      expect(t).toMatch(/info nats: stream MARKET_DATA created \(1 replica\(s\)\)$/m);
      expect(t).toMatch(/info nats: publish mode ack \(window 1024\)/);

      const pub = bus.publisher({ ackTimeoutMs: 2000 });
      expect([pub.mode, pub.window]).toEqual(['ack', 1024]);
      await pub.publishEncoded(SUBJECTS.futuresTrades, fakeBody(7), 'appbus-local-7', 'futures.trades.v1');
      await pub.close();
      const m = await lastMessageOn(bus.nc, STREAM_NAME, SUBJECTS.futuresTrades);
      expect(m?.msgId).toBe('appbus-local-7');
    } finally {
      await bus.close();
    }
    expect(server!.running).toBe(false);
    expect(bus.nc.isClosed()).toBe(true);
    await bus.close(); // idempotent
  });

  it('a server answering at the URL is used: no local server', async () => {
    const srv = await startNatsServer();
    try {
      const bus = await openAppBus({ name: 'test-app', url: srv.url, localServer: true });
      expect(bus.server).toBeNull();
      expect(bus.url).toBe(srv.url);
      await bus.close();
      expect(srv.running).toBe(true); // not ours to stop
    } finally {
      await srv.dispose();
    }
  });

  it('nothing answers and no local server: BusConnectError naming the URL', async () => {
    const err = await openAppBus({ name: 'test-app', url: NOBODY }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusConnectError);
    expect((err as Error).message).toMatch(/127\.0\.0\.1:1/);
  });

  it('nats-server missing: NatsServerNotInstalledError naming the install command', async () => {
    const prev = process.env.NATS_SERVER_BIN;
    process.env.NATS_SERVER_BIN = '/nonexistent/nats-server';
    try {
      const err = await openAppBus({ name: 'test-app', url: null, env: { NATS_URL: NOBODY }, localServer: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NatsServerNotInstalledError);
      expect((err as Error).message).toMatch(/apt-get install -y nats-server/);
    } finally {
      if (prev === undefined) delete process.env.NATS_SERVER_BIN;
      else process.env.NATS_SERVER_BIN = prev;
    }
  });

  it('invalid options are RangeErrors before anything starts', async () => {
    const lines: Line[] = [];
    const base = { name: 'test-app', url: null, env: { NATS_URL: NOBODY }, localServer: true, log: collect(lines) };
    await expect(openAppBus({ ...base, replicas: 7 })).rejects.toThrow(RangeError);
    await expect(openAppBus({ ...base, window: 0 })).rejects.toThrow(/window must be a positive integer/);
    await expect(openAppBus({ ...base, mode: 'fast' as never })).rejects.toThrow(/'ack' or 'batch'/);
    await expect(openAppBus({ ...base, env: { NATS_URL: NOBODY, NATS_STREAM_REPLICAS: '9' } })).rejects.toThrow(/NATS_STREAM_REPLICAS/);
    expect(lines).toEqual([]); // no server was started
  });
});

describe('openAppBus: an existing stream, credentials', () => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  const jsApi = (subject: string) => nc.request(subject, new Uint8Array(0), { timeout: 10_000 });
  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
  });
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  it("other settings: accepted as they are by the default 'subjects' policy, the differences returned and logged", async () => {
    await ensureStream(nc, { maxAgeNs: 3_600_000_000_000n, duplicateWindowNs: 60_000_000_000n });
    const lines: Line[] = [];
    const bus = await openAppBus({ name: 'test-app', url: srv.url, mode: 'batch', window: 2048, log: collect(lines) });
    try {
      expect(bus.stream.action).toBe('exists');
      expect(bus.stream.info.config.max_age).toBe(3_600_000_000_000);
      expect(bus.stream.differences).toEqual([
        { field: 'max_age', expected: 86_400_000_000_000, actual: 3_600_000_000_000 },
        { field: 'duplicate_window', expected: 120_000_000_000, actual: 60_000_000_000 },
      ]);
      expect(text(lines)).toContain(
        "info nats: stream MARKET_DATA exists (1 replica(s)); its settings differ from this app's defaults " +
          '(max_age 3600000000000, duplicate_window 60000000000): used as it is',
      );
      // one replica: batch mode stays, with the window asked for
      expect([bus.mode, bus.window]).toEqual(['batch', 2048]);
      expect(bus.publisher().mode).toBe('batch');
    } finally {
      await bus.close();
    }
    // a stricter policy refuses the same stream, and leaves nothing open
    await expect(openAppBus({ name: 'test-app', url: srv.url, acceptExisting: 'exact' })).rejects.toThrow(StreamConfigMismatchError);
    await jsApi('$JS.API.STREAM.DELETE.MARKET_DATA');
  });

  it('other subjects: refused (events would not be stored)', async () => {
    await ensureStream(nc, { subjects: ['market.futures.>'] });
    try {
      const err = await openAppBus({ name: 'test-app', url: srv.url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StreamConfigMismatchError);
      expect(err).toBeInstanceOf(NatsBusError);
      expect((err as Error).message).toMatch(/subjects: expected \["market\.>"\], found \["market\.futures\.>"\]/);
    } finally {
      await jsApi('$JS.API.STREAM.DELETE.MARKET_DATA');
    }
  });

  it('credentials in the URL: used to log in, hidden in url, logs and redact()', async () => {
    const auth = await startNatsServer({ configText: 'authorization {\n  user: alice\n  password: "s3cret-pw"\n}\n' });
    try {
      const lines: Line[] = [];
      const url = `nats://alice:s3cret-pw@127.0.0.1:${auth.port}`;
      const bus = await openAppBus({ name: 'test-app', url, log: collect(lines) });
      try {
        expect(bus.url).toBe(`nats://alice:***@127.0.0.1:${auth.port}`);
        expect(bus.redact(`failed at ${url} with s3cret-pw`)).toBe(`failed at nats://alice:***@127.0.0.1:${auth.port} with ***`);
        expect(text(lines)).not.toContain('s3cret-pw');
      } finally {
        await bus.close();
      }
      const err = await openAppBus({ name: 'test-app', url: `nats://alice:wrong-pw@127.0.0.1:${auth.port}` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BusConnectError);
      expect((err as BusConnectError).kind).toBe('auth');
      expect((err as Error).message).not.toContain('wrong-pw');
    } finally {
      await auth.dispose();
    }
  });
});
