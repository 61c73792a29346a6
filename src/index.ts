/**
 * tuf-notary: verify Notary Project signatures on OCI artifacts against trust
 * policies and trust stores distributed through The Update Framework.
 *
 * Public API (DESIGN.md "Public API"). Re-exports only; heavy dependencies
 * (tuf-js, pkijs, make-fetch-happen) load on first use, not on import.
 */
export {
  ErrorCode,
  TufNotaryError,
  TufError,
  SourceUnavailableError,
  TrustError,
  PolicyError,
  EnvelopeError,
  VerificationError,
  CertificateError,
  RegistryError,
  UsageError,
  CacheError,
  isTufNotaryError,
  type ErrorCodeValue,
  type ErrorDetails,
} from './errors';
export type { NetworkOptions } from './network';

// TUF client and sources.
export {
  TrustClient,
  HttpSource,
  DirectorySource,
  TufSourceNotFoundError,
  TufSourceTooLargeError,
  DEFAULT_LIMITS,
  type TrustClientOptions,
  type TrustClientStatus,
  type TrustChange,
  type TufSource,
  type TufLimits,
  type HttpSourceOptions,
  type DirectorySourceOptions,
} from './tuf';
export { OciSource, type OciSourceOptions } from './tuf/sources/oci';

// OCI registries: signature discovery, TUF repositories kept in a registry.
export {
  RegistryClient,
  parseReference,
  formatReference,
  publishRepositoryToOci,
  loadDockerConfig,
  type Reference,
  type RegistryClientOptions,
  type ResolvedArtifact,
  type FetchedSignature,
  type OciPublishResult,
} from './registry';

// Trust: snapshots, stores, Notation configuration directories.
export {
  loadNotationConfig,
  exportNotationConfig,
  createTrustStores,
  parseStoreCertificates,
  parseRevocationList,
  STORE_TYPES,
  type NotationConfig,
  type TrustSnapshot,
  type TrustStores,
  type TrustedCertificate,
  type NamedTrustStore,
  type SnapshotProvenance,
  type SnapshotTarget,
  type StoreType,
  type RevokedCertificate,
  type VerifierTrust,
} from './trust';

// Trust policy.
export {
  parseOciTrustPolicy,
  parseBlobTrustPolicy,
  parseStoreReference,
  referencedStores,
  selectOciPolicy,
  selectBlobPolicy,
  parseDistinguishedName,
  matchesTrustedIdentities,
  verificationActions,
  levelTable,
  CHECK_ORDER,
} from './policy';
export type * from './policy/types';

// Envelopes.
export {
  parseEnvelope,
  verifyEnvelopeSignature,
  ENVELOPE_MEDIA_TYPES,
  PAYLOAD_CONTENT_TYPE,
} from './envelope';
export type * from './envelope/types';

// Verification.
export { Verifier } from './verify';
export type * from './verify/types';

// Repository administration (the deployer's admins): build, sign, publish.
export {
  TrustRepository,
  RepositoryWorkspace,
  addStore,
  removeStore,
  revokeCertificates,
  setPolicy,
  signRootDocument,
  mergeRootSignatures,
  generateRepoKey,
  type CreateRepositoryOptions,
  type DelegateOptions,
  type RotateKeysOptions,
  type RepoKey,
  type RepoKeyType,
  type WorkspaceInitOptions,
  type WorkspaceOptions,
  type WorkspaceStatus,
} from './repo';
