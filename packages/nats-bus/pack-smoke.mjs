// Run by tools/pack-check.mjs in a scratch project with the packed tarballs installed:
// the built ESM package (both entries) against a real nats-server, end to end.
import { connectBus, ensureStream, JetStreamPublisher, consumeEvents, lastMessageOn, openAppBus } from '@md/nats-bus';
import { startNatsServer } from '@md/nats-bus/testing';
import { STREAM_NAME, SUBJECTS } from '@md/event-types';

const srv = await startNatsServer();
try {
  const nc = await connectBus({ servers: srv.url });
  const r = await ensureStream(nc);
  if (r.action !== 'created') throw new Error(`expected a new stream, got ${r.action}`);
  const pub = new JetStreamPublisher(nc, { mode: 'batch' });
  const ts = 1702900800123456789n;
  for (let i = 0; i < 100; i++) {
    await pub.publish({
      subject: SUBJECTS.futuresTrades,
      msgId: `smoke-${i}`,
      event: {
        ts_event_ns: ts + BigInt(i),
        ts_recv_ns: ts + BigInt(i),
        source: 'replay',
        symbol: 'ESH6',
        price: 4700.25,
        size: 1,
        aggressor: 1,
        exchange: 'CME',
        conditions: null,
        seq: i,
      },
    });
  }
  await pub.close();
  if (pub.stats.acked !== 100) throw new Error(`acked ${pub.stats.acked}`);
  const c = consumeEvents(nc, { subjects: [SUBJECTS.futuresTrades] });
  let n = 0;
  for await (const e of c) {
    if (e.event.ts_event_ns !== ts + BigInt(n)) throw new Error(`event ${n}: ts ${e.event.ts_event_ns}`);
    if (++n === 100) break;
  }
  await c.stop();
  await nc.drain();

  // an app's bus on the same server: the stream exists, the last stored event is found
  const bus = await openAppBus({ name: 'pack-smoke', url: srv.url, mode: 'batch' });
  if (bus.stream.action !== 'exists' || bus.mode !== 'batch' || bus.server !== null) throw new Error('openAppBus');
  const last = await lastMessageOn(bus.nc, STREAM_NAME, SUBJECTS.futuresTrades);
  if (last?.msgId !== 'smoke-99' || last.seq !== 100) throw new Error(`lastMessageOn: ${JSON.stringify(last)}`);
  await bus.close();
} finally {
  await srv.dispose();
}
