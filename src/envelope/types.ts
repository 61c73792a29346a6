/** Envelope media types the Notary Project defines. */
export type EnvelopeMediaType = 'application/jose+json' | 'application/cose';

/** Signing schemes; each decides which trust store type authenticates the chain. */
export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

/** Signature algorithms allowed by the Notary Project (the leaf key decides). */
export type SignatureAlgorithm =
  | 'RSASSA-PSS-SHA-256'
  | 'RSASSA-PSS-SHA-384'
  | 'RSASSA-PSS-SHA-512'
  | 'ECDSA-SHA-256'
  | 'ECDSA-SHA-384'
  | 'ECDSA-SHA-512';

/** An OCI descriptor (the payload's `targetArtifact`). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly artifactType?: string;
  readonly urls?: readonly string[];
}

/** The Notary Project payload (`application/vnd.cncf.notary.payload.v1+json`). */
export interface NotaryPayload {
  readonly targetArtifact: Descriptor;
}

/** A certificate of the envelope's chain, leaf first. */
export interface EnvelopeCertificate {
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint: string;
  /** Subject DN, RFC 4514 style. */
  readonly subject: string;
  /** Issuer DN, RFC 4514 style. */
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly der: Uint8Array;
}

/** The RFC 3161 countersignature, once verified by the timestamp stage. */
export interface TimestampInfo {
  readonly genTime: Date;
  readonly lowerLimit: Date;
  readonly upperLimit: Date;
  /** The TSA's certificates carried in the token. */
  readonly certificates: readonly EnvelopeCertificate[];
}

/**
 * One decoded signature envelope (JWS or COSE). Decoding makes no trust
 * decision: it only checks that the envelope is well-formed.
 */
export interface SignatureEnvelope {
  readonly mediaType: EnvelopeMediaType;
  readonly signingScheme: SigningScheme;
  readonly algorithm: SignatureAlgorithm;
  /** Signing time claimed by the signer (`notary.x509`). */
  readonly signingTime?: Date;
  /** Authentic signing time (`notary.x509.signingAuthority`). */
  readonly authenticSigningTime?: Date;
  /** Signature expiry, when the signer set one. */
  readonly expiry?: Date;
  /** Always `application/vnd.cncf.notary.payload.v1+json`. */
  readonly contentType: string;
  readonly payload: NotaryPayload;
  /** The raw payload bytes (what `targetArtifact` was parsed from). */
  readonly payloadBytes: Uint8Array;
  /** Leaf first. */
  readonly certificateChain: readonly EnvelopeCertificate[];
  /** The raw RFC 3161 TimeStampToken (CMS SignedData, DER), when present. */
  readonly timestampToken?: Uint8Array;
  /** Parsed by the Verifier's timestamp check; undefined before. */
  readonly timestamp?: TimestampInfo;
  /** `io.cncf.notary.signingAgent`, an unsigned attribute. */
  readonly signingAgent?: string;
  /** Name of the plugin required to verify this signature, if any. */
  readonly verificationPlugin?: string;
  /** Minimum version of that plugin, if any. */
  readonly verificationPluginMinVersion?: string;
  /** Signed extended attributes (name → value), critical ones marked. */
  readonly extendedAttributes: readonly ExtendedAttribute[];
  /** Names of the critical headers (JWS `crit` / COSE label 2). */
  readonly critical: readonly string[];
  /** The raw signature value (what the timestamp countersigns). */
  readonly signature: Uint8Array;
  /** The exact bytes the signature covers (JWS signing input / COSE Sig_structure). */
  readonly signedBytes: Uint8Array;
}

/** A signed extended attribute. */
export interface ExtendedAttribute {
  readonly key: string;
  readonly value: unknown;
  readonly critical: boolean;
}
