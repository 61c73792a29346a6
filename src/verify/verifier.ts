/**
 * The Verifier: the ordered Notary Project checks for one signature
 * (signing-and-verification-workflow.md, "Signature Verification"; DIGEST
 * §5.2), each enforced, logged or skipped by the policy level. Pure logic: it
 * does no I/O (revocation beyond the deny list arrives with its own stage).
 */
import { createHash } from 'node:crypto';
import {
  ErrorCode,
  PolicyError,
  TrustError,
  TufNotaryError,
  UsageError,
  VerificationError,
} from '../errors';
import { ALGORITHMS, certificatesOf, parseEnvelope, verifyEnvelopeSignature } from '../envelope';
import type { Descriptor, SignatureEnvelope, TimestampInfo } from '../envelope/types';
import {
  artifactRepository,
  CHECK_ORDER,
  matchesTrustedIdentities,
  parseStoreReference,
  selectBlobPolicy,
  selectOciPolicy,
  verificationActions,
} from '../policy';
import type {
  BlobTrustPolicyStatement,
  OciTrustPolicyStatement,
  StoreReference,
} from '../policy/types';
import { certificatesFor } from '../trust/stores';
import type { StoreType, TrustedCertificate, TrustStores, VerifierTrust } from '../trust/types';
import { ChainValidationCache, type Certificate } from '../x509';
import {
  asCoded,
  descriptorMismatch,
  EnforcedFailure,
  OutcomeRecorder,
  withDetail,
} from './outcome';
import { ChainRevocation } from './revocation';
import { runPlugin } from './plugins';
import type {
  BlobVerifyRequest,
  CheckDetail,
  SignatureAttempt,
  VerifyArtifactOptions,
  CheckOutcome,
  TrustProvider,
  VerificationOutcome,
  VerifierOptions,
  VerifyRequest,
} from './types';

/** Which trust store type authenticates each signing scheme (DIGEST §4.6). */
const SCHEME_STORE: Readonly<Record<SignatureEnvelope['signingScheme'], StoreType>> = {
  'notary.x509': 'ca',
  'notary.x509.signingAuthority': 'signingAuthority',
};

type Statement = OciTrustPolicyStatement | BlobTrustPolicyStatement;

/** Signatures verifyArtifact tries at most by default (issue: 50). */
export const DEFAULT_MAX_SIGNATURES = 50;

/** The subject to check against the artifact: digest always; media type and size when known. */
interface Subject {
  readonly digest?: string;
  readonly descriptor?: Descriptor;
  /** Blob bytes: digest computed with the signature algorithm's hash. */
  readonly blob?: Uint8Array;
  readonly contentMediaType?: string;
  readonly userMetadata?: Readonly<Record<string, string>>;
}

/**
 * Verifies Notary Project signatures against trust from a {@link TrustSnapshot},
 * a Notation configuration directory, or a provider of the active snapshot
 * (a TrustClient, so staged removals and freezes apply at once).
 */
export class Verifier {
  readonly #trust: VerifierTrust | TrustProvider;
  readonly #options: VerifierOptions;
  readonly #chains = new ChainValidationCache();
  /** Roots per (stores, referenced stores, type): frozen, so x509 indexes them once. */
  readonly #roots = new WeakMap<TrustStores, Map<string, RootsFor>>();
  readonly #revocation: ChainRevocation;

  constructor(trust: VerifierTrust | TrustProvider, options: VerifierOptions = {}) {
    if (!trust || typeof trust !== 'object') {
      throw new UsageError(
        'Verifier needs trust: a TrustSnapshot, a TrustClient or loadNotationConfig(dir)',
      );
    }
    const mode = options.revocation ?? 'online';
    if (!['online', 'offline', 'denylist'].includes(mode)) {
      throw new UsageError(
        `revocation must be "online", "offline" or "denylist", not ${JSON.stringify(options.revocation)}`,
      );
    }
    this.#revocation = new ChainRevocation(mode, {
      ...options.revocationOptions,
      ...(options.now ? { now: options.now } : {}),
    });
    this.#trust = trust;
    this.#options = options;
  }

  /** Chain-validation cache statistics (for benchmarks and diagnostics). */
  get cacheStats(): { hits: number; misses: number } {
    return this.#chains.stats;
  }

  /**
   * Verifies one signature envelope of the OCI artifact `request.artifact`
   * (a reference with a digest). Never throws for a verification failure:
   * the outcome says what failed. Throws only for unusable arguments
   * (ERR_USAGE) or unusable trust (ERR_TRUST_EXPIRED).
   */
  async verify(request: VerifyRequest): Promise<VerificationOutcome> {
    const trust = this.#activeTrust();
    const digest = digestOf(request.artifact);
    const found = applicable(trust.policy, 'OCI trust policy (trustpolicy.oci.json)', (p) =>
      selectOciPolicy(p, request.artifact),
    );
    if ('outcome' in found) return found.outcome;
    const { statement } = found;
    return this.#verifyWith(trust, statement, request.envelope, request.mediaType, {
      digest,
      ...(request.descriptor ? { descriptor: request.descriptor } : {}),
      ...(request.userMetadata ? { userMetadata: request.userMetadata } : {}),
    });
  }

  /**
   * Resolves `reference` in the registry, discovers its Notary signatures and
   * verifies them in the registry's order until one passes or
   * `maxSignatures` (default 50) were tried (signing-and-verification-workflow.md
   * "Verification"; DIGEST §5.1). The outcome is the passing signature's, or a
   * failure listing every signature tried in `signatures`. Registry failures
   * while resolving or listing throw ERR_REGISTRY.
   */
  async verifyArtifact(
    reference: string,
    options: VerifyArtifactOptions,
  ): Promise<VerificationOutcome> {
    const max = options.maxSignatures ?? DEFAULT_MAX_SIGNATURES;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new UsageError(`maxSignatures must be a positive integer, not ${String(max)}`);
    }
    const trust = this.#activeTrust();
    const selected = applicable(trust.policy, 'OCI trust policy (trustpolicy.oci.json)', (p) =>
      selectOciPolicy(p, reference),
    );
    if ('outcome' in selected) return selected.outcome;
    const { statement } = selected;
    const base = { level: statement.signatureVerification.level, policy: statement.name };
    if (statement.signatureVerification.level === 'skip') {
      // DIGEST §5.1 step 2: skip succeeds without fetching any signature.
      return {
        ...base,
        ok: true,
        checks: CHECK_ORDER.map((check) => ({ check, result: 'skipped', action: 'skipped' })),
        warnings: [`policy "${statement.name}" skips verification`],
      };
    }
    const resolved = await options.registry.resolve(reference);
    const digest = resolved.descriptor.digest;
    const repository = artifactRepository(reference);
    const pinned = `${repository}@${digest}`;
    const artifact = { reference, digest, byTag: resolved.byTag };
    const warnings = resolved.byTag
      ? [
          `${reference} was resolved by tag to ${digest}; tags can move — verify and deploy by digest`,
        ]
      : [];
    const found = await options.registry.listSignatures(resolved, { maxSignatures: max });
    if (found.length === 0) {
      return {
        ...base,
        ok: false,
        checks: notReached('no signature found'),
        warnings,
        artifact,
        signatures: [],
        error: new VerificationError(
          ErrorCode.UNTRUSTED_SIGNER,
          `no signature is associated with ${pinned}; make sure the artifact was signed`,
          { details: { signatures: 0 } },
        ),
      };
    }
    const attempts: SignatureAttempt[] = [];
    let last: VerificationOutcome | undefined;
    for (const signature of found.slice(0, max)) {
      let fetched: { envelope: Uint8Array; mediaType: string };
      try {
        fetched = await options.registry.fetchSignature(resolved, signature);
      } catch (err) {
        attempts.push({
          digest: signature.digest,
          ok: false,
          error: asCoded(err, ErrorCode.REGISTRY),
        });
        continue;
      }
      last = await this.verify({
        artifact: pinned,
        envelope: fetched.envelope,
        mediaType: fetched.mediaType,
        descriptor: resolved.descriptor,
        ...(options.userMetadata ? { userMetadata: options.userMetadata } : {}),
      });
      attempts.push({
        digest: signature.digest,
        mediaType: fetched.mediaType,
        ok: last.ok,
        ...(last.error ? { error: last.error } : {}),
      });
      if (last.ok) {
        return {
          ...last,
          warnings: [...warnings, ...last.warnings],
          artifact,
          signatures: attempts,
        };
      }
    }
    const limited = found.length >= max;
    const summary = attempts
      .map(
        (a, i) =>
          `  ${i + 1}. ${a.digest}: ${a.error ? `${a.error.code}: ${a.error.message}` : 'failed'}`,
      )
      .join('\n');
    const error = new VerificationError(
      attempts.length === 1 && attempts[0]!.error
        ? attempts[0]!.error.code
        : ErrorCode.SIGNATURE_INVALID,
      (limited
        ? `signature evaluation stopped: the limit of ${max} signatures to verify for ${pinned} was reached with none verified`
        : `none of the ${attempts.length} signature(s) of ${pinned} verified`) + `:\n${summary}`,
      { details: { tried: attempts.length, limit: max } },
    );
    return {
      ...(last ?? { ...base, checks: notReached('no signature could be fetched') }),
      ok: false,
      error: attempts.length === 1 && attempts[0]!.error ? attempts[0]!.error : error,
      warnings: [...warnings, ...(last?.warnings ?? [])],
      artifact,
      signatures: attempts,
    };
  }

  /** Verifies a detached signature of `request.blob` against the blob trust policy. */
  async verifyBlob(request: BlobVerifyRequest): Promise<VerificationOutcome> {
    const trust = this.#activeTrust();
    const found = applicable(trust.blobPolicy, 'blob trust policy (trustpolicy.blob.json)', (p) =>
      selectBlobPolicy(p, request.policyName),
    );
    if ('outcome' in found) return found.outcome;
    const { statement } = found;
    return this.#verifyWith(trust, statement, request.envelope, request.mediaType, {
      blob: request.blob,
      ...(request.contentMediaType ? { contentMediaType: request.contentMediaType } : {}),
      ...(request.userMetadata ? { userMetadata: request.userMetadata } : {}),
    });
  }

  #activeTrust(): VerifierTrust {
    const trust =
      'current' in this.#trust && typeof this.#trust.current === 'function'
        ? this.#trust.current()
        : (this.#trust as VerifierTrust);
    // A TUF snapshot carries the expiry of the metadata it rests on: a frozen
    // snapshot must never verify anything (DESIGN: ERR_TRUST_EXPIRED).
    const expires = (trust as { provenance?: { expires?: Date } }).provenance?.expires;
    if (expires && this.#now() >= expires) {
      throw new TrustError(
        ErrorCode.TRUST_EXPIRED,
        `the trust snapshot expired at ${expires.toISOString()}; refresh it from the trust repository`,
        { details: { expires: expires.toISOString() } },
      );
    }
    return trust;
  }

  #now(): Date {
    return this.#options.now ? this.#options.now() : new Date();
  }

  async #verifyWith(
    trust: VerifierTrust,
    statement: Statement,
    envelopeBytes: Uint8Array,
    mediaType: string,
    subject: Subject,
  ): Promise<VerificationOutcome> {
    const actions = verificationActions(statement.signatureVerification);
    const level = statement.signatureVerification.level;
    const rec = new OutcomeRecorder(actions);
    const base = { level, policy: statement.name };
    if (level === 'skip') {
      // trust-store-trust-policy.md: "skip" performs no verification at all.
      for (const check of CHECK_ORDER) rec.skipped(check, 'level skip');
      return {
        ...base,
        ok: true,
        checks: rec.checks,
        warnings: [`policy "${statement.name}" skips verification`],
      };
    }
    const now = this.#now();
    let envelope: SignatureEnvelope | undefined;
    let chain: Certificate[] = [];
    try {
      // 1. Integrity (always enforced): decode, verify the signature, the chain
      // structure and the payload against the artifact.
      await rec.run('integrity', ErrorCode.SIGNATURE_INVALID, () => {
        envelope = parseEnvelope(envelopeBytes, mediaType);
        verifyEnvelopeSignature(envelope);
        chain = certificatesOf(envelope);
        // Certificate requirements without a time check (DIGEST §5.2 step 1).
        this.#chains.checkStructure(chain, 'codeSigning');
        checkSubject(envelope, subject);
        return undefined;
      });
      const env = envelope!;
      // 2. Plugin discovery: an envelope that needs a plugin we lack fails closed.
      const plugin = env.verificationPlugin
        ? this.#options.plugins?.[env.verificationPlugin]
        : undefined;
      if (env.verificationPlugin && !plugin) {
        throw new EnforcedFailure(
          new VerificationError(
            ErrorCode.PLUGIN_REQUIRED,
            `the signature requires verification plugin "${env.verificationPlugin}"` +
              (env.verificationPluginMinVersion
                ? ` (version ${env.verificationPluginMinVersion} or later)`
                : '') +
              ', which is not registered; pass it in options.plugins or reject the artifact',
            { details: { plugin: env.verificationPlugin } },
          ),
        );
      }
      // 3+4. Authenticity: the chain reaches a root in a store of the scheme's
      // type that the policy names, and the leaf is a trusted identity.
      await rec.run('authenticity', ErrorCode.UNTRUSTED_SIGNER, () =>
        this.#authenticity(trust, statement, env, chain),
      );
      // 5. Expiry.
      await rec.run('expiry', ErrorCode.SIGNATURE_EXPIRED, () => {
        if (env.expiry && now >= env.expiry) {
          throw new VerificationError(
            ErrorCode.SIGNATURE_EXPIRED,
            `the signature expired on ${env.expiry.toUTCString()}`,
            { details: { expiry: env.expiry.toISOString() } },
          );
        }
        return env.expiry
          ? { note: `expires ${env.expiry.toISOString()}` }
          : { note: 'no expiry set' };
      });
      // 6. Authentic timestamp.
      let timestamp: TimestampInfo | undefined;
      await rec.run('authenticTimestamp', ErrorCode.TIMESTAMP_INVALID, async () => {
        const r = await this.#authenticTimestamp(trust, statement, env, chain, now);
        timestamp = r.timestamp;
        return r.detail;
      });
      if (timestamp) envelope = { ...env, timestamp };
      // 7. Revocation of the signing chain. A revocation whose invalidity date
      // is after the authentic signing time (or after a verified timestamp's
      // upper limit) does not count: the spec's "Certificate Revocation Evaluation".
      const signedAt = env.authenticSigningTime ?? timestamp?.upperLimit;
      await rec.run('revocation', ErrorCode.REVOKED, () =>
        this.#revocation.check(chain, 'codeSigning', trust.revocations ?? [], signedAt),
      );
      // 8. Plugin verification of the capabilities it has.
      if (plugin) {
        await runPlugin(plugin, env, statement, rec);
      }
    } catch (err) {
      if (!(err instanceof EnforcedFailure)) throw err;
      rec.finish(CHECK_ORDER);
      return {
        ...base,
        ok: false,
        checks: rec.checks,
        error: err.error,
        warnings: rec.warnings,
        ...described(envelope),
      };
    }
    rec.finish(CHECK_ORDER);
    return {
      ...base,
      ok: true,
      checks: rec.checks,
      warnings: rec.warnings,
      ...described(envelope),
    };
  }

  /**
   * {@link certificatesFor}, remembered per trust stores object (snapshots
   * and notation configs are immutable): the union of the referenced stores is
   * built once per statement, not on every verification (scale: 10,000
   * certificates must not make each verification scan them).
   */
  #certificatesFor(
    stores: TrustStores,
    refs: readonly StoreReference[],
    type: StoreType,
  ): RootsFor {
    let memo = this.#roots.get(stores);
    if (memo === undefined) {
      memo = new Map();
      this.#roots.set(stores, memo);
    }
    const key = `${type}\n${refs.map((r) => `${r.type}:${r.name}`).join('\n')}`;
    let found = memo.get(key);
    if (found === undefined) {
      const { certificates, missing } = certificatesFor(stores, refs, type);
      found = { certificates: Object.freeze(certificates), missing: Object.freeze(missing) };
      if (memo.size < MAX_REMEMBERED_ROOT_SETS) memo.set(key, found);
    }
    return found;
  }

  #authenticity(
    trust: VerifierTrust,
    statement: Statement,
    env: SignatureEnvelope,
    chain: readonly Certificate[],
  ): CheckDetail {
    const type = SCHEME_STORE[env.signingScheme];
    const refs = statement.trustStores.map(parseStoreReference);
    const { certificates, missing } = this.#certificatesFor(trust.stores, refs, type);
    if (missing.length > 0) {
      throw new VerificationError(
        ErrorCode.UNTRUSTED_SIGNER,
        `policy "${statement.name}" names trust store(s) ${missing.map(refName).join(', ')} that this trust does not hold`,
      );
    }
    if (certificates.length === 0) {
      throw new VerificationError(
        ErrorCode.UNTRUSTED_SIGNER,
        `policy "${statement.name}" names no "${type}" trust store, which signing scheme ${env.signingScheme} requires`,
      );
    }
    const validated = this.#chains.validate(chain, certificates, {
      purpose: 'codeSigning',
      where: 'signing chain',
    });
    const leaf = chain[0]!;
    if (!matchesTrustedIdentities(statement.trustedIdentities, leaf.subjectAttributes)) {
      throw withDetail(
        new VerificationError(
          ErrorCode.UNTRUSTED_SIGNER,
          `signing certificate "${leaf.subject}" does not match the trusted identities [${statement.trustedIdentities.join('; ')}] of policy "${statement.name}"`,
          { details: { subject: leaf.subject } },
        ),
        { certificate: { subject: leaf.subject, fingerprint: leaf.fingerprint } },
      );
    }
    return {
      certificate: {
        subject: validated.anchor.trusted.subject,
        fingerprint: validated.anchor.trusted.fingerprint,
      },
      store: storeOf(trust, refs, type, validated.anchor.trusted.fingerprint),
    };
  }

  async #authenticTimestamp(
    trust: VerifierTrust,
    statement: Statement,
    env: SignatureEnvelope,
    chain: readonly Certificate[],
    now: Date,
  ): Promise<{ detail: CheckDetail; timestamp?: TimestampInfo; tsaChain: readonly Certificate[] }> {
    if (env.signingScheme === 'notary.x509.signingAuthority') {
      // DIGEST §5.3: every chain certificate valid at the authentic signing time.
      const at = env.authenticSigningTime!;
      for (const cert of chain) {
        if (at < cert.notBefore || at > cert.notAfter) {
          throw withDetail(
            new VerificationError(
              ErrorCode.TIMESTAMP_INVALID,
              `certificate "${cert.subject}" was not valid when the signature was produced at ${at.toISOString()}`,
            ),
            { certificate: { subject: cert.subject, fingerprint: cert.fingerprint } },
          );
        }
      }
      return { detail: { note: `authentic signing time ${at.toISOString()}` }, tsaChain: [] };
    }
    const refs = statement.trustStores.map(parseStoreReference);
    const hasTsa = refs.some((r) => r.type === 'tsa');
    const when = statement.signatureVerification.verifyTimestamp ?? 'always';
    const expiredNow = chain.some((c) => now > c.notAfter);
    const triggered = hasTsa && (when === 'always' || expiredNow);
    if (!triggered) {
      // DIGEST §5.3 step 2: without a timestamp, every certificate must be valid now.
      checkValidAt(chain, now, 'verification time');
      return {
        detail: {
          note: hasTsa
            ? 'certificates valid now; timestamp not required'
            : 'certificates valid now (no tsa store in policy)',
        },
        tsaChain: [],
      };
    }
    if (!env.timestampToken) {
      throw new VerificationError(
        ErrorCode.TIMESTAMP_INVALID,
        'no timestamp countersignature was found in the signature envelope, but policy ' +
          `"${statement.name}" requires one (verifyTimestamp: ${when})`,
      );
    }
    const { certificates: tsaRoots, missing } = this.#certificatesFor(trust.stores, refs, 'tsa');
    if (missing.length > 0 || tsaRoots.length === 0) {
      throw new VerificationError(
        ErrorCode.TIMESTAMP_INVALID,
        `no trusted TSA certificate found: policy "${statement.name}" names ${missing.length ? `missing store(s) ${missing.map(refName).join(', ')}` : 'empty tsa stores'}`,
      );
    }
    const { verifyTimestampToken, checkTimestampAgainstChain } = await import('../timestamp');
    let result;
    try {
      result = await verifyTimestampToken(env.timestampToken, env.signature, tsaRoots);
      checkTimestampAgainstChain(result, chain);
    } catch (err) {
      // A bad TSA certificate or token is a timestamp failure, whatever stage found it.
      if (err instanceof TufNotaryError && err.code !== ErrorCode.TIMESTAMP_INVALID) {
        throw new VerificationError(
          ErrorCode.TIMESTAMP_INVALID,
          `timestamp countersignature: ${err.message}`,
          { cause: err, details: err.details },
        );
      }
      throw err;
    }
    // The TSA chain's revocation belongs to this step (DIGEST §5.3 step 9): a
    // revoked or unknown TSA certificate makes the timestamp unusable.
    await this.#revocation.check(result.tsaChain, 'timestamping', trust.revocations ?? []);
    return {
      detail: {
        note: `timestamped at ${result.genTime.toISOString()} (±${(result.upperLimit.getTime() - result.genTime.getTime()) / 1000}s)`,
      },
      timestamp: result,
      tsaChain: result.tsaChain,
    };
  }
}

/** The roots a statement trusts for one store type, and the stores it names that are missing. */
interface RootsFor {
  readonly certificates: readonly TrustedCertificate[];
  readonly missing: readonly StoreReference[];
}

/** Bound on remembered root sets per trust (one per statement and store type in practice). */
const MAX_REMEMBERED_ROOT_SETS = 50_000;

function refName(r: StoreReference): string {
  return `${r.type}:${r.name}`;
}

function storeOf(
  trust: VerifierTrust,
  refs: readonly StoreReference[],
  type: StoreType,
  fingerprint: string,
): string | undefined {
  for (const r of refs) {
    if (r.type !== type) continue;
    const certs: readonly TrustedCertificate[] | undefined = trust.stores.get(type, r.name);
    if (certs !== undefined && fingerprintsOf(certs).has(fingerprint)) return refName(r);
  }
  return undefined;
}

/** Fingerprints of a frozen store, indexed once (a lookup per verification, not a scan). */
const STORE_FINGERPRINTS = new WeakMap<readonly TrustedCertificate[], ReadonlySet<string>>();

function fingerprintsOf(certs: readonly TrustedCertificate[]): ReadonlySet<string> {
  const cached = STORE_FINGERPRINTS.get(certs);
  if (cached !== undefined) return cached;
  const set = new Set(certs.map((c) => c.fingerprint));
  if (Object.isFrozen(certs)) STORE_FINGERPRINTS.set(certs, set);
  return set;
}

function checkValidAt(chain: readonly Certificate[], at: Date, what: string): void {
  for (const cert of chain) {
    if (at < cert.notBefore) {
      throw withDetail(
        new VerificationError(
          ErrorCode.CERT_INVALID,
          `${what} is before certificate "${cert.subject}" validity period, it will be valid from ${cert.notBefore.toISOString()}`,
        ),
        { certificate: { subject: cert.subject, fingerprint: cert.fingerprint } },
      );
    }
    if (at > cert.notAfter) {
      throw withDetail(
        new VerificationError(
          ErrorCode.CERT_INVALID,
          `${what} is after certificate "${cert.subject}" validity period, it was expired at ${cert.notAfter.toISOString()}; a trusted timestamp (a tsa store in the policy) would let it verify`,
        ),
        { certificate: { subject: cert.subject, fingerprint: cert.fingerprint } },
      );
    }
  }
}

/** The `sha256:…` digest of an artifact reference; a reference without one is a usage error. */
function digestOf(reference: string): string {
  const at = reference.lastIndexOf('@');
  const digest = at >= 0 ? reference.slice(at + 1) : '';
  if (!/^sha(256|384|512):[0-9a-f]+$/.test(digest)) {
    throw new UsageError(
      `artifact ${JSON.stringify(reference)} must be a reference with a digest (registry/repository@sha256:…); resolve tags first, e.g. with verifyArtifact`,
    );
  }
  return digest;
}

/** Integrity, last part: the payload describes exactly this artifact or blob. */
function checkSubject(env: SignatureEnvelope, subject: Subject): void {
  const target = env.payload.targetArtifact;
  if (subject.digest !== undefined && target.digest !== subject.digest) {
    throw descriptorMismatch('digest', subject.digest, target.digest);
  }
  const d = subject.descriptor;
  if (d) {
    if (d.digest !== target.digest) throw descriptorMismatch('digest', d.digest, target.digest);
    if (d.mediaType !== target.mediaType)
      throw descriptorMismatch('media type', d.mediaType, target.mediaType);
    if (d.size !== target.size)
      throw descriptorMismatch('size', String(d.size), String(target.size));
  }
  if (subject.blob) {
    // DIGEST §5.4: the blob digest uses the hash of the signature algorithm.
    const hash = ALGORITHMS[env.algorithm].hash;
    const digest = `${hash}:${createHash(hash).update(subject.blob).digest('hex')}`;
    if (target.digest !== digest) throw descriptorMismatch('digest', digest, target.digest);
    if (target.size !== subject.blob.byteLength) {
      throw descriptorMismatch('size', String(subject.blob.byteLength), String(target.size));
    }
    if (subject.contentMediaType !== undefined && target.mediaType !== subject.contentMediaType) {
      throw descriptorMismatch('media type', subject.contentMediaType, target.mediaType);
    }
  }
  // notation's user metadata: each pair must be a signed annotation.
  for (const [key, value] of Object.entries(subject.userMetadata ?? {})) {
    if (target.annotations?.[key] !== value) {
      throw new VerificationError(
        ErrorCode.SIGNATURE_INVALID,
        `unable to find specified metadata ${JSON.stringify({ [key]: value })} in the signature's annotations`,
        { details: { key, value } },
      );
    }
  }
}

function described(envelope: SignatureEnvelope | undefined): Partial<VerificationOutcome> {
  if (!envelope) return {};
  const leaf = envelope.certificateChain[0];
  return {
    envelope,
    payload: envelope.payload,
    ...(leaf
      ? {
          signer: {
            subject: leaf.subject,
            fingerprint: leaf.fingerprint,
            issuer: leaf.issuer,
            notAfter: leaf.notAfter,
            chain: envelope.certificateChain,
          },
        }
      : {}),
  };
}

/**
 * The outcome when no policy statement applies: no check ran, but the outcome
 * still lists every check (as skipped) so that callers can rely on its shape.
 */
/** All five checks, skipped with `why`: the outcome shape is the same whatever failed. */
function notReached(why: string): CheckOutcome[] {
  return CHECK_ORDER.map((check): CheckOutcome => ({
    check,
    result: 'skipped',
    action: 'skipped',
    detail: { note: `not reached: ${why}` },
  }));
}

/**
 * The policy statement that applies, or the failed outcome saying why none
 * does (no such policy document, or no statement for this artifact or name).
 */
function applicable<P, S>(
  policy: P | undefined,
  document: string,
  select: (policy: P) => S,
): { statement: S } | { outcome: VerificationOutcome } {
  if (policy === undefined) {
    return {
      outcome: failedBeforeChecks(
        new PolicyError(ErrorCode.POLICY_NOT_FOUND, `this trust holds no ${document}`),
      ),
    };
  }
  try {
    return { statement: select(policy) };
  } catch (err) {
    if (err instanceof PolicyError) return { outcome: failedBeforeChecks(err) };
    throw err;
  }
}

function failedBeforeChecks(error: TufNotaryError): VerificationOutcome {
  return { ok: false, checks: notReached('no trust policy applies'), error, warnings: [] };
}
