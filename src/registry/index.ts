/**
 * OCI distribution client (DESIGN.md "registry/"): references, resolve,
 * signature discovery, fetch and publish, and the TUF-in-OCI layout.
 * Re-exports only.
 */
export {
  RegistryClient,
  nextLink,
  referrersTag,
  type ArtifactInput,
  type FetchedSignature,
  type RegistryClientOptions,
  type ResolvedArtifact,
} from './client';
export {
  defaultDockerConfigPath,
  loadDockerConfig,
  normaliseRegistryKey,
  parseChallenge,
  type Challenge,
  type CredentialMap,
  type RegistryCredential,
} from './auth';
export { assertDigest, digestOf, parseDigest, type ParsedDigest } from './digest';
export {
  EMPTY_DESCRIPTOR,
  MediaType,
  parseImageIndex,
  parseImageManifest,
  type ImageIndex,
  type ImageManifest,
} from './manifest';
export {
  apiHost,
  formatReference,
  isLoopbackRegistry,
  isValidTag,
  parseReference,
  repositoryOf,
  type Reference,
} from './reference';
export type { RequestRecord, TransportOptions } from './transport';
export {
  TUF_METADATA_MEDIA_TYPE,
  TUF_TARGETS_ARTIFACT_TYPE,
  TUF_TARGETS_TAG,
  metadataTag,
  publishRepositoryToOci,
  repositoryReference,
  targetBlobDigest,
  type OciPublishResult,
} from './tufLayout';
