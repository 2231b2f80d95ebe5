/**
 * The set of message ids `md audit` has seen, in 23 to 46 bytes per id instead of ~110-140 for a Map of strings
 * (measured with 57- and 84-character ids). Each id is kept as a 64-bit hash (two 32-bit FNV-1a variants) with
 * the stream sequence of its first copy, in an open-addressing table of typed arrays (16 bytes a slot, the table
 * kept 35% to 70% full). A hash already present is only a candidate duplicate: the caller checks it against the stored
 * message at that sequence (`confirm`); a different id with the same hash goes to a small exact Map.
 */
export class IdSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private seqs: Float64Array;
  private used = 0;
  private readonly exact = new Map<string, number>();

  constructor(initialSlots = 1 << 16) {
    let n = 16;
    while (n < initialSlots) n *= 2;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.seqs = new Float64Array(n);
  }

  /** ids held */
  get size(): number {
    return this.used + this.exact.size;
  }

  /** bytes held by the table (the exact Map of colliding ids aside: empty in practice) */
  get bytes(): number {
    return this.seqs.length * 16;
  }

  static hash(id: string): [number, number] {
    let a = 0x811c9dc5;
    let b = 0x050c5d1f;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    return [a >>> 0, (b ^ (a >>> 13)) >>> 0];
  }

  private slot(h: number, l: number): number {
    const mask = this.seqs.length - 1;
    let i = (l ^ Math.imul(h, 0x9e3779b1)) & mask;
    while (this.seqs[i] !== 0 && (this.hi[i] !== h || this.lo[i] !== l)) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const { hi, lo, seqs } = this;
    this.hi = new Uint32Array(seqs.length * 2);
    this.lo = new Uint32Array(seqs.length * 2);
    this.seqs = new Float64Array(seqs.length * 2);
    for (let i = 0; i < seqs.length; i++) {
      const s = seqs[i] ?? 0;
      if (s === 0) continue;
      const j = this.slot(hi[i] ?? 0, lo[i] ?? 0);
      this.hi[j] = hi[i] ?? 0;
      this.lo[j] = lo[i] ?? 0;
      this.seqs[j] = s;
    }
  }

  /**
   * Records `id` stored at `seq` (> 0) when it is new (returns 0); otherwise returns the seq of the first copy
   * with the same 64-bit hash, without recording: a candidate, which `confirm` settles.
   */
  add(id: string, seq: number): number {
    const e = this.exact.get(id);
    if (e !== undefined) return e;
    const [h, l] = IdSet.hash(id);
    const i = this.slot(h, l);
    const first = this.seqs[i] ?? 0;
    if (first !== 0) return first;
    this.hi[i] = h;
    this.lo[i] = l;
    this.seqs[i] = seq;
    if (++this.used * 10 > this.seqs.length * 7) this.grow();
    return 0;
  }

  /**
   * A candidate of add() was checked against the stored message at its first seq: a different id (a hash
   * collision) is then recorded exactly, and false returned; true: a duplicate.
   */
  confirm(id: string, seq: number, sameId: boolean): boolean {
    if (sameId || this.exact.has(id)) return true;
    this.exact.set(id, seq);
    return false;
  }
}
