/** Verification levels of the Notary Project trust policy. */
export type VerificationLevelName = 'strict' | 'permissive' | 'audit' | 'skip';

/** The checks a verification level configures, in the order they run. */
export type VerificationCheckName =
  'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';

/** What a failing check does: fail the verification, be logged, or not run. */
export type CheckActionName = 'enforce' | 'log' | 'skip';

/** `signatureVerification` of a trust policy statement. */
export interface SignatureVerification {
  readonly level: VerificationLevelName;
  readonly override?: Readonly<Partial<Record<VerificationCheckName, CheckActionName>>>;
  /** When to require an authentic timestamp (default `always`). */
  readonly verifyTimestamp?: 'always' | 'afterCertExpiry';
}

/** A parsed store reference `type:name`. */
export interface StoreReference {
  readonly type: 'ca' | 'signingAuthority' | 'tsa';
  readonly name: string;
}

/** One statement of an OCI trust policy. */
export interface OciTrustPolicyStatement {
  readonly name: string;
  readonly registryScopes: readonly string[];
  readonly signatureVerification: SignatureVerification;
  readonly trustStores: readonly string[];
  readonly trustedIdentities: readonly string[];
}

/** A parsed and validated OCI trust policy document (`trustpolicy.oci.json`). */
export interface OciTrustPolicy {
  readonly version: '1.0';
  readonly trustPolicies: readonly OciTrustPolicyStatement[];
}

/** One statement of a blob trust policy. */
export interface BlobTrustPolicyStatement {
  readonly name: string;
  readonly signatureVerification: SignatureVerification;
  readonly trustStores: readonly string[];
  readonly trustedIdentities: readonly string[];
  readonly globalPolicy?: boolean;
}

/** A parsed and validated blob trust policy document (`trustpolicy.blob.json`). */
export interface BlobTrustPolicy {
  readonly version: '1.0';
  readonly trustPolicies: readonly BlobTrustPolicyStatement[];
}

/**
 * A parsed `x509.subject` distinguished name: attribute type → value, in the
 * order the DN lists them. Types are case-sensitive short names (`C`, `ST`,
 * `O`, `OU`, `CN`, …; `S` is stored as `ST`) or whatever else the DN names.
 */
export type DistinguishedName = ReadonlyMap<string, string>;
