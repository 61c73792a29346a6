/**
 * Named trust stores in memory: an immutable, indexed implementation of
 * {@link TrustStores}. Built once (from TUF targets or a Notation directory)
 * and then only read, so the verifier can share it without copying.
 */
import { ErrorCode, TrustError, UsageError } from '../errors';
import type { StoreReference } from '../policy/types';
import { toPem, type Certificate } from '../x509/certificate';
import {
  STORE_TYPES,
  type NamedTrustStore,
  type StoreType,
  type TrustedCertificate,
  type TrustStores,
} from './types';

/**
 * Named-store names allowed by notation-go (`file.IsValidFileName`) and by the
 * trust policy rule "store name follows [a-zA-Z0-9_.-]+" (DIGEST §1.2, §2.4 #19).
 */
export const STORE_NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;

/** True when `type` is one of the three Notary Project store types (case-sensitive). */
export function isStoreType(type: string): type is StoreType {
  return (STORE_TYPES as readonly string[]).includes(type);
}

/** The `type:name` form a trust policy uses to name a store (e.g. `ca:acme`). */
export function storeKey(type: StoreType, name: string): string {
  return `${type}:${name}`;
}

/**
 * Throws ERR_TRUST_INCOMPLETE unless `type` is a known store type and `name`
 * a valid store name (DIGEST §1.2, messages as notation-go prints them).
 */
export function assertStoreName(type: string, name: string): asserts type is StoreType {
  if (!isStoreType(type)) {
    throw new TrustError(
      ErrorCode.TRUST_INCOMPLETE,
      `unsupported trust store type: ${type}; use one of ${STORE_TYPES.join(', ')}`,
      { details: { storeType: type, storeName: name } },
    );
  }
  if (!STORE_NAME_PATTERN.test(name)) {
    throw new TrustError(
      ErrorCode.TRUST_INCOMPLETE,
      `trust store name needs to follow [a-zA-Z0-9_.-]+ format, ${JSON.stringify(name)} is invalid`,
      { details: { storeType: type, storeName: name } },
    );
  }
}

/**
 * The trusted-certificate view of a parsed certificate: fingerprint, subject,
 * expiry and both encodings. The DER is copied so the result shares no
 * buffer with the caller's certificate.
 */
export function toTrustedCertificate(cert: Certificate): TrustedCertificate {
  return Object.freeze({
    fingerprint: cert.fingerprint,
    subject: cert.subject,
    notAfter: new Date(cert.notAfter.getTime()),
    pem: toPem(cert),
    der: new Uint8Array(cert.der),
  });
}

/** One store as given to {@link createTrustStores}. */
export interface TrustStoreEntry {
  readonly type: StoreType;
  readonly name: string;
  readonly certificates: readonly TrustedCertificate[];
}

/** Orders stores by type (the order of STORE_TYPES) and then by name, code unit by code unit. */
function compareStores(a: NamedTrustStore, b: NamedTrustStore): number {
  const byType = STORE_TYPES.indexOf(a.type) - STORE_TYPES.indexOf(b.type);
  if (byType !== 0) return byType;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Keeps the first certificate of each fingerprint, in the order given. */
function dedupeByFingerprint(certs: readonly TrustedCertificate[]): TrustedCertificate[] {
  const seen = new Set<string>();
  const out: TrustedCertificate[] = [];
  for (const cert of certs) {
    if (seen.has(cert.fingerprint)) continue;
    seen.add(cert.fingerprint);
    out.push(Object.isFrozen(cert) ? cert : Object.freeze({ ...cert }));
  }
  return out;
}

class IndexedTrustStores implements TrustStores {
  readonly #byKey: ReadonlyMap<string, readonly TrustedCertificate[]>;
  readonly #list: readonly NamedTrustStore[];

  constructor(list: readonly NamedTrustStore[]) {
    this.#list = list;
    this.#byKey = new Map(list.map((s) => [storeKey(s.type, s.name), s.certificates]));
    Object.freeze(this);
  }

  get(type: StoreType, name: string): readonly TrustedCertificate[] | undefined {
    return this.#byKey.get(storeKey(type, name));
  }

  list(): readonly NamedTrustStore[] {
    return this.#list;
  }
}

/**
 * Builds immutable trust stores: `get` is a map lookup, `list` is sorted by
 * type then name, every array and object is frozen and certificates are
 * deduplicated by fingerprint within a store. An invalid type or name, or an
 * empty store, is ERR_TRUST_INCOMPLETE (a store without certificates can never
 * confer trust, DIGEST §1.2 "empty store"); the same store twice is ERR_USAGE.
 */
export function createTrustStores(entries: readonly TrustStoreEntry[]): TrustStores {
  const seen = new Set<string>();
  const list: NamedTrustStore[] = [];
  for (const entry of entries) {
    assertStoreName(entry.type, entry.name);
    const key = storeKey(entry.type, entry.name);
    if (seen.has(key)) {
      throw new UsageError(
        `trust store "${key}" is given twice; merge its certificates into one entry`,
        {
          details: { store: key },
        },
      );
    }
    seen.add(key);
    const certificates = Object.freeze(dedupeByFingerprint(entry.certificates));
    if (certificates.length === 0) {
      throw new TrustError(
        ErrorCode.TRUST_INCOMPLETE,
        `no x509 certificates were found in trust store "${entry.name}" of type "${entry.type}"; add its root certificates or remove the store`,
        { details: { store: key } },
      );
    }
    list.push(Object.freeze({ type: entry.type, name: entry.name, certificates }));
  }
  list.sort(compareStores);
  return new IndexedTrustStores(Object.freeze(list));
}

/** Trust stores with no store at all. */
export const EMPTY_TRUST_STORES: TrustStores = createTrustStores([]);

/**
 * The certificates a verifier trusts for one store type: the union of the
 * referenced stores of that `type` (references of other types are skipped, as
 * notation-go's `loadX509TrustStoresWithType` does, DIGEST §1.2), deduplicated
 * by fingerprint in reference order. References to stores that do not exist
 * (or are empty) are returned in `missing`, each once, so the caller decides
 * how to fail (a policy naming a missing store fails authenticity).
 */
export function certificatesFor(
  stores: TrustStores,
  refs: readonly StoreReference[],
  type: StoreType,
): { certificates: TrustedCertificate[]; missing: StoreReference[] } {
  const certificates: TrustedCertificate[] = [];
  const missing: StoreReference[] = [];
  const seenCerts = new Set<string>();
  const seenRefs = new Set<string>();
  for (const ref of refs) {
    if (ref.type !== type) continue;
    const key = storeKey(ref.type, ref.name);
    if (seenRefs.has(key)) continue;
    seenRefs.add(key);
    const certs = stores.get(ref.type, ref.name);
    if (certs === undefined || certs.length === 0) {
      missing.push(ref);
      continue;
    }
    for (const cert of certs) {
      if (seenCerts.has(cert.fingerprint)) continue;
      seenCerts.add(cert.fingerprint);
      certificates.push(cert);
    }
  }
  return { certificates, missing };
}
