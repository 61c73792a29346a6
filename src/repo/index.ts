/**
 * Repository administration: build, sign, rotate and publish a TUF trust
 * repository (DESIGN.md "repo/"), in memory (TrustRepository) or as the
 * administrator's working repository on disk (RepositoryWorkspace).
 * Re-exports only.
 */
export {
  TrustRepository,
  SPEC_VERSION,
  parseRootMetadata,
  type CreateRepositoryOptions,
  type DelegateOptions,
  type DelegationInfo,
  type PublishOptions,
  type PublishReport,
  type RepositoryState,
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
export {
  decodeKeyFile,
  decodePrivateKeyFile,
  encodePrivateKey,
  encodePublicKey,
  isEncryptedKey,
  passphraseFromEnv,
  PASSPHRASE_ENV,
} from './keyFiles';
export { mergeRootSignatures, rootKeys, signRootDocument } from './ceremony';
export {
  addStore,
  delegatedRoleFor,
  fingerprintsOf,
  parseStoreId,
  removeStore,
  revokeCertificates,
  roleHolding,
  setPolicy,
  type StoreId,
} from './admin';
export {
  RepositoryWorkspace,
  STATE_FILE,
  type CommitStage,
  type InitResult,
  type RoleStatus,
  type WorkspaceInitOptions,
  type WorkspaceOptions,
  type WorkspaceStatus,
} from './workspace';
export { TARGET_NAMES } from '../trust/targets';
