import type { TufNotaryError } from '../errors';
import type {
  Descriptor,
  EnvelopeCertificate,
  NotaryPayload,
  SignatureEnvelope,
} from '../envelope/types';
import type { VerificationCheckName, VerificationLevelName } from '../policy/types';
import type { VerifierTrust } from '../trust/types';

/** What a check concluded. */
export type CheckResultName = 'passed' | 'failed' | 'skipped';

/** What the level did with the check's result. */
export type CheckActionTaken = 'enforced' | 'logged' | 'skipped';

/** How the revocation status was decided. */
export type RevocationMethod = 'denylist' | 'ocsp' | 'crl' | 'cache' | 'none' | 'plugin';

/** Facts a check reports besides pass/fail (which certificate, method, …). */
export interface CheckDetail {
  /** The certificate concerned (subject and SHA-256 fingerprint). */
  readonly certificate?: { readonly subject: string; readonly fingerprint: string };
  /** Revocation: how the status was decided. */
  readonly method?: RevocationMethod;
  /** Revocation: the status found. */
  readonly status?: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly reason?: string;
  /** Authenticity: the trusted certificate the chain reached, as `type:name`. */
  readonly store?: string;
  /** Revocation: every certificate's status, method, and the time and reason when revoked. */
  readonly revocation?: readonly {
    readonly subject: string;
    readonly fingerprint: string;
    readonly status: string;
    readonly method: string;
    readonly revokedAt?: Date;
    readonly reason?: string;
    readonly error?: string;
    readonly source?: string;
  }[];
  /** Free text: what was checked. */
  readonly note?: string;
}

/** The outcome of one check. */
export interface CheckOutcome {
  readonly check: VerificationCheckName;
  readonly result: CheckResultName;
  readonly action: CheckActionTaken;
  readonly error?: TufNotaryError;
  readonly detail?: CheckDetail;
}

/** Who signed, as far as the envelope says (trust is in the checks). */
export interface SignerInfo {
  readonly subject: string;
  readonly fingerprint: string;
  readonly issuer: string;
  readonly notAfter: Date;
  readonly chain: readonly EnvelopeCertificate[];
}

/** The result of verifying one signature. */
export interface VerificationOutcome {
  /** True when no enforced check failed. */
  readonly ok: boolean;
  /** The verification level of the policy statement that applied. */
  readonly level?: VerificationLevelName;
  /** Name of the policy statement that applied. */
  readonly policy?: string;
  /** Every check in the order it ran (or would have run). */
  readonly checks: readonly CheckOutcome[];
  readonly signer?: SignerInfo;
  /** The decoded envelope, when it could be decoded. */
  readonly envelope?: SignatureEnvelope;
  readonly payload?: NotaryPayload;
  /** The enforced failure that made `ok` false. */
  readonly error?: TufNotaryError;
  /** Things a human should know that did not fail the outcome (logged failures, tags). */
  readonly warnings: readonly string[];
  /** verifyArtifact: the artifact as resolved in the registry. */
  readonly artifact?: {
    readonly reference: string;
    readonly digest: string;
    /** True when a tag was resolved (tags are mutable: prefer digests). */
    readonly byTag: boolean;
  };
  /** verifyArtifact: every signature tried, in order, and why each failed. */
  readonly signatures?: readonly SignatureAttempt[];
}

/** One signature verifyArtifact tried. */
export interface SignatureAttempt {
  /** Digest of the signature manifest. */
  readonly digest: string;
  readonly mediaType?: string;
  readonly ok: boolean;
  readonly error?: TufNotaryError;
}

/** What verifyArtifact needs of a registry: a RegistryClient, or anything with these methods. */
export type SignatureRegistry = Pick<
  import('../registry').RegistryClient,
  'resolve' | 'listSignatures' | 'fetchSignature'
>;

/** Options of verifyArtifact. */
export interface VerifyArtifactOptions {
  readonly registry: SignatureRegistry;
  /** Most signatures to try (default 50); the first that verifies wins. */
  readonly maxSignatures?: number;
  readonly userMetadata?: Readonly<Record<string, string>>;
}

/** A request to verify one signature of an OCI artifact. */
export interface VerifyRequest {
  /** The artifact reference with a digest: `registry/repo@sha256:…` (a tag may precede the digest). */
  readonly artifact: string;
  /** The envelope bytes. */
  readonly envelope: Uint8Array;
  /** `application/jose+json` or `application/cose`. */
  readonly mediaType: string;
  /**
   * The artifact's full descriptor when known (registry discovery supplies it):
   * then media type and size must match the payload too, not only the digest.
   */
  readonly descriptor?: Descriptor;
  /** Annotations the signature must carry in `targetArtifact.annotations`, with these values. */
  readonly userMetadata?: Readonly<Record<string, string>>;
}

/** A request to verify a detached signature of a blob. */
export interface BlobVerifyRequest {
  readonly blob: Uint8Array;
  readonly envelope: Uint8Array;
  readonly mediaType: string;
  /** Blob policy statement name; omitted: the global blob policy. */
  readonly policyName?: string;
  /** When given, must equal the payload's `targetArtifact.mediaType`. */
  readonly contentMediaType?: string;
  /** Annotations the signature must carry in `targetArtifact.annotations`, with these values. */
  readonly userMetadata?: Readonly<Record<string, string>>;
}

/** A verification plugin capability (plugin-extensibility.md). */
export type PluginCapability =
  'SIGNATURE_VERIFIER.TRUSTED_IDENTITY' | 'SIGNATURE_VERIFIER.REVOCATION_CHECK';

/** What the Verifier asks a plugin. */
export interface PluginRequest {
  readonly pluginName: string;
  readonly envelope: SignatureEnvelope;
  /** Capabilities the verifier still needs the plugin to decide. */
  readonly capabilities: readonly PluginCapability[];
  readonly trustedIdentities: readonly string[];
  /** Every extended attribute the plugin must process. */
  readonly criticalAttributes: readonly string[];
}

/** A plugin's answer (the `verify-signature` response of the plugin spec). */
export interface PluginResponse {
  /** The plugin's version (SemVer), compared with the envelope's minimum. */
  readonly version: string;
  /** Capabilities the plugin has. */
  readonly capabilities: readonly PluginCapability[];
  readonly verificationResults: Readonly<
    Partial<Record<PluginCapability, { readonly success: boolean; readonly reason?: string }>>
  >;
  /** Extended attributes the plugin processed. */
  readonly processedAttributes: readonly string[];
}

/** A verification plugin registered by the caller. */
export type VerificationPlugin = (request: PluginRequest) => Promise<PluginResponse>;

/** Something that always hands out the active trust (a TrustClient). */
export interface TrustProvider {
  current(): VerifierTrust;
}

/** How the Verifier checks revocation (see {@link VerifierOptions.revocation}). */
export type RevocationMode = 'online' | 'offline' | 'denylist';

/** Revocation options the Verifier passes to its RevocationChecker. */
export type VerifierRevocationOptions = Omit<
  import('../revocation').RevocationOptions,
  'mode' | 'now'
>;

/** Options of the Verifier. */
export interface VerifierOptions {
  /**
   * How certificate revocation is checked, after the TUF deny list
   * (`revocations.json`), which is always checked and needs no network:
   * `online` (default): OCSP, then CRLs, over the network, with a cache;
   * `offline`: cached OCSP responses and CRLs only, anything else is unknown;
   * `denylist`: the deny list only, OCSP and CRLs are not consulted.
   */
  readonly revocation?: RevocationMode;
  /** Timeouts, limits, disk cache, proxy/CA options and a custom fetcher for OCSP and CRLs. */
  readonly revocationOptions?: VerifierRevocationOptions;
  /** Clock used for every time comparison (tests, replays). */
  readonly now?: () => Date;
  /** Verification plugins by name; an envelope that requires an unregistered one fails closed. */
  readonly plugins?: Readonly<Record<string, VerificationPlugin>>;
}
