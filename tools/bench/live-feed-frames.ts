/**
 * The synthetic SPY feed of the live benchmarks: one vendor frame (a JSON array of `n` events, trades and quotes
 * alternating, sequence numbers from `q0`, all stamped with the Unix ms `t`), as live-feed-server.ts sends them
 * over the WebSocket.
 */
export function feedFrame(n: number, q0: number, t: number, base = 676.4): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = q0 + i;
    if (k % 2 === 0) {
      parts.push(
        `{"ev":"T","sym":"SPY","i":"${k}","x":12,"p":${(base + (k % 7) * 0.01).toFixed(2)},"s":${100 + (k % 5)},"c":[14],"t":${t},"q":${k},"z":2}`,
      );
    } else {
      parts.push(
        `{"ev":"Q","sym":"SPY","bx":11,"ax":12,"bp":${base.toFixed(2)},"ap":${(base + 0.01).toFixed(2)},"bs":200,"as":320,"t":${t},"q":${k},"z":2}`,
      );
    }
  }
  return `[${parts.join(',')}]`;
}
