/**
 * Where the real Notary Project vectors live: `shared/` is the sibling of the
 * repository, on developer machines and in CI's clone alike.
 */
import * as path from 'node:path';

/** Root of the notation-go test data copied into shared/notary/vectors. */
export const NOTATION_VECTORS = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'shared',
  'notary',
  'vectors',
  'notation-go',
);
