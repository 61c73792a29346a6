/**
 * Where the shared Notary Project material lives (specs, DIGEST.md, the
 * notation-go vectors). CI clones the repository with `shared/` beside it;
 * `TUF_NOTARY_SHARED` names another location (a clone checked elsewhere).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

function sharedDir(): string {
  const candidates = [
    process.env.TUF_NOTARY_SHARED,
    path.resolve(__dirname, '..', '..', '..', 'shared'),
  ].filter((d): d is string => typeof d === 'string' && d !== '');
  const found = candidates.find((d) => existsSync(path.join(d, 'notary', 'vectors')));
  if (!found) {
    throw new Error(
      `the shared Notary material was not found (looked in ${candidates.join(', ')}): ` +
        'clone the repository beside shared/, or set TUF_NOTARY_SHARED to its path',
    );
  }
  return found;
}

/** shared/notary: specs/, DIGEST.md, vectors/. */
export const NOTARY_SHARED = path.join(sharedDir(), 'notary');

/** Root of the notation-go test data copied into shared/notary/vectors. */
export const NOTATION_VECTORS = path.join(NOTARY_SHARED, 'vectors', 'notation-go');
