/**
 * A bounded LRU cache of validated chains, so that many signatures from the
 * same signer do not repeat chain validation (link signatures, extension
 * rules). It caches only what depends on the certificates themselves: the
 * structural result of {@link checkStructure} and the validity window of the
 * chain, keyed by purpose and the fingerprints of every chain certificate. A
 * signature result is never cached; the trust-store match is redone on every
 * call (a fingerprint lookup), and the time check is redone against the
 * cached window [latest notBefore, earliest notAfter].
 */
import type { Certificate } from './certificate';
import {
  type ChainPurpose,
  chainValidityWindow,
  checkChainValidityAt,
  checkStructure,
  MAX_CHAIN_LENGTH,
} from './requirements';
import { UsageError } from '../errors';
import { chainToTrustedRoot, type TrustAnchor, type TrustAnchorCandidate } from './trust';

/** Options of {@link ChainValidationCache}. */
export interface ChainValidationCacheOptions {
  /** Most entries kept; the least recently used is dropped first. Default 1,000. */
  readonly maxEntries?: number;
}

/** Options of {@link ChainValidationCache.validate}. */
export interface CachedValidationOptions {
  readonly purpose: ChainPurpose;
  /** Every certificate must be valid at this instant (inclusive). Omitted: no time check. */
  readonly at?: Date;
  /** Prefix for error messages (which signature or token). */
  readonly where?: string;
}

/** The result of a successful validation. */
export interface ValidatedChain<T extends TrustAnchorCandidate = TrustAnchorCandidate> {
  readonly anchor: TrustAnchor<T>;
  /** [latest notBefore, earliest notAfter] of the chain. */
  readonly validFrom: Date;
  readonly validUntil: Date;
  /** True when the structural checks were skipped thanks to the cache. */
  readonly cached: boolean;
}

interface Entry {
  readonly validFrom: Date;
  readonly validUntil: Date;
}

/** Default bound on the number of cached chains. */
export const DEFAULT_CHAIN_CACHE_ENTRIES = 1000;

/**
 * Validates chains against the Notary certificate requirements and a trust
 * store, remembering chains that passed. An entry answers any instant inside
 * the chain's validity window and fails (with the same error as a full
 * validation) outside it.
 */
export class ChainValidationCache {
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();
  #hits = 0;
  #misses = 0;

  constructor(opts: ChainValidationCacheOptions = {}) {
    const max = opts.maxEntries ?? DEFAULT_CHAIN_CACHE_ENTRIES;
    if (!Number.isInteger(max) || max < 1) {
      throw new UsageError(`maxEntries must be a positive integer, got ${max}`);
    }
    this.#max = max;
  }

  /** Number of cached chains. */
  get size(): number {
    return this.#entries.size;
  }

  /** Lookups answered from the cache and lookups that validated in full. */
  get stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
  }

  /**
   * Validates `chain` for `purpose` (ERR_CERT_INVALID), checks that it
   * reaches one of `roots` (ERR_UNTRUSTED_SIGNER) and, with `at`, that every
   * certificate is valid then (ERR_CERT_INVALID). Order as Go: requirements
   * (integrity) before trust (authenticity) before time.
   */
  validate<T extends TrustAnchorCandidate>(
    chain: readonly Certificate[],
    roots: readonly T[],
    opts: CachedValidationOptions,
  ): ValidatedChain<T> {
    const { entry, cached } = this.#structure(chain, opts.purpose);
    // The trust-store match is a fingerprint lookup: redone on every call,
    // since the roots (policy, trust snapshot) may change between calls.
    const anchor = chainToTrustedRoot(chain, roots, opts.where);
    if (opts.at && (opts.at < entry.validFrom || opts.at > entry.validUntil)) {
      // Outside the window: name the certificate at fault, as a full validation would.
      checkChainValidityAt(chain, opts.at, opts.purpose);
    }
    return { anchor, validFrom: entry.validFrom, validUntil: entry.validUntil, cached };
  }

  /**
   * The certificate requirements without trust or time (what the integrity
   * step checks, DIGEST §5.2 step 1), answered from the cache when possible.
   */
  checkStructure(chain: readonly Certificate[], purpose: ChainPurpose): void {
    this.#structure(chain, purpose);
  }

  #structure(
    chain: readonly Certificate[],
    purpose: ChainPurpose,
  ): { entry: Entry; cached: boolean } {
    if (chain.length === 0 || chain.length > MAX_CHAIN_LENGTH) checkStructure(chain, purpose);
    const key = [purpose, ...chain.map((c) => c.fingerprint)].join(':');
    const hit = this.#entries.get(key);
    if (hit) {
      this.#hits++;
      this.#entries.delete(key); // refresh the LRU position
      this.#entries.set(key, hit);
      return { entry: hit, cached: true };
    }
    this.#misses++;
    checkStructure(chain, purpose); // throws: failures are never cached
    const w = chainValidityWindow(chain);
    const entry = { validFrom: w.from, validUntil: w.until };
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return { entry, cached: false };
  }
}
