/**
 * The integrity check: the primitive signature over the envelope's signed
 * bytes, with the signing certificate's key, through node:crypto (OpenSSL).
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import { certificatesOf } from './chain';
import { ErrorCode, VerificationError } from '../errors';
import { ALGORITHMS, algorithmForKey, type AlgorithmInfo } from './algorithms';
import type { SignatureEnvelope } from './types';

/**
 * Verifies `envelope.signature` over `envelope.signedBytes` with the leaf
 * certificate's public key. RSASSA-PSS uses MGF1 with the same hash and a salt
 * as long as the hash (RFC 7518 §3.5; go-cose for COSE); ECDSA uses the raw
 * `r||s` (IEEE P1363) form both JWS (RFC 7518 §3.4) and COSE (RFC 9053 §2.1)
 * use. Throws ERR_SIGNATURE_INVALID when the signature does not verify, and
 * ERR_ALGORITHM_UNSUPPORTED when the leaf key allows no algorithm.
 */
export function verifyEnvelopeSignature(envelope: SignatureEnvelope): void {
  const leaf = certificatesOf(envelope)[0];
  if (!leaf) throw invalid('the envelope has no signing certificate');
  const key = leaf.publicKey;
  const algorithm = ALGORITHMS[envelope.algorithm];
  // Decoding already matched alg to the key; re-check so a hand-built envelope cannot skip it.
  if (!algorithm || algorithmForKey(key).name !== algorithm.name) {
    throw invalid(`the signing certificate's key cannot produce ${envelope.algorithm} signatures`);
  }
  if (!verifyWith(algorithm, key, envelope.signedBytes, envelope.signature)) {
    throw invalid(
      `the ${algorithm.name} signature does not verify with the signing certificate's key: the payload, the signed headers or the signature were changed after signing`,
    );
  }
}

function verifyWith(
  algorithm: AlgorithmInfo,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (algorithm.keyType === 'rsa') {
      return verify(
        algorithm.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.hashLength },
        signature,
      );
    }
    // Raw r||s must be exactly two coordinates long; OpenSSL would otherwise pad or reject.
    if (signature.length !== 2 * (algorithm.ecCoordinateLength ?? 0)) return false;
    return verify(algorithm.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

function invalid(message: string): VerificationError {
  return new VerificationError(ErrorCode.SIGNATURE_INVALID, `integrity: ${message}`);
}
