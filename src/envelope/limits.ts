/**
 * Bounds applied to an envelope BEFORE it is parsed. Real Notary envelopes are
 * a few KiB (a three-certificate chain plus a timestamp token is under 16
 * KiB); every bound leaves a wide margin while keeping hostile inputs cheap.
 * notation-go reads envelope blobs up to 32 MiB from a registry; we accept at
 * most {@link ENVELOPE_LIMITS.maxEnvelopeBytes} (see docs).
 */
export const ENVELOPE_LIMITS = {
  /** Whole envelope (JWS JSON or COSE bytes). */
  maxEnvelopeBytes: 4 * 1024 * 1024,
  /** Decoded payload (the Notary payload JSON). */
  maxPayloadBytes: 1024 * 1024,
  /** Decoded protected header. */
  maxProtectedHeaderBytes: 64 * 1024,
  /** Entries in the protected header, in the unprotected header, or in `crit`. */
  maxHeaderEntries: 64,
  /** Length of one header string (times, names, versions, media types). */
  maxHeaderStringLength: 4096,
  /** Certificates in the chain. */
  maxCertificates: 16,
  /** RFC 3161 TimeStampToken. */
  maxTimestampTokenBytes: 256 * 1024,
  /** Raw signature value (RSA-4096 is 512 bytes, ECDSA P-521 raw is 132). */
  maxSignatureBytes: 1024,
  /** Nesting depth of JSON or CBOR values. */
  maxDepth: 16,
  /** Annotations in the payload descriptor. */
  maxAnnotations: 1024,
} as const;
