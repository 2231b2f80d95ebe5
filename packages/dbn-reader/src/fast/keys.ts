/**
 * Constant keys written by explicit byte stores (no loop, no load of the constant: the cheapest copy for short
 * constants on the hot path). Generated from the strings in each doc line; each returns the new position.
 */

/** "{\"ts_event_ns\":" */
export function kTsEvent(b: Uint8Array, p: number): number {
  b[p] = 123;
  b[p + 1] = 34;
  b[p + 2] = 116;
  b[p + 3] = 115;
  b[p + 4] = 95;
  b[p + 5] = 101;
  b[p + 6] = 118;
  b[p + 7] = 101;
  b[p + 8] = 110;
  b[p + 9] = 116;
  b[p + 10] = 95;
  b[p + 11] = 110;
  b[p + 12] = 115;
  b[p + 13] = 34;
  b[p + 14] = 58;
  return p + 15;
}

/** ",\"ts_recv_ns\":" */
export function kTsRecv(b: Uint8Array, p: number): number {
  b[p] = 44;
  b[p + 1] = 34;
  b[p + 2] = 116;
  b[p + 3] = 115;
  b[p + 4] = 95;
  b[p + 5] = 114;
  b[p + 6] = 101;
  b[p + 7] = 99;
  b[p + 8] = 118;
  b[p + 9] = 95;
  b[p + 10] = 110;
  b[p + 11] = 115;
  b[p + 12] = 34;
  b[p + 13] = 58;
  return p + 14;
}

/** ",\"levels\":[{\"bid_px\":" */
export function kLevels0(b: Uint8Array, p: number): number {
  b[p] = 44;
  b[p + 1] = 34;
  b[p + 2] = 108;
  b[p + 3] = 101;
  b[p + 4] = 118;
  b[p + 5] = 101;
  b[p + 6] = 108;
  b[p + 7] = 115;
  b[p + 8] = 34;
  b[p + 9] = 58;
  b[p + 10] = 91;
  b[p + 11] = 123;
  b[p + 12] = 34;
  b[p + 13] = 98;
  b[p + 14] = 105;
  b[p + 15] = 100;
  b[p + 16] = 95;
  b[p + 17] = 112;
  b[p + 18] = 120;
  b[p + 19] = 34;
  b[p + 20] = 58;
  return p + 21;
}

/** "},{\"bid_px\":" */
export function kBidPxNext(b: Uint8Array, p: number): number {
  b[p] = 125;
  b[p + 1] = 44;
  b[p + 2] = 123;
  b[p + 3] = 34;
  b[p + 4] = 98;
  b[p + 5] = 105;
  b[p + 6] = 100;
  b[p + 7] = 95;
  b[p + 8] = 112;
  b[p + 9] = 120;
  b[p + 10] = 34;
  b[p + 11] = 58;
  return p + 12;
}

/** ",\"bid_sz\":" */
export function kBidSz(b: Uint8Array, p: number): number {
  b[p] = 44;
  b[p + 1] = 34;
  b[p + 2] = 98;
  b[p + 3] = 105;
  b[p + 4] = 100;
  b[p + 5] = 95;
  b[p + 6] = 115;
  b[p + 7] = 122;
  b[p + 8] = 34;
  b[p + 9] = 58;
  return p + 10;
}

/** ",\"ask_px\":" */
export function kAskPx(b: Uint8Array, p: number): number {
  b[p] = 44;
  b[p + 1] = 34;
  b[p + 2] = 97;
  b[p + 3] = 115;
  b[p + 4] = 107;
  b[p + 5] = 95;
  b[p + 6] = 112;
  b[p + 7] = 120;
  b[p + 8] = 34;
  b[p + 9] = 58;
  return p + 10;
}

/** ",\"ask_sz\":" */
export function kAskSz(b: Uint8Array, p: number): number {
  b[p] = 44;
  b[p + 1] = 34;
  b[p + 2] = 97;
  b[p + 3] = 115;
  b[p + 4] = 107;
  b[p + 5] = 95;
  b[p + 6] = 115;
  b[p + 7] = 122;
  b[p + 8] = 34;
  b[p + 9] = 58;
  return p + 10;
}

/** "null,\"bid_sz\":0" */
export function kNullBidSz0(b: Uint8Array, p: number): number {
  b[p] = 110;
  b[p + 1] = 117;
  b[p + 2] = 108;
  b[p + 3] = 108;
  b[p + 4] = 44;
  b[p + 5] = 34;
  b[p + 6] = 98;
  b[p + 7] = 105;
  b[p + 8] = 100;
  b[p + 9] = 95;
  b[p + 10] = 115;
  b[p + 11] = 122;
  b[p + 12] = 34;
  b[p + 13] = 58;
  b[p + 14] = 48;
  return p + 15;
}

/** "null,\"ask_sz\":0" */
export function kNullAskSz0(b: Uint8Array, p: number): number {
  b[p] = 110;
  b[p + 1] = 117;
  b[p + 2] = 108;
  b[p + 3] = 108;
  b[p + 4] = 44;
  b[p + 5] = 34;
  b[p + 6] = 97;
  b[p + 7] = 115;
  b[p + 8] = 107;
  b[p + 9] = 95;
  b[p + 10] = 115;
  b[p + 11] = 122;
  b[p + 12] = 34;
  b[p + 13] = 58;
  b[p + 14] = 48;
  return p + 15;
}

/** "}]" */
export function kEnd(b: Uint8Array, p: number): number {
  b[p] = 125;
  b[p + 1] = 93;
  return p + 2;
}
