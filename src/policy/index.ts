/**
 * The trust policy stage: parse and validate OCI and blob trust policies,
 * select the statement that applies, match trusted identities, and look up
 * what each verification level does. Pure logic, no I/O.
 */
export {
  parseOciTrustPolicy,
  parseBlobTrustPolicy,
  parseStoreReference,
  referencedStores,
  POLICY_LIMITS,
  POLICY_VERSION,
  STORE_REFERENCE_TYPES,
  STORE_NAME_PATTERN,
} from './document';
export {
  selectOciPolicy,
  selectBlobPolicy,
  artifactRepository,
  registryScopeProblem,
  WILDCARD_SCOPE,
} from './selection';
export {
  parseDistinguishedName,
  matchesTrustedIdentities,
  WILDCARD_IDENTITY,
  X509_SUBJECT_PREFIX,
  MANDATORY_DN_ATTRIBUTES,
  DN_TYPE_ALIASES,
  MAX_DN_LENGTH,
} from './identities';
export {
  verificationActions,
  levelTable,
  overrideRules,
  CHECK_ORDER,
  LEVEL_NAMES,
  CHECK_ACTIONS,
  VERIFY_TIMESTAMP_VALUES,
} from './levels';
export type { CheckActions } from './levels';
export type * from './types';
