/**
 * The Notary Project signature algorithms as one table (signature
 * specification "Algorithm Selection"; JWS and COSE envelope specs
 * "Supported alg header values"). The signing certificate's key decides the
 * algorithm; the envelope's `alg` must name the same one.
 */
import type { KeyObject } from 'node:crypto';
import { EnvelopeError, ErrorCode } from '../errors';
import type { SignatureAlgorithm } from './types';

/** Hash functions the algorithms use (node:crypto names). */
export type HashName = 'sha256' | 'sha384' | 'sha512';

/** One row of {@link ALGORITHMS}. */
export interface AlgorithmInfo {
  readonly name: SignatureAlgorithm;
  /** JWS `alg` header value (RFC 7518 §3.1). */
  readonly jws: string;
  /** COSE `alg` label 1 value (IANA COSE Algorithms). */
  readonly cose: number;
  readonly hash: HashName;
  /** Hash output length in bytes: also the RSASSA-PSS salt length. */
  readonly hashLength: number;
  readonly keyType: 'rsa' | 'ec';
  /** RSA modulus length in bits, or EC field size in bits. */
  readonly keySize: number;
  /** node:crypto `namedCurve` for EC keys. */
  readonly curve?: string;
  /** Length of one ECDSA `r` or `s` value in the raw (IEEE P1363) encoding. */
  readonly ecCoordinateLength?: number;
}

/** Every algorithm the Notary Project allows, by name. */
export const ALGORITHMS: Readonly<Record<SignatureAlgorithm, AlgorithmInfo>> = {
  'RSASSA-PSS-SHA-256': {
    name: 'RSASSA-PSS-SHA-256',
    jws: 'PS256',
    cose: -37,
    hash: 'sha256',
    hashLength: 32,
    keyType: 'rsa',
    keySize: 2048,
  },
  'RSASSA-PSS-SHA-384': {
    name: 'RSASSA-PSS-SHA-384',
    jws: 'PS384',
    cose: -38,
    hash: 'sha384',
    hashLength: 48,
    keyType: 'rsa',
    keySize: 3072,
  },
  'RSASSA-PSS-SHA-512': {
    name: 'RSASSA-PSS-SHA-512',
    jws: 'PS512',
    cose: -39,
    hash: 'sha512',
    hashLength: 64,
    keyType: 'rsa',
    keySize: 4096,
  },
  'ECDSA-SHA-256': {
    name: 'ECDSA-SHA-256',
    jws: 'ES256',
    cose: -7,
    hash: 'sha256',
    hashLength: 32,
    keyType: 'ec',
    keySize: 256,
    curve: 'prime256v1',
    ecCoordinateLength: 32,
  },
  'ECDSA-SHA-384': {
    name: 'ECDSA-SHA-384',
    jws: 'ES384',
    cose: -35,
    hash: 'sha384',
    hashLength: 48,
    keyType: 'ec',
    keySize: 384,
    curve: 'secp384r1',
    ecCoordinateLength: 48,
  },
  'ECDSA-SHA-512': {
    name: 'ECDSA-SHA-512',
    jws: 'ES512',
    cose: -36,
    hash: 'sha512',
    hashLength: 64,
    keyType: 'ec',
    keySize: 521,
    curve: 'secp521r1',
    ecCoordinateLength: 66,
  },
};

const ROWS = Object.values(ALGORITHMS);

/** The algorithm a JWS `alg` value names, or undefined when the Notary Project does not allow it. */
export function algorithmFromJws(alg: string): AlgorithmInfo | undefined {
  return ROWS.find((r) => r.jws === alg);
}

/** The algorithm a COSE `alg` label value names, or undefined when not allowed. */
export function algorithmFromCose(alg: number): AlgorithmInfo | undefined {
  return ROWS.find((r) => r.cose === alg);
}

/**
 * The algorithm the signing key decides (signature specification, "Algorithm
 * Selection"): RSA 2048/3072/4096 → PSS with SHA-256/384/512, EC
 * P-256/384/521 → ECDSA with SHA-256/384/512. Any other key type or size
 * throws ERR_ALGORITHM_UNSUPPORTED. RSASSA-PSS-only keys (id-RSASSA-PSS SPKI)
 * are rejected as Go's crypto/x509 does not read them either.
 */
export function algorithmForKey(key: KeyObject, where = 'signing certificate'): AlgorithmInfo {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  let row: AlgorithmInfo | undefined;
  let described: string;
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    described = `RSA ${bits}-bit`;
    row = ROWS.find((r) => r.keyType === 'rsa' && r.keySize === bits);
  } else if (type === 'ec') {
    described = `EC ${details.namedCurve ?? 'unknown curve'}`;
    row = ROWS.find((r) => r.keyType === 'ec' && r.curve === details.namedCurve);
  } else {
    described = `${type ?? 'unknown'} key`;
  }
  if (!row) {
    throw new EnvelopeError(
      ErrorCode.ALGORITHM_UNSUPPORTED,
      `${where}: a ${described} key is not allowed; the Notary Project accepts RSA 2048/3072/4096 or EC P-256/P-384/P-521 keys`,
      { details: { key: described } },
    );
  }
  return row;
}
