/** The trust stage: trust stores, store files, revocation lists, Notation config directories. */
export type {
  NamedTrustStore,
  RevokedCertificate,
  SnapshotProvenance,
  SnapshotTarget,
  StoreType,
  TrustedCertificate,
  TrustSnapshot,
  TrustStores,
  VerifierTrust,
} from './types';
export { STORE_TYPES } from './types';
export {
  assertStoreName,
  certificatesFor,
  createTrustStores,
  EMPTY_TRUST_STORES,
  isStoreType,
  STORE_NAME_PATTERN,
  storeKey,
  toTrustedCertificate,
} from './stores';
export type { TrustStoreEntry } from './stores';
export { parseStoreCertificates } from './storeFile';
export {
  MAX_REVOCATION_LIST_BYTES,
  MAX_REVOKED_CERTIFICATES,
  parseRevocationList,
  parseRfc3339,
  REVOCATION_LIST_VERSION,
  REVOCATION_REASONS,
  revokedFingerprints,
} from './revocations';
export {
  exportNotationConfig,
  loadNotationConfig,
  NOTATION_CONFIG_LIMITS,
  NOTATION_FILES,
} from './notationConfig';
export type { ExportNotationConfigOptions, NotationConfig } from './notationConfig';
export { TARGET_NAMES } from './targets';
