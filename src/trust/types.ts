import type { BlobTrustPolicy, OciTrustPolicy } from '../policy/types';

/** The three Notary Project trust store types (case-sensitive). */
export type StoreType = 'ca' | 'signingAuthority' | 'tsa';

/** Every store type, in the order docs and output list them. */
export const STORE_TYPES: readonly StoreType[] = ['ca', 'signingAuthority', 'tsa'];

/** One trusted root certificate of a named store. */
export interface TrustedCertificate {
  /** SHA-256 of the DER encoding, lowercase hex without colons. */
  readonly fingerprint: string;
  /** Subject distinguished name, RFC 4514 style (e.g. `CN=Acme Root,O=Acme,C=US`). */
  readonly subject: string;
  /** End of the validity period. */
  readonly notAfter: Date;
  /** PEM encoding (one certificate). */
  readonly pem: string;
  /** DER encoding. */
  readonly der: Uint8Array;
}

/** A named trust store as listed by {@link TrustStores.list}. */
export interface NamedTrustStore {
  readonly type: StoreType;
  readonly name: string;
  readonly certificates: readonly TrustedCertificate[];
}

/** Named sets of trusted root certificates, looked up by type and name. */
export interface TrustStores {
  /** The certificates of store `type:name`, or undefined when there is no such store. */
  get(type: StoreType, name: string): readonly TrustedCertificate[] | undefined;
  /** Every store, sorted by type then name. */
  list(): readonly NamedTrustStore[];
}

/** One target a snapshot rests on, with the hash TUF verified. */
export interface SnapshotTarget {
  readonly path: string;
  readonly sha256: string;
  readonly length: number;
}

/** Where a snapshot's trust came from: the TUF state that verified it. */
export interface SnapshotProvenance {
  readonly rootVersion: number;
  readonly timestampVersion: number;
  readonly snapshotVersion: number;
  readonly targetsVersion: number;
  /** The earliest expiry of every piece of TUF metadata the snapshot rests on. */
  readonly expires: Date;
  readonly targets: readonly SnapshotTarget[];
}

/** Immutable, verified trust: policies, named stores, deny list and provenance. */
export interface TrustSnapshot {
  readonly policy: OciTrustPolicy;
  readonly blobPolicy?: BlobTrustPolicy;
  readonly stores: TrustStores;
  /** SHA-256 fingerprints (lowercase hex, no colons) that never verify. */
  readonly revocations: readonly string[];
  readonly provenance: SnapshotProvenance;
}

/** One entry of `revocations.json`. */
export interface RevokedCertificate {
  readonly sha256: string;
  readonly reason?: string;
  readonly revokedAt?: Date;
}

/** Trust a Verifier can use: a TUF snapshot or a Notation configuration directory. */
export interface VerifierTrust {
  readonly policy?: OciTrustPolicy;
  readonly blobPolicy?: BlobTrustPolicy;
  readonly stores: TrustStores;
  readonly revocations?: readonly string[];
}
