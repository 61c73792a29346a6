/**
 * The certificate chain unsigned attribute (signature specification
 * "Unsigned Attributes": leaf first, then intermediates, then the root) and
 * the algorithm its leaf key decides.
 */
import { parseCertificate, type Certificate } from '../x509/certificate';
import { EnvelopeError, ErrorCode, TufNotaryError } from '../errors';
import { algorithmForKey, type AlgorithmInfo } from './algorithms';
import { ENVELOPE_LIMITS } from './limits';

/**
 * Parses the chain's DER certificates (count bounded first). A certificate
 * that cannot be parsed makes the envelope invalid (ERR_ENVELOPE_INVALID,
 * with the certificate error as cause). Chain rules themselves (issuance,
 * extensions) are the x509 stage's job.
 */
export function parseChain(ders: readonly Uint8Array[], where: string): Certificate[] {
  if (ders.length === 0) {
    throw new EnvelopeError(
      ErrorCode.ENVELOPE_INVALID,
      `${where}: the certificate chain is empty; it must start with the signing certificate`,
    );
  }
  if (ders.length > ENVELOPE_LIMITS.maxCertificates) {
    throw new EnvelopeError(
      ErrorCode.ENVELOPE_INVALID,
      `${where}: ${ders.length} certificates is more than the limit of ${ENVELOPE_LIMITS.maxCertificates}`,
    );
  }
  return ders.map((der, i) => {
    try {
      return parseCertificate(der, `${where} certificate ${i + 1}`);
    } catch (cause) {
      const message = cause instanceof TufNotaryError ? cause.message : String(cause);
      throw new EnvelopeError(ErrorCode.ENVELOPE_INVALID, message, { cause });
    }
  });
}

/**
 * Checks that the envelope's `alg` is the algorithm the leaf key decides
 * (JWS/COSE specs: the verifier "MUST match alg with signature algorithm of the
 * signing key to mitigate algorithm substitution attacks"). A key that allows
 * no algorithm throws ERR_ALGORITHM_UNSUPPORTED; a mismatch ERR_ENVELOPE_INVALID.
 */
export function checkAlgorithmMatchesLeaf(
  declared: AlgorithmInfo,
  leaf: Certificate,
  where: string,
): void {
  const expected = algorithmForKey(leaf.publicKey, `${where} signing certificate`);
  if (expected.name !== declared.name) {
    throw new EnvelopeError(
      ErrorCode.ENVELOPE_INVALID,
      `${where}: the header names ${declared.name} but the signing certificate's key requires ${expected.name}`,
      { details: { declared: declared.name, expected: expected.name } },
    );
  }
}

/**
 * The envelope's chain as parsed certificates. Decoding already parsed them
 * (the `certificateChain` entries are `Certificate`s); an envelope built by
 * hand with plain `EnvelopeCertificate`s is parsed here.
 */
export function certificatesOf(envelope: {
  readonly certificateChain: readonly { readonly der: Uint8Array }[];
}): Certificate[] {
  return envelope.certificateChain.map((c, i) =>
    isParsed(c) ? c : parseCertificate(c.der, `envelope certificate ${i}`),
  );
}

function isParsed(c: { readonly der: Uint8Array }): c is Certificate {
  const x = c as Partial<Certificate>;
  return x.publicKey !== undefined && x.node !== undefined && x.subjectAttributes !== undefined;
}
