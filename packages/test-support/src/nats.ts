/**
 * A real local nats-server with MARKET_DATA for tests (through @md/nats-bus and @md/nats-bus/testing), and
 * reading back what was stored. Kept off the main entry so tests without NATS never load it.
 */
import { connectBus, consumeEvents, ensureStream, JetStreamPublisher, type NatsConnection } from '@md/nats-bus';
import { startNatsServer, type LocalNatsServer } from '@md/nats-bus/testing';

/** a started nats-server, a connection to it and its MARKET_DATA stream */
export interface Bus {
  server: LocalNatsServer;
  nc: NatsConnection;
  /** a new ack-mode publisher on the connection */
  publisher(): JetStreamPublisher;
  /** the number of messages in MARKET_DATA */
  count(): Promise<number>;
  /** a new, empty MARKET_DATA (deleted and created again: a purge would keep the duplicate window's ids) */
  purge(): Promise<void>;
  /** the connection closed and the server stopped */
  close(): Promise<void>;
}

/** a local nats-server with MARKET_DATA */
export async function startBus(): Promise<Bus> {
  const server = await startNatsServer();
  const nc = await connectBus({ servers: server.url });
  await ensureStream(nc);
  return {
    server,
    nc,
    publisher: () => new JetStreamPublisher(nc, { mode: 'ack' }),
    async count() {
      return Number((await ensureStream(nc)).info.state.messages);
    },
    async purge() {
      const r = await nc.request('$JS.API.STREAM.DELETE.MARKET_DATA', new Uint8Array(0), { timeout: 10_000 });
      const body = JSON.parse(new TextDecoder().decode(r.data)) as { success?: boolean; error?: unknown };
      if (!body.success) throw new Error(`stream delete failed: ${JSON.stringify(body.error)}`);
      await ensureStream(nc);
    },
    async close() {
      await nc.close();
      await server.dispose();
    },
  };
}

/** one stored message of MARKET_DATA */
export interface Stored {
  subject: string;
  msgId: string | undefined;
  seq: number;
  data: Uint8Array;
  tsEvent: bigint;
}

/** every message of MARKET_DATA, in stream order (`expected` of them: the read stops there) */
export async function readAll(nc: NatsConnection, expected: number): Promise<Stored[]> {
  const out: Stored[] = [];
  if (expected === 0) return out;
  const c = consumeEvents(nc);
  for await (const m of c) {
    out.push({
      subject: m.subject,
      msgId: m.msgId,
      seq: m.streamSeq,
      data: m.data,
      tsEvent: (m.event as { ts_event_ns: bigint }).ts_event_ns,
    });
    if (out.length >= expected) break;
  }
  await c.stop();
  return out;
}
