/**
 * Shared ASN.1 helpers of the revocation stage: lazy pkijs/asn1js loading,
 * CRLReason names and key hashes for OCSP CertIDs and ResponderIDs.
 */
import { createHash } from 'node:crypto';
import { ASN1Obj } from '@sigstore/core';
import type * as Asn1jsModule from 'asn1js';
import type * as PkijsModule from 'pkijs';
import type { Certificate } from '../x509/certificate';

/** The pkijs and asn1js modules. */
export interface Pki {
  readonly pkijs: typeof PkijsModule;
  readonly asn1js: typeof Asn1jsModule;
}

let loaded: Pki | undefined;
/** Loads pkijs and asn1js on first use (ESM-only, ~70 ms: kept off `require('tuf-notary')`). */
export function pki(): Pki {
  loaded ??= {
    pkijs: require('pkijs') as typeof PkijsModule,

    asn1js: require('asn1js') as typeof Asn1jsModule,
  };
  return loaded;
}

/** CRLReason codes (RFC 5280 §5.3.1); 7 is unused. */
export const CRL_REASONS: Readonly<Record<number, string>> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

/** Name of a CRLReason code. */
export function reasonName(code: number | undefined): string | undefined {
  if (code === undefined) return undefined;
  return CRL_REASONS[code] ?? `reason ${code}`;
}

/** Hash OIDs an OCSP CertID may use → node:crypto names. SHA-1 is allowed here: a CertID is an identifier, not a signature (RFC 5019 §2.1.1 mandates it). */
export const CERT_ID_HASHES: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** The subjectPublicKey BIT STRING contents (no unused-bits byte) of `cert`. */
export function subjectPublicKeyBits(cert: Certificate): Buffer {
  const spki = asn1(cert.asn1.publicKey);
  const bits = spki.subs[1];
  if (!bits?.tag.isBitString())
    throw new Error(`certificate "${cert.subject}" has a malformed public key`);
  return bits.value.subarray(1);
}

/** `hash` of the issuer's key bits (OCSP issuerKeyHash and ResponderID byKey, RFC 6960 §4.1.1, §4.2.1). */
export function keyHash(cert: Certificate, hash: string): Buffer {
  return createHash(hash).update(subjectPublicKeyBits(cert)).digest();
}

/** Parses DER into a @sigstore/core ASN1Obj. */
export function asn1(der: Uint8Array): ASN1Obj {
  return ASN1Obj.parseBuffer(
    Buffer.from(der.buffer, der.byteOffset, der.byteLength) as unknown as Buffer<ArrayBuffer>,
  );
}
