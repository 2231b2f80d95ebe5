/**
 * Micro-benchmark of @md/polygon-normalizer's hot path on one core: frame text -> parseFrame ->
 * Normalizer.frame -> Publishable, and with the contract encoder (what the publisher does next).
 * Baseline in the same run: JSON.parse of the same frames alone.
 *
 *   npx tsx tools/bench/live-normalize.ts [--frames 20000] [--frame 100] [--runs 5]
 * Build first: event-types, polygon-normalizer (npx tsup in each).
 */
import { parseArgs } from 'node:util';
import { lookup } from '@md/event-types';
import { Normalizer, parseFrame } from '@md/polygon-normalizer';
import { at } from './narrow.ts';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '20000' },
    frame: { type: 'string', default: '100' },
    runs: { type: 'string', default: '5' },
  },
});
const nFrames = Number(values.frames);
const frameSize = Number(values.frame);
const runs = Number(values.runs);

function makeFrames(options: boolean): string[] {
  const out: string[] = [];
  let q = 1;
  for (let f = 0; f < nFrames; f++) {
    const parts: string[] = [];
    const t = 1765898100000 + f;
    for (let i = 0; i < frameSize; i++) {
      const k = q++;
      const strike = String(674 + (k % 5)).padStart(5, '0');
      const sym = options ? `O:SPY251216${k % 2 ? 'C' : 'P'}${strike}000` : 'SPY';
      if (k % 2 === 0)
        parts.push(
          `{"ev":"T","sym":"${sym}","i":"${k}","x":12,"p":${(options ? 2.2 : 676.4) + (k % 7) * 0.01},"s":${1 + (k % 5)},"c":[14],"t":${t},"q":${k},"z":2}`,
        );
      else
        parts.push(
          `{"ev":"Q","sym":"${sym}","bx":11,"ax":12,"bp":${options ? 2.2 : 676.4},"ap":${options ? 2.23 : 676.41},"bs":200,"as":320,"t":${t},"q":${k},"z":2}`,
        );
    }
    out.push(`[${parts.join(',')}]`);
  }
  return out;
}

const median = (xs: number[]) =>
  at(
    [...xs].sort((a, b) => a - b),
    Math.floor(xs.length / 2),
    'run',
  );
function measure(fn: () => number): number {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const n = fn();
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

let sink = 0;
console.log(`live-normalize: ${nFrames} frames of ${frameSize} events, median of ${runs} runs, events/s on one core`);
for (const options of [false, true]) {
  const frames = makeFrames(options);
  const cluster = options ? 'options' : 'stocks';
  const base = measure(() => {
    for (const f of frames) sink += (JSON.parse(f) as unknown[]).length;
    return frames.length * frameSize;
  });
  const norm = measure(() => {
    const n = new Normalizer({ source: 'massive_ws' });
    let c = 0;
    for (const f of frames) c += frameSize + 0 * n.frame(parseFrame(f, { receivedAtNs: 1n, cluster })).length;
    return c;
  });
  const enc = measure(() => {
    const n = new Normalizer({ source: 'massive_ws' });
    let c = 0;
    for (const f of frames) {
      for (const p of n.frame(parseFrame(f, { receivedAtNs: 1n, cluster }))) sink += lookup(p.subject).encode(p.event as never).length;
      c += frameSize;
    }
    return c;
  });
  console.log(`  ${cluster.padEnd(7)} JSON.parse only (baseline) ${Math.round(base).toLocaleString('en-US').padStart(11)}  1.00x`);
  console.log(
    `  ${cluster.padEnd(7)} parseFrame + normalize     ${Math.round(norm).toLocaleString('en-US').padStart(11)}  ${(norm / base).toFixed(2)}x`,
  );
  console.log(
    `  ${cluster.padEnd(7)} + contract encode          ${Math.round(enc).toLocaleString('en-US').padStart(11)}  ${(enc / base).toFixed(2)}x`,
  );
}
if (sink < 0) console.log(sink); // keep the work observable
