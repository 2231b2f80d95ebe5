/**
 * Resume against a real nats-server: the last stored message per subject, the resume point of a plan (newest
 * message whose id names one of the replay's files), and a resumed replay that stores every event exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher, lastMessageOn } from '@md/nats-bus';
import { SUBJECTS } from '@md/event-types';
import { MemorySink } from '@md/test-support';
import { DataRootSource, findResumePoint, findResumePointFor, planReplay, replay } from '../src/index.js';
import { readAll, startBus, tempDir, writeCompactSession, type Bus } from './helpers';

let bus: Bus;
beforeAll(async () => {
  bus = await startBus();
});
afterAll(async () => {
  await bus?.close();
});

describe('resume', () => {
  it('nothing stored: no last message, no resume point', async () => {
    await bus.purge();
    expect(await lastMessageOn(bus.nc, 'MARKET_DATA', SUBJECTS.futuresTrades)).toBeNull();
    expect(await findResumePoint(bus.nc, 'MARKET_DATA', [SUBJECTS.futuresTrades], ['x.dbn'])).toBeNull();
  });

  it('an interrupted replay: the resume point is its last stored event; the resumed replay stores the rest exactly once', async () => {
    await bus.purge();
    const root = tempDir('replay-resume-');
    const { date, events } = await writeCompactSession(root, { events: 100 });
    const reference = new MemorySink();
    await replay({ dataRoot: root, sink: reference, speed: 0 });
    expect(reference.events).toHaveLength(events);

    // the "interrupted" run: the first 70 events of the same sequence
    const pub = new JetStreamPublisher(bus.nc, { mode: 'ack' });
    for (const p of reference.events.slice(0, 70)) await pub.publish(p);
    await pub.close();
    const last = reference.events[69];
    if (!last) throw new Error('70 events expected');

    const stored = await lastMessageOn(bus.nc, 'MARKET_DATA', last.subject);
    expect(stored?.msgId).toBe(last.msgId);
    expect(stored?.seq).toBe(70);

    const source = new DataRootSource(root);
    const plan = await planReplay({}, source, root);
    expect(plan.dates).toEqual([date]);
    const rp = await findResumePointFor(bus.nc, 'MARKET_DATA', plan, source);
    expect(rp).toEqual({ msgId: last.msgId, seq: 70, subject: last.subject });
    // a message id naming other files is not a resume point of this replay
    expect(await findResumePoint(bus.nc, 'MARKET_DATA', [last.subject], ['other-20240315.trades.dbn'])).toBeNull();

    const pub2 = new JetStreamPublisher(bus.nc, { mode: 'ack' });
    const s = await replay({ dataRoot: root, sink: pub2, speed: 0, resumeAfterMsgId: rp?.msgId ?? null });
    await pub2.close();
    expect([s.skipped, s.events]).toEqual([70, events - 70]);
    const all = await readAll(bus.nc, events);
    expect(all.map((m) => m.msgId)).toEqual(reference.events.map((p) => p.msgId));
    expect(await bus.count()).toBe(events);
  });
});
