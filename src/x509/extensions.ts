/**
 * Readers for the X.509 v3 extensions the Notary Project honours (basic
 * constraints, key usage, extended key usage) plus the list of critical
 * extensions nobody here understands. They walk @sigstore/core's ASN1Obj
 * trees of the shared {@link Certificate}; no DER is decoded by hand.
 *
 * Spec: signature-specification.md "Certificate Requirements" ("Only Basic
 * Constraints, Key Usage, and Extended Key Usage extensions … are honored").
 */
import type { ASN1Obj } from '@sigstore/core';
import { CertificateError, ErrorCode } from '../errors';
import type { Certificate } from './certificate';

/** Extension OIDs (RFC 5280 §4.2). */
export const EXTENSION_OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCrl: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
} as const;

/** Extended key usage OIDs (RFC 5280 §4.2.1.12). */
export const EKU_OID = {
  any: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

/**
 * Critical extensions a path validator may meet without rejecting the
 * certificate: the ones Go's crypto/x509 handles (the TSA chain is checked
 * with x509.Verify in notation-go, which rejects any other critical extension).
 */
export const HANDLED_CRITICAL_EXTENSIONS: ReadonlySet<string> = new Set<string>([
  EXTENSION_OID.keyUsage,
  EXTENSION_OID.basicConstraints,
  EXTENSION_OID.subjectAltName,
  EXTENSION_OID.nameConstraints,
  EXTENSION_OID.crlDistributionPoints,
  EXTENSION_OID.certificatePolicies,
  EXTENSION_OID.policyMappings,
  EXTENSION_OID.authorityKeyIdentifier,
  EXTENSION_OID.policyConstraints,
  EXTENSION_OID.extKeyUsage,
  EXTENSION_OID.inhibitAnyPolicy,
  EXTENSION_OID.subjectKeyIdentifier,
  EXTENSION_OID.authorityInfoAccess,
]);

/** The nine KeyUsage bits, in their RFC 5280 bit order. */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'contentCommitment',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** Name of one KeyUsage bit. */
export type KeyUsageBit = (typeof KEY_USAGE_BITS)[number];

/** One raw extension of a certificate. */
export interface RawExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The parsed contents of extnValue (the OCTET STRING's inner value). */
  readonly value: ASN1Obj;
}

/** The basicConstraints extension (RFC 5280 §4.2.1.9). */
export interface BasicConstraints {
  readonly critical: boolean;
  readonly ca: boolean;
  /** Absent when the certificate does not limit the path length. */
  readonly pathLength?: number;
}

/** The keyUsage extension (RFC 5280 §4.2.1.3). */
export interface KeyUsageExtension {
  readonly critical: boolean;
  readonly usages: ReadonlySet<KeyUsageBit>;
}

/** The extendedKeyUsage extension (RFC 5280 §4.2.1.12). */
export interface ExtendedKeyUsage {
  readonly critical: boolean;
  /** Purpose OIDs in certificate order. */
  readonly oids: readonly string[];
}

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_BIT_STRING = 0x03;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x10;

/** Largest pathLenConstraint we represent; real ones are single digits. */
const MAX_PATH_LENGTH = 1 << 20;

function malformed(cert: Certificate, what: string): CertificateError {
  return new CertificateError(
    ErrorCode.CERT_INVALID,
    `certificate "${cert.subject}": malformed ${what} extension`,
    { details: { subject: cert.subject, fingerprint: cert.fingerprint } },
  );
}

function isUniversal(obj: ASN1Obj | undefined, tag: number): obj is ASN1Obj {
  return obj !== undefined && obj.tag.isUniversal() && obj.tag.number === tag;
}

const extensionCache = new WeakMap<Certificate, ReadonlyMap<string, RawExtension>>();

/**
 * Every extension of `cert`, by OID. A certificate that repeats an extension
 * is rejected (RFC 5280 §4.2: "MUST NOT include more than one instance").
 */
export function certificateExtensions(cert: Certificate): ReadonlyMap<string, RawExtension> {
  const cached = extensionCache.get(cert);
  if (cached) return cached;
  const out = new Map<string, RawExtension>();
  for (const ext of cert.asn1.extensions) {
    const [oidObj, second, third] = ext.subs;
    if (!isUniversal(oidObj, TAG_OID)) throw malformed(cert, 'an');
    const oid = oidObj.toOID();
    let critical = false;
    let octets: ASN1Obj | undefined = second;
    if (third !== undefined) {
      if (!isUniversal(second, TAG_BOOLEAN)) throw malformed(cert, oid);
      critical = second.toBoolean();
      octets = third;
    }
    if (!isUniversal(octets, TAG_OCTET_STRING) || octets.subs.length !== 1) {
      throw malformed(cert, oid);
    }
    if (out.has(oid)) {
      throw new CertificateError(
        ErrorCode.CERT_INVALID,
        `certificate "${cert.subject}" repeats extension ${oid}; RFC 5280 allows one instance`,
        { details: { subject: cert.subject, fingerprint: cert.fingerprint } },
      );
    }
    out.set(oid, { oid, critical, value: octets.subs[0]! });
  }
  extensionCache.set(cert, out);
  return out;
}

/** The basicConstraints extension of `cert`, or undefined when absent. */
export function basicConstraints(cert: Certificate): BasicConstraints | undefined {
  const ext = certificateExtensions(cert).get(EXTENSION_OID.basicConstraints);
  if (!ext) return undefined;
  if (!isUniversal(ext.value, TAG_SEQUENCE)) throw malformed(cert, 'basicConstraints');
  // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
  let ca = false;
  let pathLength: number | undefined;
  const subs = [...ext.value.subs];
  if (isUniversal(subs[0], TAG_BOOLEAN)) ca = subs.shift()!.toBoolean();
  if (subs[0] !== undefined) {
    if (!isUniversal(subs[0], TAG_INTEGER) || subs.length > 1) {
      throw malformed(cert, 'basicConstraints');
    }
    const n = subs[0].toInteger();
    if (n < 0n) throw malformed(cert, 'basicConstraints (negative pathLenConstraint)');
    pathLength = n > BigInt(MAX_PATH_LENGTH) ? MAX_PATH_LENGTH : Number(n);
  }
  return pathLength === undefined
    ? { critical: ext.critical, ca }
    : { critical: ext.critical, ca, pathLength };
}

/** The keyUsage extension of `cert`, or undefined when absent. */
export function keyUsage(cert: Certificate): KeyUsageExtension | undefined {
  const ext = certificateExtensions(cert).get(EXTENSION_OID.keyUsage);
  if (!ext) return undefined;
  if (!isUniversal(ext.value, TAG_BIT_STRING) || ext.value.value.length < 1) {
    throw malformed(cert, 'keyUsage');
  }
  const bits = ext.value.toBitString();
  const usages = new Set<KeyUsageBit>();
  KEY_USAGE_BITS.forEach((name, i) => {
    if (bits[i] === 1) usages.add(name);
  });
  return { critical: ext.critical, usages };
}

/** The extendedKeyUsage extension of `cert`, or undefined when absent. */
export function extendedKeyUsage(cert: Certificate): ExtendedKeyUsage | undefined {
  const ext = certificateExtensions(cert).get(EXTENSION_OID.extKeyUsage);
  if (!ext) return undefined;
  if (!isUniversal(ext.value, TAG_SEQUENCE) || ext.value.subs.length === 0) {
    throw malformed(cert, 'extendedKeyUsage');
  }
  const oids = ext.value.subs.map((s) => {
    if (!isUniversal(s, TAG_OID)) throw malformed(cert, 'extendedKeyUsage');
    return s.toOID();
  });
  return { critical: ext.critical, oids };
}

/** OIDs of the critical extensions of `cert` that are not in `handled`. */
export function unhandledCriticalExtensions(
  cert: Certificate,
  handled: ReadonlySet<string> = HANDLED_CRITICAL_EXTENSIONS,
): string[] {
  return [...certificateExtensions(cert).values()]
    .filter((e) => e.critical && !handled.has(e.oid))
    .map((e) => e.oid);
}
