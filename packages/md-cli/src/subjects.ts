/** NATS subject patterns given on the command line: checked, and compared with a stream's subjects. */
import { ConfigError } from '@md/app-kit';

/** a subject or a pattern (`*` one token, `>` the rest): non-empty tokens, no white space, `>` last */
export function checkPattern(p: string, where = 'SUBJECT'): string {
  const toks = p.split('.');
  const bad =
    p === '' ||
    /\s/.test(p) ||
    toks.some((t, i) => t === '' || (t.includes('>') && (t !== '>' || i !== toks.length - 1)) || (t.includes('*') && t !== '*'));
  if (bad) {
    throw new ConfigError(`${where} ${JSON.stringify(p)} is not a NATS subject (dot-separated tokens; * for one token, > for the rest)`, {
      option: where,
      value: p,
    });
  }
  return p;
}

/** true when some subject matches both patterns */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return p === undefined && q === undefined;
    if (p === '>' || q === '>') return true;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
}
