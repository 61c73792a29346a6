/**
 * The revocation step (trust-store-trust-policy.md "Certificate Revocation
 * Evaluation"; DIGEST §8) for the signing chain and, inside the authentic
 * timestamp step, for the TSA chain. The TUF deny list (`revocations.json`)
 * is always checked first and needs no network; OCSP and CRL checking comes
 * from the revocation stage, loaded on first use.
 */
import { denyListSet } from '../trust/revocations';
import { ErrorCode, VerificationError } from '../errors';
import type {
  ChainRevocationResult,
  RevocationChecker,
  RevocationOptions,
  RevocationPurpose,
} from '../revocation';
import type { Certificate } from '../x509';
import { withDetail } from './outcome';
import type { CheckDetail, RevocationMode } from './types';

const WHICH: Readonly<Record<RevocationPurpose, string>> = {
  codeSigning: 'signing',
  timestamping: 'timestamping',
};

/** Throws ERR_REVOKED when a certificate of `chain` is on the deny list. */
export function checkDenyList(
  denyList: readonly string[],
  chain: readonly Certificate[],
  purpose: RevocationPurpose,
): CheckDetail {
  const deny = denyListSet(denyList);
  for (const cert of chain) {
    if (deny.has(cert.fingerprint)) {
      throw withDetail(
        new VerificationError(
          ErrorCode.REVOKED,
          `${WHICH[purpose]} certificate "${cert.subject}" (sha256 ${cert.fingerprint}) is revoked by the trust repository's revocations.json`,
          { details: { fingerprint: cert.fingerprint, chain: WHICH[purpose] } },
        ),
        {
          certificate: { subject: cert.subject, fingerprint: cert.fingerprint },
          method: 'denylist',
          status: 'revoked',
        },
      );
    }
  }
  return {
    method: 'denylist',
    status: 'good',
    note: `no ${WHICH[purpose]} certificate is on the deny list (${deny.size} entries); OCSP and CRL not consulted (revocation: 'denylist')`,
  };
}

/**
 * Revocation for one Verifier: the mode, and a RevocationChecker (with its
 * response cache) shared by every verification of that Verifier.
 */
export class ChainRevocation {
  #checker?: Promise<RevocationChecker>;

  constructor(
    readonly mode: RevocationMode,
    private readonly options: Omit<RevocationOptions, 'mode' | 'now'> & { now?: () => Date },
  ) {}

  /**
   * Checks `chain` (leaf first, validated) and returns the check detail, or
   * throws ERR_REVOKED / ERR_REVOCATION_UNKNOWN with the certificate, method,
   * time and reason. `signingTime`: a revocation whose invalidity date is
   * after it does not count (the authentic signing time, or the upper limit of
   * a verified timestamp).
   */
  async check(
    chain: readonly Certificate[],
    purpose: RevocationPurpose,
    denyList: readonly string[],
    signingTime?: Date,
  ): Promise<CheckDetail> {
    if (this.mode === 'denylist') return checkDenyList(denyList, chain, purpose);
    const checker = await this.#load();
    const result = await checker.check(chain, {
      purpose,
      denyList,
      ...(signingTime ? { authenticSigningTime: signingTime } : {}),
    });
    return describe(result, purpose);
  }

  #load(): Promise<RevocationChecker> {
    this.#checker ??= import('../revocation').then(
      ({ RevocationChecker }) =>
        new RevocationChecker({ ...this.options, mode: this.mode as 'online' | 'offline' }),
    );
    return this.#checker;
  }
}

function describe(result: ChainRevocationResult, purpose: RevocationPurpose): CheckDetail {
  const certs = result.certificates.map((c) => ({
    subject: c.certificate.subject,
    fingerprint: c.certificate.fingerprint,
    status: c.status,
    method: c.method,
    ...(c.revokedAt ? { revokedAt: c.revokedAt } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.error ? { error: c.error } : {}),
    ...(c.source ? { source: c.source } : {}),
  }));
  const first = result.certificates[0];
  if (result.status === 'good' || !first) {
    const checked = result.certificates.filter((c) => c.status === 'good');
    return {
      status: 'good',
      method: checked[0]?.method ?? 'denylist',
      revocation: certs,
      note:
        checked.length > 0
          ? `${checked.length} ${WHICH[purpose]} certificate(s) checked good (${[...new Set(checked.map((c) => c.method))].join(', ')})`
          : `no ${WHICH[purpose]} certificate carries OCSP or CRL locations; deny list checked`,
    };
  }
  const detail: CheckDetail = {
    certificate: first.certificate,
    method: first.method === 'none' ? 'denylist' : first.method,
    status: result.status,
    ...(first.revokedAt ? { revokedAt: first.revokedAt } : {}),
    ...(first.reason ? { reason: first.reason } : {}),
    revocation: certs,
  };
  if (result.status === 'revoked') {
    const when = first.revokedAt ? ` on ${first.revokedAt.toISOString()}` : '';
    const why = first.reason ? ` (${first.reason})` : '';
    throw withDetail(
      new VerificationError(
        ErrorCode.REVOKED,
        `${WHICH[purpose]} certificate "${first.certificate.subject}" is revoked${when}${why}, according to ${first.method === 'denylist' ? "the trust repository's revocations.json" : (first.source ?? first.method)}`,
        { details: { fingerprint: first.certificate.fingerprint, method: first.method } },
      ),
      detail,
    );
  }
  throw withDetail(
    new VerificationError(
      ErrorCode.REVOCATION_UNKNOWN,
      `the revocation status of ${WHICH[purpose]} certificate "${first.certificate.subject}" is unknown: ${first.error ?? 'no responder gave an answer'}`,
      { details: { fingerprint: first.certificate.fingerprint } },
    ),
    detail,
  );
}
