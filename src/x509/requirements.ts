/**
 * The Notary Project certificate requirements for code-signing and
 * timestamping chains (signature-specification.md "Certificate Requirements",
 * DIGEST §6.1 and §6.2, notation-core-go `x509/cert_validations.go` and
 * `x509/timestamp_cert_validations.go`).
 *
 * A chain is leaf first and ends with its self-signed root. The two purposes
 * differ only in a few rules, kept in the {@link PROFILES} table.
 */
import { CertificateError, ErrorCode } from '../errors';
import { certificateSignatureAlgorithm, unsupportedLeafKey } from './algorithms';
import type { Certificate } from './certificate';
import {
  basicConstraints,
  EKU_OID,
  extendedKeyUsage,
  keyUsage,
  type KeyUsageBit,
  unhandledCriticalExtensions,
} from './extensions';

/** What a chain is for; selects the rules of {@link PROFILES}. */
export type ChainPurpose = 'codeSigning' | 'timestamping';

/** Most certificates a chain may hold (bounded before any work). */
export const MAX_CHAIN_LENGTH = 10;

/** Options of the chain validators. */
export interface ChainValidationOptions {
  /**
   * Check every certificate's validity period at this instant (inclusive
   * bounds, spec "Other requirements" 3/4). Omitted: no time check, as Go's
   * `ValidateCodeSigningCertChain(chain, nil)` at verification.
   */
  readonly at?: Date;
}

/** Rule names reported in `error.details.rule`. */
export type CertificateRule =
  | 'chain-length'
  | 'signature-algorithm'
  | 'self-signed-leaf'
  | 'self-signed-intermediate'
  | 'issued-by'
  | 'root-self-signed'
  | 'ca-basic-constraints'
  | 'path-length'
  | 'ca-key-usage'
  | 'leaf-basic-constraints'
  | 'leaf-key-usage'
  | 'leaf-extended-key-usage'
  | 'leaf-key'
  | 'critical-extension'
  | 'validity';

/** Leaf key usage bits that MUST NOT be set (spec "Leaf Certificates" 2). */
const FORBIDDEN_LEAF_KEY_USAGES: readonly KeyUsageBit[] = [
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/**
 * EKUs a code-signing leaf must not carry: the spec's list (including
 * anyExtendedKeyUsage, which Go lets through — tuf-notary follows the
 * stricter spec) plus OCSPSigning, which Go rejects (DIGEST §6.1, §10.4).
 */
const FORBIDDEN_CODE_SIGNING_EKUS: ReadonlyMap<string, string> = new Map([
  [EKU_OID.any, 'anyExtendedKeyUsage'],
  [EKU_OID.serverAuth, 'serverAuth'],
  [EKU_OID.clientAuth, 'clientAuth'],
  [EKU_OID.emailProtection, 'emailProtection'],
  [EKU_OID.timeStamping, 'timeStamping'],
  [EKU_OID.ocspSigning, 'OCSPSigning'],
]);

/** How the two purposes differ. */
interface Profile {
  readonly label: string;
  /** keyUsage must be critical (codesigning MUST; timestamping SHOULD, not enforced). */
  readonly keyUsageCritical: boolean;
  /** Reject critical extensions Go's x509.Verify does not handle (TSA chain only: the spec fails open). */
  readonly rejectUnhandledCritical: boolean;
  /** Undefined when the leaf EKU is acceptable, else the reason. */
  readonly leafEku: (cert: Certificate) => string | undefined;
}

/** The rule differences between code signing and timestamping (DIGEST §6.2). */
export const PROFILES: Readonly<Record<ChainPurpose, Profile>> = {
  codeSigning: {
    label: 'code signing',
    keyUsageCritical: true,
    rejectUnhandledCritical: false,
    leafEku: (cert) => {
      const eku = extendedKeyUsage(cert);
      const bad = (eku?.oids ?? []).filter((o) => FORBIDDEN_CODE_SIGNING_EKUS.has(o));
      if (bad.length === 0) return undefined;
      return `extended key usage must not contain ${bad.map((o) => FORBIDDEN_CODE_SIGNING_EKUS.get(o)).join(', ')}`;
    },
  },
  timestamping: {
    label: 'timestamping',
    keyUsageCritical: false,
    rejectUnhandledCritical: true,
    leafEku: (cert) => {
      // RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, in a critical extension.
      const eku = extendedKeyUsage(cert);
      if (!eku || eku.oids.length !== 1 || eku.oids[0] !== EKU_OID.timeStamping) {
        return 'extended key usage must be present and hold only timeStamping';
      }
      if (!eku.critical) return 'the extended key usage extension must be marked critical';
      return undefined;
    },
  },
};

function fail(
  cert: Certificate,
  index: number,
  rule: CertificateRule,
  message: string,
  purpose: ChainPurpose,
): never {
  throw new CertificateError(
    ErrorCode.CERT_INVALID,
    `${PROFILES[purpose].label} certificate "${cert.subject}" (position ${index} in the chain) breaks rule ${rule}: ${message}`,
    {
      details: { subject: cert.subject, fingerprint: cert.fingerprint, index, rule, purpose },
    },
  );
}

/** True when `cert` names itself as issuer and its own key verifies its signature. */
export function isSelfSigned(cert: Certificate): boolean {
  return cert.subjectDer.equals(cert.issuerDer) && verifiesWith(cert, cert);
}

/** True when `issuer`'s key verifies `cert`'s signature (through OpenSSL). */
export function verifiesWith(cert: Certificate, issuer: Certificate): boolean {
  try {
    return cert.node.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** True when `issuer` issued `cert`: names chain byte for byte and the signature verifies. */
export function isIssuedBy(cert: Certificate, issuer: Certificate): boolean {
  return cert.issuerDer.equals(issuer.subjectDer) && verifiesWith(cert, issuer);
}

function checkSignatureAlgorithm(cert: Certificate, i: number, purpose: ChainPurpose): void {
  const alg = certificateSignatureAlgorithm(cert);
  if (!alg.ok) {
    fail(
      cert,
      i,
      'signature-algorithm',
      `certificate signature algorithm ${alg.name} is not allowed (SHA-1 and unknown algorithms are refused)`,
      purpose,
    );
  }
}

function checkLeaf(cert: Certificate, i: number, purpose: ChainPurpose): void {
  const profile = PROFILES[purpose];
  const bc = basicConstraints(cert);
  if (bc?.ca) {
    fail(
      cert,
      i,
      'leaf-basic-constraints',
      'the leaf is a CA certificate; if basic constraints are present, cA must be false',
      purpose,
    );
  }
  const ku = keyUsage(cert);
  if (!ku) fail(cert, i, 'leaf-key-usage', 'the key usage extension must be present', purpose);
  if (profile.keyUsageCritical && !ku.critical) {
    fail(cert, i, 'leaf-key-usage', 'the key usage extension must be marked critical', purpose);
  }
  if (!ku.usages.has('digitalSignature')) {
    fail(cert, i, 'leaf-key-usage', 'key usage must have digitalSignature set', purpose);
  }
  const forbidden = FORBIDDEN_LEAF_KEY_USAGES.filter((b) => ku.usages.has(b));
  if (forbidden.length > 0) {
    fail(cert, i, 'leaf-key-usage', `key usage must not have ${forbidden.join(', ')} set`, purpose);
  }
  const ekuProblem = profile.leafEku(cert);
  if (ekuProblem) fail(cert, i, 'leaf-extended-key-usage', ekuProblem, purpose);
  const keyProblem = unsupportedLeafKey(cert);
  if (keyProblem) {
    fail(
      cert,
      i,
      'leaf-key',
      `${keyProblem} is not supported; use RSA 2048/3072/4096 or EC P-256/P-384/P-521`,
      purpose,
    );
  }
}

function checkCa(cert: Certificate, i: number, purpose: ChainPurpose): void {
  const bc = basicConstraints(cert);
  // Spec: present, critical, cA true. Go does not check criticality (DIGEST §10.4);
  // tuf-notary follows the stricter spec.
  if (!bc || !bc.ca || !bc.critical) {
    fail(
      cert,
      i,
      'ca-basic-constraints',
      'the basic constraints extension must be present, critical, and have cA set to true',
      purpose,
    );
  }
  // pathLenConstraint counts the CA certificates below this one, leaf excluded.
  if (bc.pathLength !== undefined && bc.pathLength < i - 1) {
    fail(
      cert,
      i,
      'path-length',
      `expected path length of ${i - 1} but the certificate allows ${bc.pathLength}`,
      purpose,
    );
  }
  const ku = keyUsage(cert);
  if (!ku) fail(cert, i, 'ca-key-usage', 'the key usage extension must be present', purpose);
  if (PROFILES[purpose].keyUsageCritical && !ku.critical) {
    fail(cert, i, 'ca-key-usage', 'the key usage extension must be marked critical', purpose);
  }
  if (!ku.usages.has('keyCertSign')) {
    fail(cert, i, 'ca-key-usage', 'key usage must have keyCertSign set', purpose);
  }
}

function checkValidity(chain: readonly Certificate[], at: Date, purpose: ChainPurpose): void {
  chain.forEach((cert, i) => {
    if (at < cert.notBefore) {
      fail(
        cert,
        i,
        'validity',
        `not valid before ${cert.notBefore.toISOString()} (checked at ${at.toISOString()})`,
        purpose,
      );
    }
    if (at > cert.notAfter) {
      fail(
        cert,
        i,
        'validity',
        `expired at ${cert.notAfter.toISOString()} (checked at ${at.toISOString()})`,
        purpose,
      );
    }
  });
}

/**
 * The window in which every certificate of `chain` is valid: [latest
 * notBefore, earliest notAfter]. Empty windows have `from > until`.
 */
export function chainValidityWindow(chain: readonly Certificate[]): { from: Date; until: Date } {
  let from = -Infinity;
  let until = Infinity;
  for (const c of chain) {
    from = Math.max(from, c.notBefore.getTime());
    until = Math.min(until, c.notAfter.getTime());
  }
  return { from: new Date(from), until: new Date(until) };
}

/**
 * Validates `chain` (leaf first, ending with its self-signed root) against the
 * Notary Project certificate requirements for `purpose`. Throws
 * {@link CertificateError} ERR_CERT_INVALID naming the certificate and rule.
 */
export function validateChain(
  chain: readonly Certificate[],
  purpose: ChainPurpose,
  opts: ChainValidationOptions = {},
): void {
  checkStructure(chain, purpose);
  if (opts.at) checkValidity(chain, opts.at, purpose);
}

/** Every rule but the time check: the part {@link ChainValidationCache} may reuse. */
export function checkStructure(chain: readonly Certificate[], purpose: ChainPurpose): void {
  if (chain.length === 0 || chain.length > MAX_CHAIN_LENGTH) {
    throw new CertificateError(
      ErrorCode.CERT_INVALID,
      `${PROFILES[purpose].label} chain holds ${chain.length} certificates; it must hold 1 to ${MAX_CHAIN_LENGTH}, leaf first, ending with the root`,
      { details: { rule: 'chain-length', purpose, length: chain.length } },
    );
  }
  chain.forEach((cert, i) => checkSignatureAlgorithm(cert, i, purpose));
  if (chain.length === 1) {
    // Spec "Other requirements" 1: a lone certificate is a self-signed root
    // that must meet the leaf requirements, not the CA ones.
    const cert = chain[0]!;
    if (!isSelfSigned(cert)) {
      fail(
        cert,
        0,
        'root-self-signed',
        'a chain of one certificate must be self-signed (issuer equal to subject, signature verified with its own key)',
        purpose,
      );
    }
    checkLeaf(cert, 0, purpose);
    checkCritical(cert, 0, purpose);
    return;
  }
  const last = chain.length - 1;
  chain.forEach((cert, i) => {
    if (i === last) {
      if (!isSelfSigned(cert)) {
        fail(
          cert,
          i,
          'root-self-signed',
          'the chain must end with a valid self-signed root certificate',
          purpose,
        );
      }
    } else {
      if (isSelfSigned(cert)) {
        fail(
          cert,
          i,
          i === 0 ? 'self-signed-leaf' : 'self-signed-intermediate',
          'only the last certificate of the chain may be self-signed',
          purpose,
        );
      }
      const parent = chain[i + 1]!;
      if (!cert.issuerDer.equals(parent.subjectDer)) {
        fail(
          cert,
          i,
          'issued-by',
          `its issuer "${cert.issuer}" is not the next certificate "${parent.subject}"; order the chain leaf first`,
          purpose,
        );
      }
      if (!verifiesWith(cert, parent)) {
        fail(
          cert,
          i,
          'issued-by',
          `its signature does not verify with the key of "${parent.subject}"`,
          purpose,
        );
      }
    }
    if (i === 0) checkLeaf(cert, i, purpose);
    else checkCa(cert, i, purpose);
    checkCritical(cert, i, purpose);
  });
}

function checkCritical(cert: Certificate, i: number, purpose: ChainPurpose): void {
  if (!PROFILES[purpose].rejectUnhandledCritical) return;
  const unknown = unhandledCriticalExtensions(cert);
  if (unknown.length > 0) {
    fail(
      cert,
      i,
      'critical-extension',
      `unhandled critical extension(s) ${unknown.join(', ')}`,
      purpose,
    );
  }
}

/**
 * Validates a code-signing chain (spec "Certificate Requirements", DIGEST
 * §6.1). With `at`, every certificate must also be valid at that instant.
 */
export function validateCodeSigningChain(
  chain: readonly Certificate[],
  opts: ChainValidationOptions = {},
): void {
  validateChain(chain, 'codeSigning', opts);
}

/**
 * Validates a timestamping (TSA) chain (spec "Certificate Requirements",
 * DIGEST §6.2). With `at` (the token's genTime), every certificate must be
 * valid at that instant, as Go's x509.Verify with CurrentTime = genTime.
 */
export function validateTimestampingChain(
  chain: readonly Certificate[],
  opts: ChainValidationOptions = {},
): void {
  validateChain(chain, 'timestamping', opts);
}

/** Throws ERR_CERT_INVALID when some certificate of `chain` is not valid at `at`. */
export function checkChainValidityAt(
  chain: readonly Certificate[],
  at: Date,
  purpose: ChainPurpose,
): void {
  checkValidity(chain, at, purpose);
}
