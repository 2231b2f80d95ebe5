/**
 * The binary min-heap of input cursors both part-file merges use (merge.ts on event objects, encoded/merge.ts on
 * EncodedBatch rows); `before(a, b)`: does cursor a sort before cursor b (its key, then its input index).
 */
export class CursorHeap<C> {
  private readonly h: C[] = [];
  constructor(private readonly before: (a: C, b: C) => boolean) {}

  get size(): number {
    return this.h.length;
  }

  peek(): C | undefined {
    return this.h[0];
  }

  push(c: C): void {
    const h = this.h;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const hp = h[p] as C;
      if (!this.before(c, hp)) break;
      h[i] = hp;
      i = p;
    }
    h[i] = c;
  }

  pop(): C | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.before(h[r] as C, h[l] as C) ? r : l;
        const hc = h[c] as C;
        if (!this.before(hc, last)) break;
        h[i] = hc;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
