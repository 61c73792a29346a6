/**
 * Signature checks of OCSP responses and CRLs through node:crypto (OpenSSL).
 * The algorithm table is the certificate one of the Notary Project: SHA-2
 * RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA and Ed25519; SHA-1 signatures are
 * refused (signature-specification.md "Certificate Requirements" forbids
 * SHA-1 signatures; stricter than Go, whose OCSP and CRL checks accept them).
 */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { ASN1Obj } from '@sigstore/core';
import { HASH_OIDS } from '../x509/algorithms';

type Scheme = { hash: 'sha256' | 'sha384' | 'sha512' | null; padding?: 'pkcs1' | 'pss' };

/** Signature algorithm OID → hash and padding. */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, Scheme>> = {
  '1.2.840.113549.1.1.11': { hash: 'sha256', padding: 'pkcs1' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', padding: 'pkcs1' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', padding: 'pkcs1' },
  '1.2.840.113549.1.1.10': { hash: null, padding: 'pss' },
  '1.2.840.10045.4.3.2': { hash: 'sha256' },
  '1.2.840.10045.4.3.3': { hash: 'sha384' },
  '1.2.840.10045.4.3.4': { hash: 'sha512' },
  '1.3.101.112': { hash: null },
};

/** RSASSA-PSS-params (RFC 4055 §3.1): hash [0], salt length [2] (default 20). */
function pssParams(
  params: ASN1Obj | undefined,
): { hash: 'sha256' | 'sha384' | 'sha512'; salt: number } | undefined {
  const hashOid = params?.subs.find((s) => s.tag.isContextSpecific(0))?.subs[0]?.subs[0]?.toOID();
  const hash = hashOid === undefined ? undefined : HASH_OIDS[hashOid];
  if (hash === undefined) return undefined;
  const saltObj = params?.subs.find((s) => s.tag.isContextSpecific(2))?.subs[0];
  const salt = saltObj === undefined ? 20 : Number(saltObj.toInteger());
  return { hash, salt };
}

/**
 * Checks `signature` over `data` with `key` under the AlgorithmIdentifier
 * `algorithm`. Returns undefined when valid, else why not.
 */
export function checkSignature(
  algorithm: ASN1Obj,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
): string | undefined {
  let oid: string;
  try {
    oid = algorithm.subs[0]!.toOID();
  } catch {
    return 'malformed signature algorithm';
  }
  const scheme = SIGNATURE_ALGORITHMS[oid];
  if (!scheme)
    return `signature algorithm ${oid} is not allowed (SHA-1 and unknown algorithms are refused)`;
  try {
    if (scheme.padding === 'pss') {
      const pss = pssParams(algorithm.subs[1]);
      if (!pss) return 'RSASSA-PSS with SHA-1 or an unknown hash is not allowed';
      return cryptoVerify(
        pss.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.salt },
        signature,
      )
        ? undefined
        : 'signature does not verify';
    }
    if (scheme.padding === 'pkcs1' && key.asymmetricKeyType !== 'rsa')
      return 'RSA signature but the key is not RSA';
    if (scheme.padding === undefined && scheme.hash !== null && key.asymmetricKeyType !== 'ec') {
      return 'ECDSA signature but the key is not EC';
    }
    return cryptoVerify(scheme.hash, data, key, signature)
      ? undefined
      : 'signature does not verify';
  } catch (err) {
    return `signature cannot be checked (${(err as Error).message})`;
  }
}
