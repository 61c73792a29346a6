/**
 * Revocation from the TUF deny list (`revocations.json`): fingerprints that
 * must never verify, even offline. OCSP and CRL checking is its own stage;
 * until it is enabled the check says it used the deny list only.
 */
import { ErrorCode, VerificationError } from '../errors';
import type { Certificate } from '../x509';
import { withDetail } from './outcome';
import type { CheckDetail } from './types';

/** One Set per deny list array, built once (lists are immutable in snapshots). */
const sets = new WeakMap<readonly string[], ReadonlySet<string>>();

function denySet(list: readonly string[]): ReadonlySet<string> {
  let set = sets.get(list);
  if (!set) {
    set = new Set(list.map((f) => f.toLowerCase()));
    sets.set(list, set);
  }
  return set;
}

/**
 * Throws ERR_REVOKED when any certificate of the signing chain or of the TSA
 * chain is on the deny list; returns the check detail otherwise.
 */
export function checkDenyList(
  denyList: readonly string[],
  signingChain: readonly Certificate[],
  tsaChain: readonly Certificate[],
): CheckDetail {
  const deny = denySet(denyList);
  for (const [which, chain] of [
    ['signing', signingChain],
    ['timestamping', tsaChain],
  ] as const) {
    for (const cert of chain) {
      if (deny.has(cert.fingerprint)) {
        throw withDetail(
          new VerificationError(
            ErrorCode.REVOKED,
            `${which} certificate "${cert.subject}" (sha256 ${cert.fingerprint}) is revoked by the trust repository's revocations.json`,
            { details: { fingerprint: cert.fingerprint, chain: which } },
          ),
          {
            certificate: { subject: cert.subject, fingerprint: cert.fingerprint },
            method: 'denylist',
            status: 'revoked',
          },
        );
      }
    }
  }
  return {
    method: 'denylist',
    status: 'good',
    note: `no certificate of the chain is on the deny list (${deny.size} entries); OCSP and CRL were not consulted`,
  };
}
