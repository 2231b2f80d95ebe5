/**
 * Child process of tools/bench/live-ingest.ts: the fake vendor server (@md/test-support/fake-vendor)
 * pushing synthetic SPY trades and quotes (live-feed-frames.ts) at a fixed rate, in frames of N events, recording each frame's send
 * time (performance.timeOrigin + performance.now(), comparable across processes). Driven over IPC.
 */
import { FakeVendor } from '@md/test-support/fake-vendor';
import { feedFrame } from './live-feed-frames.ts';

const send = (m: unknown) => process.send!(m);
const now = () => performance.timeOrigin + performance.now();

const fv = await FakeVendor.start();
send({ type: 'port', url: fv.url('stocks') });
fv.waitFor(() => fv.subscriptions('stocks').size === 2, 60_000, 'subscription').then(() => send({ type: 'ready' }));

let q = 1;
/** the next frame of n events, stamped now */
function frame(n: number): string {
  const text = feedFrame(n, q, Math.floor(now()));
  q += n;
  return text;
}

process.on('message', async (m: { type: string; rate: number; frameSize: number; seconds: number }) => {
  if (m.type === 'stop') {
    await fv.close();
    process.exit(0);
  }
  if (m.type !== 'go') return;
  const framesTotal = Math.round((m.rate * m.seconds) / m.frameSize);
  const interval = (1000 * m.frameSize) / m.rate; // ms between frames
  const sendTimes = new Float64Array(framesTotal);
  const conn = fv.live('stocks')[0];
  if (!conn) throw new Error('fake vendor: no live stocks connection');
  const start = now();
  let f = 0;
  let behindMax = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(framesTotal, Math.floor((now() - start) / interval) + 1);
      if (due - f > behindMax) behindMax = due - f;
      while (f < due) {
        const text = frame(m.frameSize);
        sendTimes[f] = now();
        conn.send(text);
        f++;
      }
      if (f >= framesTotal) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (now() - start) / 1000;
  send({ type: 'done', frames: framesTotal, events: framesTotal * m.frameSize, elapsed, behindMax, sendTimes: Array.from(sendTimes) });
});
