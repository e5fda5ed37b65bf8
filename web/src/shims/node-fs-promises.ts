// Stand-in for node:fs/promises in the page (imported by src/classify/card.ts and src/runtime/session.ts for their
// file loaders, which the page replaces with fetch-based ones in web/src/models.ts).
import { unavailable } from './unavailable.js';

export function readFile(..._args: unknown[]): never {
  return unavailable('fs.readFile');
}
