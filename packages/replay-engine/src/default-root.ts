/** The default data root: a `dbn-data` folder in the working directory, else in the workspace root (the seed's project_root/dbn-data). */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/**
 * `<cwd>/dbn-data` when it is a directory; else `<workspace>/dbn-data`, the workspace being the nearest folder
 * above `cwd` holding `nx.json` (`npx nx serve replay-publisher` runs in apps/replay-publisher); else null.
 */
export function defaultDataRoot(cwd: string): string | null {
  const here = join(resolve(cwd), 'dbn-data');
  if (isDir(here)) return here;
  for (let d = resolve(cwd); ;) {
    if (existsSync(join(d, 'nx.json'))) return isDir(join(d, 'dbn-data')) ? join(d, 'dbn-data') : null;
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}
