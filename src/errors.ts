/**
 * Every failure tuf-notary reports is a {@link TufNotaryError} with a stable
 * `code` from this table. Callers switch on `code`; messages are for humans
 * and may change. See docs/errors.md for what each code means and what to do.
 */
export const ErrorCode = {
  /** A metadata version lower than one already trusted. */
  TUF_ROLLBACK: 'ERR_TUF_ROLLBACK',
  /** Trusted metadata has expired (freeze attack or stale repository). */
  TUF_EXPIRED: 'ERR_TUF_EXPIRED',
  /** Metadata not signed by a threshold of the role's keys. */
  TUF_SIGNATURE: 'ERR_TUF_SIGNATURE',
  /** Target bytes do not match the length or hash in metadata. */
  TUF_TARGET_MISMATCH: 'ERR_TUF_TARGET_MISMATCH',
  /** The source could not be reached (network, missing file). */
  TUF_UNAVAILABLE: 'ERR_TUF_UNAVAILABLE',
  /** Malformed or oversized metadata. */
  TUF_METADATA: 'ERR_TUF_METADATA',
  /** The active snapshot can no longer be used (freeze). */
  TRUST_EXPIRED: 'ERR_TRUST_EXPIRED',
  /** A policy names a store that is missing or empty. */
  TRUST_INCOMPLETE: 'ERR_TRUST_INCOMPLETE',
  /** A trust policy breaks a Notary Project rule. */
  POLICY_INVALID: 'ERR_POLICY_INVALID',
  /** No policy applies to the artifact, or no blob policy has that name. */
  POLICY_NOT_FOUND: 'ERR_POLICY_NOT_FOUND',
  /** The envelope cannot be parsed or breaks the envelope specification. */
  ENVELOPE_INVALID: 'ERR_ENVELOPE_INVALID',
  /** Integrity failed: bad signature, payload or digest mismatch. */
  SIGNATURE_INVALID: 'ERR_SIGNATURE_INVALID',
  /** The chain does not reach the policy's stores, or the identity is not trusted. */
  UNTRUSTED_SIGNER: 'ERR_UNTRUSTED_SIGNER',
  /** A certificate breaks the Notary Project certificate requirements. */
  CERT_INVALID: 'ERR_CERT_INVALID',
  /** The algorithm or key size is not allowed. */
  ALGORITHM_UNSUPPORTED: 'ERR_ALGORITHM_UNSUPPORTED',
  /** The signature's expiry time has passed. */
  SIGNATURE_EXPIRED: 'ERR_SIGNATURE_EXPIRED',
  /** The authentic timestamp check failed. */
  TIMESTAMP_INVALID: 'ERR_TIMESTAMP_INVALID',
  /** A certificate in the chain is revoked (OCSP, CRL or revocations.json). */
  REVOKED: 'ERR_REVOKED',
  /** Revocation status could not be determined. */
  REVOCATION_UNKNOWN: 'ERR_REVOCATION_UNKNOWN',
  /** A registry request failed (auth, not found, bad manifest). */
  REGISTRY: 'ERR_REGISTRY',
  /** The signature requires a verification plugin that is not registered (fails closed). */
  PLUGIN_REQUIRED: 'ERR_PLUGIN_REQUIRED',
  /** The caller passed options or arguments that cannot be used. */
  USAGE: 'ERR_USAGE',
  /** The local cache or file system could not be used (read-only, full disk). */
  CACHE: 'ERR_CACHE',
} as const;

/** One of the stable error code strings of {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Extra, machine-readable facts about a failure (role, versions, path, …). */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Base class of every error tuf-notary throws. `code` is stable; `details`
 * carries the facts a caller may log or act on.
 */
export class TufNotaryError extends Error {
  /** The stable code callers switch on. */
  readonly code: ErrorCodeValue;
  /** Structured facts about the failure. */
  readonly details: ErrorDetails;

  constructor(
    code: ErrorCodeValue,
    message: string,
    options: { cause?: unknown; details?: ErrorDetails } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** TUF metadata or target could not be trusted (rollback, expiry, signatures, mismatch, malformed). */
export class TufError extends TufNotaryError {}
/** The trust source (HTTP, directory, registry) could not be reached. */
export class SourceUnavailableError extends TufNotaryError {
  constructor(message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(ErrorCode.TUF_UNAVAILABLE, message, options);
  }
}
/** The trust snapshot is expired or incomplete. */
export class TrustError extends TufNotaryError {}
/** A trust policy is invalid or does not apply. */
export class PolicyError extends TufNotaryError {}
/** A signature envelope cannot be decoded or breaks the envelope specification. */
export class EnvelopeError extends TufNotaryError {}
/** A verification check failed (integrity, authenticity, expiry, timestamp, revocation). */
export class VerificationError extends TufNotaryError {}
/** A certificate or chain breaks the Notary Project certificate requirements. */
export class CertificateError extends TufNotaryError {}
/** A registry request failed. */
export class RegistryError extends TufNotaryError {
  constructor(message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(ErrorCode.REGISTRY, message, options);
  }
}
/** The caller's options or arguments are unusable. */
export class UsageError extends TufNotaryError {
  constructor(message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(ErrorCode.USAGE, message, options);
  }
}
/** The cache directory could not be read or written. */
export class CacheError extends TufNotaryError {
  constructor(message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(ErrorCode.CACHE, message, options);
  }
}

/** True when `err` is a {@link TufNotaryError} (optionally with the given code). */
export function isTufNotaryError(err: unknown, code?: ErrorCodeValue): err is TufNotaryError {
  return err instanceof TufNotaryError && (code === undefined || err.code === code);
}
