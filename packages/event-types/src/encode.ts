/**
 * The text encoder's value writers: the JSON text of one checked, non-null value. codegen.ts compiles one text
 * encoder per schema from its field table, which builds the contract's JSON text directly (keys in contract
 * order, null for absent optionals, Python float text, exact bigint nanoseconds) from these and constant runs of
 * keys; bytes.ts has the same writers for bytes.
 */

/** JSON string literal; plain printable ASCII (the usual case) needs no escaping. */
export function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(s); // escapes controls, ", \ and lone surrogates
  }
  return '"' + s + '"';
}

export const nsText = (v: bigint): string => v.toString();
export const intText = (v: number): string => '' + v;
export const intsText = (c: number[]): string => '[' + c.join(',') + ']';
/** text the constants around it already quote (a checked date: digits and dashes) */
export const rawText = (s: string): string => s;
