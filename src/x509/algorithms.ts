/**
 * Algorithm tables for certificates: which certificate signature algorithms
 * and which leaf keys the Notary Project accepts.
 *
 * Spec: signature-specification.md "Certificate Requirements" (no SHA-1
 * certificate signatures; RSA ≥ 2048, EC ≥ 256) and "Signature Algorithm
 * Requirements" (the exact key sizes Go accepts: DIGEST §4.5).
 */
import type { ASN1Obj } from '@sigstore/core';
import type { Certificate } from './certificate';

/** Hash OIDs (NIST) → node:crypto digest names; SHA-1 and MD5 are absent on purpose. */
export const HASH_OIDS: Readonly<Record<string, 'sha256' | 'sha384' | 'sha512'>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const RSASSA_PSS = '1.2.840.113549.1.1.10';

/**
 * Certificate signature algorithms allowed anywhere in a chain. SHA-1 based
 * ones (sha1WithRSAEncryption, ecdsa-with-SHA1) are absent: the spec says
 * "MUST NOT use SHA1WithRSA and ECDSAWithSHA1", everywhere (stricter than Go
 * for a self-signed single certificate, DIGEST §6.1).
 */
const CERT_SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  [RSASSA_PSS]: 'RSASSA-PSS',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
};

/**
 * The certificate's outer signature algorithm when allowed; otherwise a
 * reason string starting with "not allowed".
 */
export function certificateSignatureAlgorithm(cert: Certificate): { ok: boolean; name: string } {
  const algId = cert.asn1.root.subs[1];
  const oid = algId?.subs[0]?.toOID();
  if (oid === undefined) return { ok: false, name: 'missing signature algorithm' };
  const name = CERT_SIGNATURE_ALGORITHMS[oid];
  if (name === undefined) return { ok: false, name: oid };
  if (oid === RSASSA_PSS) {
    const hash = pssHash(algId?.subs[1]);
    if (hash === undefined) return { ok: false, name: 'RSASSA-PSS with SHA-1 or an unknown hash' };
    return { ok: true, name: `RSASSA-PSS-${hash}` };
  }
  return { ok: true, name };
}

/** RSASSA-PSS-params: [0] hashAlgorithm DEFAULT sha1 (RFC 4055 §3.1). */
function pssHash(params: ASN1Obj | undefined): string | undefined {
  const hashField = params?.subs.find((s) => s.tag.isContextSpecific(0));
  const oid = hashField?.subs[0]?.subs[0]?.toOID();
  return oid === undefined ? undefined : HASH_OIDS[oid];
}

/**
 * Leaf keys the Notary Project can use (DIGEST §4.5: Go accepts exactly these
 * sizes; any other size has no signature algorithm and cannot verify).
 */
const LEAF_KEYS: Readonly<Record<string, readonly (number | string)[]>> = {
  rsa: [2048, 3072, 4096],
  ec: ['prime256v1', 'secp384r1', 'secp521r1'],
};

/** Undefined when the leaf key is allowed, else a description of the key. */
export function unsupportedLeafKey(cert: Certificate): string | undefined {
  const key = cert.publicKey;
  const type = key.asymmetricKeyType ?? 'unknown';
  const allowed = LEAF_KEYS[type];
  if (!allowed) return `${type} key`;
  const details = key.asymmetricKeyDetails ?? {};
  const size = type === 'rsa' ? details.modulusLength : details.namedCurve;
  if (size === undefined || !allowed.includes(size)) {
    return `${type} key ${String(size ?? 'of unknown size')}`;
  }
  return undefined;
}
