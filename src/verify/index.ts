/** Verify stage: the ordered Notary Project checks and their outcome. */
export { Verifier } from './verifier';
export { compareSemver } from './plugins';
export type * from './types';
