/**
 * Public types of the revocation stage: options, the fetcher hook and the
 * per-certificate and per-chain results.
 */
import type { Certificate } from '../x509/certificate';

/** What a caller-supplied fetcher is asked to do. */
export interface RevocationFetchRequest {
  readonly method: 'GET' | 'POST';
  readonly body?: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** Give up after this many milliseconds. */
  readonly timeoutMs: number;
  /** Refuse bodies larger than this; the checker refuses them too. */
  readonly maxBytes: number;
  /** Aborted when the checker gives up on the request. */
  readonly signal: AbortSignal;
}

/** What a fetcher returns. */
export interface RevocationFetchResponse {
  readonly status: number;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** Transport hook: fetches one OCSP or CRL URL. Network failures may reject; they become `unknown`. */
export type RevocationFetcher = (
  url: string,
  request: RevocationFetchRequest,
) => Promise<RevocationFetchResponse>;

/** HTTP options of the built-in fetcher (the same as the TUF HttpSource). */
export interface RevocationHttpOptions {
  readonly proxy?: string;
  readonly noProxy?: string;
  /** Extra PEM CA certificates (only relevant to a proxy over TLS; OCSP and CRL URLs are http). */
  readonly ca?: string | Buffer;
  readonly userAgent?: string;
}

/** Options of {@link RevocationChecker}. */
export interface RevocationOptions {
  /** `offline`: deny list and cached responses only; anything else is `unknown`. */
  readonly mode: 'online' | 'offline';
  /** Time limit of one request in milliseconds (default 2000, as notation-go). */
  readonly timeoutMs?: number;
  /** Most network requests one `check` call may make (default 8). */
  readonly maxResponderCalls?: number;
  /** Largest OCSP response read (default 20 KiB, as notation-core-go). */
  readonly maxOcspResponseBytes?: number;
  /** Largest CRL read (default 32 MiB, as notation-core-go). */
  readonly maxCrlBytes?: number;
  /** Directory for a disk cache of OCSP responses and CRLs (re-verified on every load). */
  readonly cacheDir?: string;
  /** Largest total size of the disk cache in bytes (default 64 MiB); the oldest files go first. */
  readonly maxCacheBytes?: number;
  /** Caller-supplied transport; the default is make-fetch-happen with no HTTP cache. */
  readonly fetch?: RevocationFetcher;
  readonly http?: RevocationHttpOptions;
  /** Clock (tests). */
  readonly now?: () => Date;
}

/** What a chain is checked for (decides nothing but the messages; the caller validated the chain). */
export type RevocationPurpose = 'codeSigning' | 'timestamping';

/** Options of one {@link RevocationChecker.check} call. */
export interface RevocationCheckOptions {
  readonly purpose: RevocationPurpose;
  /**
   * Authentic signing time (signingAuthority scheme): a revocation whose
   * invalidity date is after it does not count (notation-core-go).
   */
  readonly authenticSigningTime?: Date;
  /** SHA-256 fingerprints (lowercase hex) that are revoked whatever OCSP or CRLs say. */
  readonly denyList?: readonly string[];
}

/** Status of one certificate. */
export type CertRevocationStatus = 'good' | 'revoked' | 'unknown' | 'nonRevokable';

/** How the status of one certificate was decided. */
export type CertRevocationMethod = 'denylist' | 'ocsp' | 'crl' | 'cache' | 'none';

/** The revocation result of one certificate. */
export interface CertRevocationResult {
  readonly certificate: { readonly subject: string; readonly fingerprint: string };
  readonly status: CertRevocationStatus;
  readonly method: CertRevocationMethod;
  readonly revokedAt?: Date;
  /** CRLReason name (RFC 5280 §5.3.1), e.g. `keyCompromise`. */
  readonly reason?: string;
  /** Why the status is unknown (or what was tried before the answer). */
  readonly error?: string;
  /** The responder or CRL URL that answered. */
  readonly source?: string;
}

/** The revocation result of a chain: the worst certificate decides. */
export interface ChainRevocationResult {
  readonly status: 'good' | 'revoked' | 'unknown';
  /** Every certificate, the problematic ones first, then chain order. */
  readonly certificates: readonly CertRevocationResult[];
}

/** Internal: the chain member being checked, with its issuer. */
export interface CertAndIssuer {
  readonly cert: Certificate;
  readonly issuer: Certificate;
}
