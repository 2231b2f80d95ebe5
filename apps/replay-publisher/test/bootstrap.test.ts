/**
 * Zero configuration, the NATS side: the app's bus (@md/nats-bus's openAppBus with the options main gives it,
 * busOptions of the parsed configuration): the local nats-server fallback and MARKET_DATA. The cached sample
 * session is @md/replay-engine's (packages/replay-engine/test/sample.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { connectBus, ensureStream, openAppBus } from '@md/nats-bus';
import { startNatsServer } from '@md/nats-bus/testing';
import { busOptions, parseConfig, type ReplayConfig } from '../src/config';

/** the bus main opens for these arguments and this environment, its log lines collected */
function openBus(argv: string[], env: Record<string, string>, logs: string[] = []) {
  const cfg = parseConfig(argv, env) as ReplayConfig;
  return openAppBus(busOptions(cfg, env, (level, m) => logs.push(`${level} ${m}`)));
}

describe('NATS bootstrap', () => {
  it('nothing answers at the default URL: a local nats-server is started, MARKET_DATA created, stopped by close()', async () => {
    const logs: string[] = [];
    const bus = await openBus(['--local-server'], { NATS_URL: 'nats://127.0.0.1:1' }, logs);
    try {
      expect(bus.server).not.toBeNull();
      expect(bus.url).toBe(bus.server!.url);
      expect(bus.stream.action).toBe('created');
      expect(bus.stream.info.config.subjects).toEqual(['market.>']);
      expect(logs.join('\n')).toMatch(/no NATS server at nats:\/\/127\.0\.0\.1:1: starting a local nats-server/);
    } finally {
      await bus.close();
    }
    expect(bus.server!.running).toBe(false);
  });

  it('an existing MARKET_DATA with other settings is used as it is; one with other subjects is refused', async () => {
    const server = await startNatsServer();
    const nc = await connectBus({ servers: server.url });
    try {
      await ensureStream(nc, { maxAgeNs: 3_600_000_000_000n, duplicateWindowNs: 60_000_000_000n });
      const logs: string[] = [];
      const bus = await openBus(['--nats-url', server.url], {}, logs);
      expect(bus.stream.action).toBe('exists');
      expect(bus.stream.info.config.max_age).toBe(3_600_000_000_000);
      await bus.close();
      expect(logs.join('\n')).toMatch(
        /stream MARKET_DATA exists \(1 replica\(s\)\); its settings differ from this app's defaults \(max_age 3600000000000, duplicate_window 60000000000\): used as it is/,
      );
      await nc.request('$JS.API.STREAM.DELETE.MARKET_DATA', new Uint8Array(0), { timeout: 10_000 });
      await ensureStream(nc, { subjects: ['market.futures.>'] });
      await expect(openBus(['--nats-url', server.url], {})).rejects.toThrow(
        /subjects: expected \["market\.>"\], found \["market\.futures\.>"\]/,
      );
    } finally {
      await nc.close();
      await server.dispose();
    }
  });

  it('a configured URL that does not answer and no fallback: a clear error naming it', async () => {
    await expect(openBus(['--nats-url', 'nats://127.0.0.1:1'], {})).rejects.toThrow(/127\.0\.0\.1:1/);
  });

  it('nats-server missing: the error names the install command', async () => {
    const prev = process.env.NATS_SERVER_BIN;
    process.env.NATS_SERVER_BIN = '/nonexistent/nats-server';
    try {
      await expect(openBus(['--local-server'], { NATS_URL: 'nats://127.0.0.1:1' })).rejects.toThrow(/apt-get install -y nats-server/);
    } finally {
      if (prev === undefined) delete process.env.NATS_SERVER_BIN;
      else process.env.NATS_SERVER_BIN = prev;
    }
  });
});
