/**
 * Entry point of envelope decoding: picks the format by media type, bounding
 * the input size before any parsing.
 */
import { EnvelopeError, ErrorCode } from '../errors';
import { parseCose } from './cose';
import { parseJws } from './jws';
import { ENVELOPE_LIMITS } from './limits';
import type { EnvelopeMediaType, SignatureEnvelope } from './types';

/** The envelope formats the Notary Project defines, by media type. */
export const ENVELOPE_MEDIA_TYPES: Readonly<
  Record<EnvelopeMediaType, (bytes: Uint8Array) => SignatureEnvelope>
> = {
  'application/jose+json': parseJws,
  'application/cose': parseCose,
};

/**
 * Decodes a Notary Project signature envelope (`application/jose+json` or
 * `application/cose`) into one {@link SignatureEnvelope}. Checks that it is
 * well-formed and follows the envelope specifications (required and critical
 * headers, algorithm matching the signing key, payload, certificate chain);
 * verifies no signature and makes no trust decision. Throws
 * ERR_ENVELOPE_INVALID or ERR_ALGORITHM_UNSUPPORTED.
 */
export function parseEnvelope(bytes: Uint8Array, mediaType: string): SignatureEnvelope {
  if (!(bytes instanceof Uint8Array)) {
    throw new EnvelopeError(ErrorCode.ENVELOPE_INVALID, 'envelope: expected the envelope bytes');
  }
  const parse = Object.hasOwn(ENVELOPE_MEDIA_TYPES, mediaType)
    ? ENVELOPE_MEDIA_TYPES[mediaType as EnvelopeMediaType]
    : undefined;
  if (!parse) {
    throw new EnvelopeError(
      ErrorCode.ENVELOPE_INVALID,
      `envelope: media type "${String(mediaType).slice(0, 100)}" is not supported; use "application/jose+json" or "application/cose"`,
    );
  }
  if (bytes.byteLength > ENVELOPE_LIMITS.maxEnvelopeBytes) {
    throw new EnvelopeError(
      ErrorCode.ENVELOPE_INVALID,
      `envelope: ${bytes.byteLength} bytes is larger than the ${ENVELOPE_LIMITS.maxEnvelopeBytes}-byte limit`,
    );
  }
  if (bytes.byteLength === 0) {
    throw new EnvelopeError(ErrorCode.ENVELOPE_INVALID, 'envelope: is empty');
  }
  return parse(bytes);
}
