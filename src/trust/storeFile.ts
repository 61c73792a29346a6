/**
 * One trust-store file (a PEM bundle or concatenated DER, as a TUF target
 * `truststore/x509/<type>/<name>.pem` or a file of a Notation store directory)
 * → validated trusted certificates. Pure: no I/O.
 *
 * The rules are those of the Notary Project trust store and of notation-go's
 * `truststore.GetCertificates` / `ValidateCertificates` / `isRootCACertificate`
 * (DIGEST §1.2); error messages follow notation-go's wording.
 */
import { ErrorCode, TrustError } from '../errors';
import { parseCertificateBundle, sigstoreCore, type Certificate } from '../x509/certificate';
import { assertStoreName, storeKey, toTrustedCertificate } from './stores';
import type { StoreType, TrustedCertificate } from './types';

/**
 * Signature algorithms a self-signature is not accepted with: Go's
 * `CheckSignature` refuses SHA-1 and MD5 (x509.InsecureAlgorithmError), so a
 * non-CA certificate signed with them is not "self-signed" for notation-go.
 */
const INSECURE_SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
};

/** cA=TRUE in a present basicConstraints extension (Go `IsCA`, which needs BasicConstraintsValid). */
function hasCaBasicConstraints(cert: Certificate): boolean {
  try {
    return cert.asn1.extBasicConstraints?.isCA === true;
  } catch {
    return false; // an undecodable extension is not a CA assertion: fail closed
  }
}

/** The keyUsage extension, or undefined when absent; undecodable counts as "no keyCertSign". */
function keyUsageAllowsCertSign(cert: Certificate): boolean | undefined {
  try {
    const ku = cert.asn1.extKeyUsage;
    return ku === undefined ? undefined : ku.keyCertSign;
  } catch {
    return false;
  }
}

/** X.509 v3 (the TBSCertificate starts with the `[0]` version tag holding 2). */
function isVersion3(cert: Certificate): boolean {
  const first = cert.asn1.tbsCertificate.subs[0];
  if (!first?.tag.isContextSpecific(0)) return false;
  try {
    return cert.asn1.version === 'v3';
  } catch {
    return false;
  }
}

/** OID of the outer signatureAlgorithm, read with @sigstore/core's ASN.1 reader. */
function signatureAlgorithmOid(cert: Certificate): string | undefined {
  try {
    const alg = sigstoreCore().ASN1Obj.parseBuffer(cert.der as Buffer<ArrayBuffer>).subs[1];
    return alg?.subs[0]?.toOID();
  } catch {
    return undefined;
  }
}

/** The certificate's signature verifies with its own public key (OpenSSL, via node:crypto). */
function verifiesWithOwnKey(cert: Certificate): boolean {
  const oid = signatureAlgorithmOid(cert);
  if (oid === undefined || oid in INSECURE_SIGNATURE_ALGORITHMS) return false;
  try {
    return cert.node.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/**
 * Why a certificate may not sit in a `ca` or `signingAuthority` store, or
 * undefined when it may: it must be a CA (basicConstraints cA=TRUE) or a
 * self-signed signing certificate (Go `ValidateCertificates`, DIGEST §1.2).
 */
function caStoreViolation(cert: Certificate): string | undefined {
  if (hasCaBasicConstraints(cert) || verifiesWithOwnKey(cert)) return undefined;
  return `certificate with subject "${cert.subject}" is not a CA certificate or self-signed signing certificate`;
}

/**
 * Why a certificate may not sit in a `tsa` store, or undefined when it may:
 * it must be a root CA (Go `isRootCACertificate`: `CheckSignatureFrom(self)`,
 * which for v3 needs cA=TRUE and, when keyUsage is present, keyCertSign; and
 * subject == issuer byte for byte; DIGEST §1.2).
 */
function tsaStoreViolation(cert: Certificate): string | undefined {
  const prefix = `certificate with subject "${cert.subject}" is not a root CA certificate`;
  const mayIssue =
    (!isVersion3(cert) || hasCaBasicConstraints(cert)) && keyUsageAllowsCertSign(cert) !== false;
  if (!mayIssue) {
    return `${prefix}: x509: invalid signature: parent certificate cannot sign this kind of certificate`;
  }
  if (!verifiesWithOwnKey(cert)) {
    return `${prefix}: x509: invalid signature: its signature does not verify with its own public key`;
  }
  if (!cert.subjectDer.equals(cert.issuerDer)) {
    return `${prefix}: issuer (${cert.issuer}) and subject (${cert.subject}) are not the same`;
  }
  return undefined;
}

/** The certificate rules of each store type, in the order notation-go applies them. */
const STORE_RULES: Readonly<
  Record<StoreType, readonly ((cert: Certificate) => string | undefined)[]>
> = {
  ca: [caStoreViolation],
  signingAuthority: [caStoreViolation],
  tsa: [caStoreViolation, tsaStoreViolation],
};

/** What to tell the operator for each store type when a certificate is refused. */
const STORE_HINTS: Readonly<Record<StoreType, string>> = {
  ca: 'a ca store holds root (or CA) certificates: replace the leaf certificate by its root',
  signingAuthority:
    'a signingAuthority store holds root (or CA) certificates: replace the leaf certificate by its root',
  tsa: 'a tsa store holds TSA root CA certificates only: replace it by the root of the TSA chain',
};

/**
 * Parses and validates one store file of store `type:name`: a PEM bundle or
 * DER (DIGEST §1.2 "file formats"); every certificate must satisfy the rules
 * of its store type (CA or self-signed for `ca`/`signingAuthority`, root CA for
 * `tsa`). Any failure (unparsable, empty, refused certificate, bad store name)
 * is a TrustError ERR_TRUST_INCOMPLETE naming the file, the store and the
 * subject: the TUF client fails the whole update with it.
 */
export function parseStoreCertificates(
  bytes: Uint8Array,
  type: StoreType,
  name: string,
  where = `truststore/x509/${type}/${name}.pem`,
): TrustedCertificate[] {
  assertStoreName(type, name);
  const store = storeKey(type, name);
  const inStore = `in trust store ${name} of type ${type}`;
  let certs: Certificate[];
  try {
    certs = parseCertificateBundle(bytes, where);
  } catch (cause) {
    throw new TrustError(
      ErrorCode.TRUST_INCOMPLETE,
      `failed to read the trusted certificate ${where} ${inStore}: ${(cause as Error).message}; the file must hold PEM or DER certificates only`,
      { cause, details: { store, file: where } },
    );
  }
  for (const cert of certs) {
    for (const rule of STORE_RULES[type]) {
      const violation = rule(cert);
      if (violation === undefined) continue;
      throw new TrustError(
        ErrorCode.TRUST_INCOMPLETE,
        `failed to validate the trusted certificate ${where} ${inStore}: ${violation}; ${STORE_HINTS[type]}`,
        { details: { store, file: where, subject: cert.subject, fingerprint: cert.fingerprint } },
      );
    }
  }
  return certs.map(toTrustedCertificate);
}
