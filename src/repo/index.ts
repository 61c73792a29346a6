/**
 * Repository administration: build, sign, rotate and publish a TUF trust
 * repository (DESIGN.md "repo/"). Re-exports only.
 */
export {
  TrustRepository,
  SPEC_VERSION,
  type CreateRepositoryOptions,
  type DelegateOptions,
  type RotateKeysOptions,
  type TopLevelNumbers,
} from './repository';
export {
  generateRepoKey,
  keyIdOf,
  localKeyFromPrivate,
  privateKeyPem,
  publicRepoKey,
  REPO_KEY_TYPES,
  type LocalRepoKey,
  type RepoKey,
  type RepoKeyType,
  type Signer,
  type TufPublicKey,
} from './keys';
export {
  TOP_LEVEL_ROLES,
  targetBlobName,
  metadataFileName,
  writeRepositoryTree,
  type TopLevelRole,
} from './layout';
