/**
 * Does a (validated) chain reach the trust store? Notary semantics: the chain
 * is trusted when one of its certificates is byte-identical to a trusted
 * certificate (notation-core-go `signature.VerifyAuthenticity`, which walks
 * the chain leaf first and, for each certificate, the trusted list, returning
 * the first `x509.Certificate.Equal` match; DIGEST §5.2 step 3, §10.7).
 *
 * tuf-notary adds the rule the spec states ("certificate and certificate-chain
 * lead to a trusted certificate", trust-store-trust-policy.md "Validate
 * Authenticity"): the callers first validate the whole chain with
 * {@link validateCodeSigningChain} (every link's signature, ending at a
 * self-signed root), so the match is reached by a verified path, not by a
 * certificate merely pasted into the envelope. {@link ChainValidationCache}
 * does both in one call.
 */
import { ErrorCode, VerificationError } from '../errors';
import type { TrustedCertificate } from '../trust/types';
import type { Certificate } from './certificate';

/** A root as the trust stores hold it, or a parsed certificate. */
export type TrustAnchorCandidate = Pick<TrustedCertificate, 'fingerprint' | 'der' | 'subject'>;

/** Where a chain meets the trust store. */
export interface TrustAnchor<T extends TrustAnchorCandidate = TrustAnchorCandidate> {
  /** Position of the matching certificate in the chain (0 = leaf). */
  readonly index: number;
  /** The chain's certificate that is trusted. */
  readonly certificate: Certificate;
  /** The trust-store entry it equals. */
  readonly trusted: T;
}

/** Largest trusted list we scan; the stores are bounded far below this. */
const MAX_ROOTS = 10_000;

/**
 * The first certificate of `chain` (leaf first) that is byte-identical to one
 * of `roots`, or undefined. Matches by SHA-256 fingerprint, then confirms the
 * DER bytes.
 */
export function findTrustedCertificate<T extends TrustAnchorCandidate>(
  chain: readonly Certificate[],
  roots: readonly T[],
): TrustAnchor<T> | undefined {
  if (roots.length > MAX_ROOTS) return undefined;
  const byFingerprint = indexOf(roots);
  for (let index = 0; index < chain.length; index++) {
    const certificate = chain[index]!;
    const trusted = byFingerprint.get(certificate.fingerprint);
    if (trusted && Buffer.from(trusted.der).equals(certificate.der)) {
      return { index, certificate, trusted };
    }
  }
  return undefined;
}

/**
 * Fingerprint index of frozen root lists, built once per list: a verifier
 * hands the same frozen list for every verification under one policy
 * statement, so a lookup costs O(chain length), not O(number of roots).
 * Lists that are not frozen could change between calls and are indexed anew.
 */
const INDEXES = new WeakMap<readonly TrustAnchorCandidate[], Map<string, TrustAnchorCandidate>>();

function indexOf<T extends TrustAnchorCandidate>(roots: readonly T[]): Map<string, T> {
  const cached = INDEXES.get(roots) as Map<string, T> | undefined;
  if (cached !== undefined) return cached;
  const byFingerprint = new Map<string, T>();
  for (const r of roots) byFingerprint.set(r.fingerprint.toLowerCase(), r);
  if (Object.isFrozen(roots)) INDEXES.set(roots, byFingerprint);
  return byFingerprint;
}

/**
 * Like {@link findTrustedCertificate} but throws {@link VerificationError}
 * ERR_UNTRUSTED_SIGNER when no certificate of the chain is trusted.
 */
export function chainToTrustedRoot<T extends TrustAnchorCandidate>(
  chain: readonly Certificate[],
  roots: readonly T[],
  where = 'signature',
): TrustAnchor<T> {
  if (roots.length === 0) {
    throw new VerificationError(
      ErrorCode.UNTRUSTED_SIGNER,
      `${where}: no trusted certificates are configured to verify authenticity; add the signer's root to a trust store the policy names`,
    );
  }
  const anchor = findTrustedCertificate(chain, roots);
  if (!anchor) {
    const leaf = chain[0];
    throw new VerificationError(
      ErrorCode.UNTRUSTED_SIGNER,
      `${where}: the certificate chain${leaf ? ` of "${leaf.subject}"` : ''} does not contain any trusted certificate; its root "${chain[chain.length - 1]?.subject ?? '?'}" is not in the trust stores the policy names`,
      { details: { leaf: leaf?.subject, root: chain[chain.length - 1]?.fingerprint } },
    );
  }
  return anchor;
}
