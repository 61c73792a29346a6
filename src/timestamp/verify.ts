/**
 * Verification of the RFC 3161 timestamp countersignature of a `notary.x509`
 * signature (trust-store-trust-policy.md "Validate Authentic Timestamp",
 * DIGEST §5.3 step 3, tspclient-go `SignedToken.Verify` / `TSTInfo.Validate`).
 *
 * Every signature check goes through node:crypto; pkijs/asn1js only parse.
 */
import { createHash, type KeyObject, verify as cryptoVerify, constants } from 'node:crypto';
import type { EnvelopeCertificate, TimestampInfo } from '../envelope/types';
import { isTufNotaryError } from '../errors';
import type { TrustedCertificate } from '../trust/types';
import { HASH_OIDS } from '../x509/algorithms';
import type { ChainValidationCache } from '../x509/cache';
import { type Certificate, parseCertificate } from '../x509/certificate';
import { EKU_OID, extendedKeyUsage } from '../x509/extensions';
import { isIssuedBy, MAX_CHAIN_LENGTH, validateTimestampingChain } from '../x509/requirements';
import { findTrustedCertificate, type TrustAnchor } from '../x509/trust';
import { type Asn1Node, children, cms, hasTag, octetStringBytes, TAG_CLASS } from './cms';
import {
  OID_ATTR_CONTENT_TYPE,
  OID_ATTR_MESSAGE_DIGEST,
  OID_ATTR_SIGNING_CERTIFICATE_V2,
  OID_ATTR_SIGNING_TIME,
  OID_BASELINE_TSP_POLICY,
  OID_TST_INFO,
  type ParsedSignerInfo,
  type ParsedToken,
  parseTimestampToken,
  timestampError,
} from './token';

/** Options of {@link verifyTimestampToken}. */
export interface VerifyTimestampOptions {
  /** Reuse TSA chain validations across tokens from the same TSA. */
  readonly cache?: ChainValidationCache;
}

/** A verified timestamp: the shared {@link TimestampInfo} plus what later checks need. */
export interface VerifiedTimestamp extends TimestampInfo {
  /** The TSA chain built from the signer to a trusted TSA root (leaf first). */
  readonly tsaChain: readonly Certificate[];
  /** Where the TSA chain meets the `tsa` trust store. */
  readonly anchor: TrustAnchor<TrustedCertificate>;
  readonly policy: string;
  /** node:crypto name of the message imprint hash. */
  readonly hashAlgorithm: string;
  /** TSTInfo serial number, lowercase hex. */
  readonly serialNumber: string;
}

/** How a SignerInfo signature algorithm is checked with node:crypto. */
interface SignatureScheme {
  readonly keyType: 'rsa' | 'ec';
  readonly padding?: number;
  /** Fixed hash; undefined: the SignerInfo digestAlgorithm (or PSS parameters). */
  readonly hash?: string;
  readonly pss?: boolean;
}

/**
 * SignerInfo signature algorithms (DIGEST §5.3: RSA PKCS#1 v1.5, RSA-PSS or
 * ECDSA with SHA-256/384/512). id-ecPublicKey and rsaEncryption take their
 * hash from the digestAlgorithm, as RFC 5754 allows.
 */
const SIGNATURE_SCHEMES: Readonly<Record<string, SignatureScheme>> = {
  '1.2.840.113549.1.1.1': { keyType: 'rsa', padding: constants.RSA_PKCS1_PADDING },
  '1.2.840.113549.1.1.11': { keyType: 'rsa', padding: constants.RSA_PKCS1_PADDING, hash: 'sha256' },
  '1.2.840.113549.1.1.12': { keyType: 'rsa', padding: constants.RSA_PKCS1_PADDING, hash: 'sha384' },
  '1.2.840.113549.1.1.13': { keyType: 'rsa', padding: constants.RSA_PKCS1_PADDING, hash: 'sha512' },
  '1.2.840.113549.1.1.10': { keyType: 'rsa', padding: constants.RSA_PKCS1_PSS_PADDING, pss: true },
  '1.2.840.10045.2.1': { keyType: 'ec' },
  '1.2.840.10045.4.3.2': { keyType: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { keyType: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { keyType: 'ec', hash: 'sha512' },
};

/** Largest accuracy we accept (RFC 3161 does not bound it; a day is already useless). */
const MAX_ACCURACY_MS = 86_400_000;
/** Bound on chain-building steps, so crafted certificate sets cannot make us search forever. */
const MAX_PATH_SEARCH_STEPS = 256;

/**
 * Verifies an RFC 3161 TimeStampToken countersigning `signature` (the raw
 * primitive signature bytes of the envelope) against the `tsa` trust store
 * roots. Checks, in tspclient-go's order: CMS structure and content type;
 * TSTInfo version, message imprint hash (SHA-256/384/512) and value;
 * genTime ± accuracy; the signer certificate (SignerInfo sid and the
 * required ESSCertIDv2 signing-certificate-v2 attribute) among the token's
 * certificates; content-type, message-digest and signing-time attributes;
 * the signature over the signed attributes; a TSA chain from the signer to a
 * trusted root, valid at genTime, meeting the timestamping certificate
 * requirements. Throws VerificationError ERR_TIMESTAMP_INVALID with the reason.
 */
export function verifyTimestampToken(
  token: Uint8Array,
  signature: Uint8Array,
  tsaRoots: readonly TrustedCertificate[],
  opts: VerifyTimestampOptions = {},
): VerifiedTimestamp {
  const parsed = parseTimestampToken(token);
  const info = parsed.tstInfo;

  // TSTInfo.Validate: the imprint is the hash of the primitive signature.
  const hashAlgorithm = HASH_OIDS[info.hashAlgorithm];
  if (!hashAlgorithm) {
    throw timestampError(
      `message imprint hash algorithm ${info.hashAlgorithm} is not SHA-256, SHA-384 or SHA-512`,
    );
  }
  const expected = createHash(hashAlgorithm).update(signature).digest();
  if (!expected.equals(info.hashedMessage)) {
    throw timestampError(
      'invalid TSTInfo: mismatched message (the message imprint is not the hash of this signature)',
    );
  }
  const { lowerLimit, upperLimit } = timestampRange(info.genTime, info.accuracy, info.policy);

  if (tsaRoots.length === 0)
    throw timestampError('no trusted TSA certificate found in the trust store');
  const roots = parseRoots(tsaRoots);

  // SignedToken.Verify: the first SignerInfo that verifies wins.
  const failures: string[] = [];
  for (const [i, si] of parsed.signerInfos.entries()) {
    try {
      const signer = verifySignerInfo(parsed, si);
      const { chain, anchor } = buildTsaChain(
        signer,
        parsed.certificates,
        roots,
        tsaRoots,
        info.genTime,
        opts,
      );
      checkSigningTime(si, chain);
      return {
        genTime: info.genTime,
        lowerLimit,
        upperLimit,
        certificates: parsed.certificates.map(toEnvelopeCertificate),
        tsaChain: chain,
        anchor,
        policy: info.policy,
        hashAlgorithm,
        serialNumber: info.serialNumber,
      };
    } catch (err) {
      if (parsed.signerInfos.length === 1) throw err;
      failures.push(`SignerInfo ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw timestampError(`no SignerInfo verified (${failures.join('; ')})`);
}

/**
 * [genTime − accuracy, genTime + accuracy] (RFC 3161 §2.4.2). Without an
 * accuracy, the baseline policy 0.4.0.2023.1.1 means 1 s and any other 0 s
 * (trust-store-trust-policy.md step "Retrieve the timestamp's accuracy";
 * tspclient-go also treats an all-zero accuracy like an absent one).
 * Microseconds are rounded up to whole milliseconds, widening the range.
 */
export function timestampRange(
  genTime: Date,
  accuracy: { seconds: number; millis: number; micros: number } | undefined,
  policy: string,
): { lowerLimit: Date; upperLimit: Date; accuracyMs: number } {
  const a = accuracy ?? { seconds: 0, millis: 0, micros: 0 };
  if (a.millis < 0 || a.millis > 999 || a.micros < 0 || a.micros > 999 || a.seconds < 0) {
    throw timestampError(
      `TSTInfo accuracy ${JSON.stringify(a)} is out of range (millis and micros are 1..999)`,
    );
  }
  let ms = a.seconds * 1000 + a.millis + Math.ceil(a.micros / 1000);
  if (ms === 0 && policy === OID_BASELINE_TSP_POLICY) ms = 1000;
  if (ms > MAX_ACCURACY_MS)
    throw timestampError(`TSTInfo accuracy of ${ms} ms is larger than one day`);
  const t = genTime.getTime();
  if (Number.isNaN(t)) throw timestampError('TSTInfo genTime is not a valid time');
  return { lowerLimit: new Date(t - ms), upperLimit: new Date(t + ms), accuracyMs: ms };
}

function parseRoots(tsaRoots: readonly TrustedCertificate[]): Certificate[] {
  return tsaRoots.map((r, i) => {
    try {
      return parseCertificate(r.der, `tsa trust store certificate ${i + 1} (${r.subject})`);
    } catch (err) {
      throw timestampError(err instanceof Error ? err.message : String(err), err);
    }
  });
}

/** The single value of a signed attribute; absent → undefined; repeated or multi-valued → error. */
function attribute(si: ParsedSignerInfo, type: string, name: string): Asn1Node | undefined {
  const found = si.signedAttributes.filter((a) => a.type === type);
  if (found.length === 0) return undefined;
  if (found.length > 1 || found[0]!.values.length !== 1) {
    throw timestampError(`the ${name} signed attribute must appear once with one value`);
  }
  return found[0]!.values[0];
}

/**
 * Finds the signer certificate and checks the signed attributes and the
 * signature (DIGEST §5.3 step 3.6, RFC 5652 §5.4, §11; RFC 5035).
 */
function verifySignerInfo(parsed: ParsedToken, si: ParsedSignerInfo): Certificate {
  const { asn1js } = cms();
  if (si.version !== 1 || !si.issuerDer || si.serialNumber === undefined) {
    throw timestampError(`SignerInfo version must be 1 (issuerAndSerialNumber), got ${si.version}`);
  }
  const digestName = HASH_OIDS[si.digestAlgorithm];
  if (!digestName) {
    throw timestampError(
      `SignerInfo digest algorithm ${si.digestAlgorithm} is not SHA-256, SHA-384 or SHA-512`,
    );
  }
  if (!si.signedAttributesDer) throw timestampError('the SignerInfo has no signed attributes');

  // The signer named by the SignerInfo must be one of the token's certificates.
  const signer = parsed.certificates.find(
    (c) =>
      c.issuerDer.equals(si.issuerDer!) &&
      normaliseSerial(c.serialNumber) === normaliseSerial(si.serialNumber!),
  );
  if (!signer) throw timestampError('signing certificate not found in the timestamp token');

  // signing-certificate-v2 (ESSCertIDv2) is required (spec; v1 alone is refused).
  const scv2 = attribute(si, OID_ATTR_SIGNING_CERTIFICATE_V2, 'signing-certificate-v2');
  if (!scv2)
    throw timestampError('the signing-certificate-v2 (ESSCertIDv2) signed attribute is missing');
  checkEssCertIdV2(scv2, signer);

  const ct = attribute(si, OID_ATTR_CONTENT_TYPE, 'content-type');
  if (!(ct instanceof asn1js.ObjectIdentifier) || ct.valueBlock.toString() !== OID_TST_INFO) {
    throw timestampError('the content-type signed attribute is missing or is not id-ct-TSTInfo');
  }
  const md = attribute(si, OID_ATTR_MESSAGE_DIGEST, 'message-digest');
  if (!md) throw timestampError('the message-digest signed attribute is missing');
  const digest = createHash(digestName).update(parsed.eContent).digest();
  let mdValue: Buffer;
  try {
    mdValue = octetStringBytes(md);
  } catch (err) {
    throw timestampError('the message-digest signed attribute is not an OCTET STRING', err);
  }
  if (!digest.equals(mdValue)) {
    throw timestampError('the message-digest signed attribute does not match the TSTInfo');
  }
  verifySignature(si, signer, digestName);
  return signer;
}

/** INTEGER content octets in hex without redundant leading zero bytes. */
function normaliseSerial(hex: string): string {
  return hex.replace(/^(00)+(?=..)/, '');
}

/**
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL };
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING,
 * issuerSerial IssuerSerial OPTIONAL } (RFC 5035 §3). The first ESSCertIDv2
 * identifies the signer: its hash must match, and its IssuerSerial, when
 * present, must name the same certificate.
 */
function checkEssCertIdV2(value: Asn1Node, signer: Certificate): void {
  const { asn1js, pkijs } = cms();
  const certs = children(value)[0];
  const first = certs ? children(certs)[0] : undefined;
  if (!first || !hasTag(first, TAG_CLASS.universal, 16)) {
    throw timestampError('the signing-certificate-v2 attribute holds no ESSCertIDv2');
  }
  let fields = children(first);
  let hashName: string | undefined = 'sha256';
  if (hasTag(fields[0], TAG_CLASS.universal, 16)) {
    const alg = new pkijs.AlgorithmIdentifier({ schema: fields[0] });
    hashName = HASH_OIDS[alg.algorithmId];
    fields = fields.slice(1);
    if (!hashName) {
      throw timestampError(
        `ESSCertIDv2 hash algorithm ${alg.algorithmId} is not SHA-256, SHA-384 or SHA-512`,
      );
    }
  }
  const [certHash, issuerSerial] = fields;
  if (!(certHash instanceof asn1js.OctetString))
    throw timestampError('ESSCertIDv2 has no certHash');
  if (!createHash(hashName).update(signer.der).digest().equals(octetStringBytes(certHash))) {
    throw timestampError(
      `the ESSCertIDv2 certHash does not match the signing certificate "${signer.subject}"`,
    );
  }
  if (issuerSerial !== undefined) {
    // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }
    const [names, serial] = children(issuerSerial);
    const dirName = names
      ? children(names).find((n) => hasTag(n, TAG_CLASS.contextSpecific, 4))
      : undefined;
    const nameNode = dirName ? children(dirName)[0] : undefined;
    const issuerMatches =
      nameNode !== undefined &&
      Buffer.from((nameNode as { valueBeforeDecodeView: Uint8Array }).valueBeforeDecodeView).equals(
        signer.issuerDer,
      );
    const serialMatches =
      serial instanceof asn1js.Integer &&
      normaliseSerial(Buffer.from(serial.valueBlock.valueHexView).toString('hex')) ===
        normaliseSerial(signer.serialNumber);
    if (!issuerMatches || !serialMatches) {
      throw timestampError(
        `the ESSCertIDv2 issuerSerial does not name the signing certificate "${signer.subject}"`,
      );
    }
  }
}

/** The SignerInfo signature over the DER of the signed attributes, with node:crypto. */
function verifySignature(si: ParsedSignerInfo, signer: Certificate, digestName: string): void {
  const scheme = SIGNATURE_SCHEMES[si.signatureAlgorithm];
  if (!scheme)
    throw timestampError(
      `SignerInfo signature algorithm ${si.signatureAlgorithm} is not supported`,
    );
  const key: KeyObject = signer.publicKey;
  if (key.asymmetricKeyType !== scheme.keyType) {
    throw timestampError(
      `the signing certificate has a ${key.asymmetricKeyType ?? 'unknown'} key, but the signature algorithm needs ${scheme.keyType}`,
    );
  }
  let hash = scheme.hash ?? digestName;
  let saltLength: number | undefined;
  if (scheme.pss) {
    const params = pssParameters(si.signatureParameters);
    hash = params.hash;
    saltLength = params.saltLength;
  }
  let ok: boolean;
  try {
    ok = cryptoVerify(
      hash,
      si.signedAttributesDer!,
      scheme.keyType === 'rsa'
        ? { key, padding: scheme.padding, ...(saltLength !== undefined ? { saltLength } : {}) }
        : { key, dsaEncoding: 'der' },
      si.signature,
    );
  } catch (err) {
    throw timestampError(
      `the token signature could not be checked (${err instanceof Error ? err.message : String(err)})`,
      err,
    );
  }
  if (!ok)
    throw timestampError(`the token signature does not verify with the key of "${signer.subject}"`);
}

/** RSASSA-PSS-params (RFC 4055 §3.1): hash [0] (DEFAULT sha1: refused), saltLength [2] DEFAULT 20. */
function pssParameters(params: Asn1Node | undefined): { hash: string; saltLength: number } {
  const { asn1js } = cms();
  const fields = params ? children(params) : [];
  const hashField = fields.find((f) => hasTag(f, TAG_CLASS.contextSpecific, 0));
  const hashOid = hashField ? children(children(hashField)[0] ?? hashField)[0] : undefined;
  const hash =
    hashOid instanceof asn1js.ObjectIdentifier
      ? HASH_OIDS[hashOid.valueBlock.toString()]
      : undefined;
  if (!hash)
    throw timestampError('RSASSA-PSS signature with SHA-1 or an unknown hash is not supported');
  const saltField = fields.find((f) => hasTag(f, TAG_CLASS.contextSpecific, 2));
  const saltInt = saltField ? children(saltField)[0] : undefined;
  const saltLength = saltInt instanceof asn1js.Integer ? saltInt.valueBlock.valueDec : 20;
  return { hash, saltLength };
}

/**
 * Builds the TSA chain from the signer to a trusted root, as Go's
 * x509.Verify(CurrentTime: genTime, Roots: tsa store, Intermediates: token
 * certificates, KeyUsages: [timeStamping]) does: trusted roots are preferred
 * as issuers, every certificate must be valid at genTime, and a CA with an
 * EKU extension must allow timeStamping (or any). The chain found is then
 * held to the timestamping certificate requirements (DIGEST §5.3 step 3.7).
 */
function buildTsaChain(
  signer: Certificate,
  tokenCerts: readonly Certificate[],
  roots: readonly Certificate[],
  trusted: readonly TrustedCertificate[],
  genTime: Date,
  opts: VerifyTimestampOptions,
): { chain: Certificate[]; anchor: TrustAnchor<TrustedCertificate> } {
  let steps = 0;
  const rootFps = new Set(roots.map((r) => r.fingerprint));
  const usable = (c: Certificate): boolean =>
    c.notBefore <= genTime && genTime <= c.notAfter && allowsTimestamping(c);
  const search = (path: Certificate[]): Certificate[] | undefined => {
    if (++steps > MAX_PATH_SEARCH_STEPS || path.length > MAX_CHAIN_LENGTH) return undefined;
    const cur = path[path.length - 1]!;
    if (rootFps.has(cur.fingerprint)) return path;
    const seen = new Set(path.map((c) => c.fingerprint));
    for (const candidate of [...roots, ...tokenCerts]) {
      if (seen.has(candidate.fingerprint) || !usable(candidate) || !isIssuedBy(cur, candidate))
        continue;
      const found = search([...path, candidate]);
      if (found) return found;
    }
    return undefined;
  };
  if (signer.notBefore > genTime || genTime > signer.notAfter) {
    throw timestampError(
      `the TSA certificate "${signer.subject}" was not valid at genTime ${genTime.toISOString()} (valid ${signer.notBefore.toISOString()} to ${signer.notAfter.toISOString()})`,
    );
  }
  if (!allowsTimestamping(signer)) {
    throw timestampError(
      `the TSA certificate "${signer.subject}" has an extended key usage without timeStamping`,
    );
  }
  const chain = search([signer]);
  if (!chain) {
    throw timestampError(
      `the TSA certificate "${signer.subject}" does not chain to a trusted TSA root valid at genTime ${genTime.toISOString()}; add its root to a tsa trust store the policy names`,
    );
  }
  try {
    if (opts.cache) {
      const r = opts.cache.validate(chain, trusted, {
        purpose: 'timestamping',
        at: genTime,
        where: 'timestamp',
      });
      return { chain, anchor: r.anchor };
    }
    validateTimestampingChain(chain, { at: genTime });
  } catch (err) {
    if (isTufNotaryError(err)) {
      throw timestampError(
        `failed to validate the timestamping certificate chain: ${err.message}`,
        err,
      );
    }
    throw err;
  }
  const anchor = findTrustedCertificate(chain, trusted);
  if (!anchor) throw timestampError('the TSA chain does not end at a trusted TSA root');
  return { chain, anchor };
}

/** Go's chain EKU check: a certificate with an EKU extension must allow timeStamping or any. */
function allowsTimestamping(cert: Certificate): boolean {
  const eku = extendedKeyUsage(cert);
  return !eku || eku.oids.includes(EKU_OID.timeStamping) || eku.oids.includes(EKU_OID.any);
}

/** A signing-time attribute, when present, must lie inside every TSA chain certificate's validity (Go). */
function checkSigningTime(si: ParsedSignerInfo, chain: readonly Certificate[]): void {
  const { asn1js } = cms();
  const st = attribute(si, OID_ATTR_SIGNING_TIME, 'signing-time');
  if (st === undefined) return;
  if (!(st instanceof asn1js.UTCTime) && !(st instanceof asn1js.GeneralizedTime)) {
    throw timestampError('the signing-time signed attribute is not a time');
  }
  const t = st.toDate();
  for (const c of chain) {
    if (t < c.notBefore || t > c.notAfter) {
      throw timestampError(
        `the signing-time ${t.toISOString()} is outside the validity of TSA certificate "${c.subject}"`,
      );
    }
  }
}

function toEnvelopeCertificate(c: Certificate): EnvelopeCertificate {
  return {
    fingerprint: c.fingerprint,
    subject: c.subject,
    issuer: c.issuer,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    der: c.der,
  };
}

/** Certificate-like values {@link checkTimestampAgainstChain} accepts. */
export type ValidityBearer = Pick<EnvelopeCertificate, 'subject' | 'notBefore' | 'notAfter'>;

/**
 * The authentic-timestamp check against the signing chain (DIGEST §5.3 step
 * 3.8, notation-go `verifyTimestamp` step 4): for every signing-chain
 * certificate, `lowerLimit >= notBefore` and `upperLimit <= notAfter`. A
 * certificate may be expired now. Throws ERR_TIMESTAMP_INVALID.
 */
export function checkTimestampAgainstChain(
  timestamp: Pick<TimestampInfo, 'lowerLimit' | 'upperLimit'>,
  signingChain: readonly ValidityBearer[],
): void {
  for (const cert of signingChain) {
    if (timestamp.lowerLimit < cert.notBefore) {
      throw timestampError(
        `timestamp can be before certificate "${cert.subject}" validity period, it will be valid from ${cert.notBefore.toISOString()} (timestamp range ${timestamp.lowerLimit.toISOString()} to ${timestamp.upperLimit.toISOString()})`,
      );
    }
    if (timestamp.upperLimit > cert.notAfter) {
      throw timestampError(
        `timestamp can be after certificate "${cert.subject}" validity period, it was expired at ${cert.notAfter.toISOString()} (timestamp range ${timestamp.lowerLimit.toISOString()} to ${timestamp.upperLimit.toISOString()})`,
      );
    }
  }
}
