/**
 * Parsing of an RFC 3161 TimeStampToken (a CMS SignedData over a TSTInfo,
 * RFC 3161 §2.4.2, RFC 5652 §5) into plain data. No trust decision is made
 * here; {@link verifyTimestampToken} does that.
 *
 * Mirrors tspclient-go `ParseSignedToken` / `Info` (DIGEST §5.3 step 3.2–3.3).
 */
import { ErrorCode, VerificationError } from '../errors';
import { type Certificate, parseCertificate } from '../x509/certificate';
import { type Asn1Node, children, cms, hasTag, octetStringBytes, rawBytes, TAG_CLASS } from './cms';

/** Largest token we parse: real tokens with a 4-certificate chain are ~7 KiB. */
export const MAX_TOKEN_BYTES = 64 * 1024;
/** Most certificates a token may carry. */
export const MAX_TOKEN_CERTIFICATES = 16;
/** Most SignerInfos a token may carry (RFC 3161 tokens have one). */
export const MAX_SIGNER_INFOS = 4;

export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
export const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
export const OID_ATTR_CONTENT_TYPE = '1.2.840.113549.1.9.3';
export const OID_ATTR_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
export const OID_ATTR_SIGNING_TIME = '1.2.840.113549.1.9.5';
export const OID_ATTR_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
/** ETSI baseline time-stamp policy (RFC 3628 §5.2): accuracy 1 s when none is given. */
export const OID_BASELINE_TSP_POLICY = '0.4.0.2023.1.1';

/** TSTInfo.accuracy (RFC 3161 §2.4.2). */
export interface TimestampAccuracy {
  readonly seconds: number;
  readonly millis: number;
  readonly micros: number;
}

/** The TSTInfo fields the verifier uses. */
export interface ParsedTstInfo {
  readonly version: number;
  readonly policy: string;
  readonly hashAlgorithm: string;
  readonly hashedMessage: Buffer;
  readonly serialNumber: string;
  readonly genTime: Date;
  readonly accuracy?: TimestampAccuracy;
}

/** One signed attribute (type → the DER of each value). */
export interface ParsedAttribute {
  readonly type: string;
  readonly values: readonly Asn1Node[];
}

/** One SignerInfo of the token. */
export interface ParsedSignerInfo {
  readonly version: number;
  /** IssuerAndSerialNumber of the signer (v1 SignerInfo), DER of the issuer Name. */
  readonly issuerDer?: Buffer;
  /** Serial number, lowercase hex of the INTEGER content octets. */
  readonly serialNumber?: string;
  readonly digestAlgorithm: string;
  readonly signatureAlgorithm: string;
  /** Raw parameters of the signature algorithm (RSASSA-PSS), when present. */
  readonly signatureParameters?: Asn1Node;
  /** The signed attributes, DER with the SET OF tag (what the signature covers). */
  readonly signedAttributesDer?: Buffer;
  readonly signedAttributes: readonly ParsedAttribute[];
  readonly signature: Buffer;
}

/** A parsed TimeStampToken. */
export interface ParsedToken {
  readonly eContentType: string;
  /** The TSTInfo DER (the encapsulated content). */
  readonly eContent: Buffer;
  readonly tstInfo: ParsedTstInfo;
  readonly certificates: readonly Certificate[];
  readonly signerInfos: readonly ParsedSignerInfo[];
}

/** The error every timestamp failure is reported with. */
export function timestampError(reason: string, cause?: unknown): VerificationError {
  return new VerificationError(
    ErrorCode.TIMESTAMP_INVALID,
    `timestamp countersignature: ${reason}`,
    {
      cause,
    },
  );
}

function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Parses `token` (DER or BER). Throws ERR_TIMESTAMP_INVALID with the reason
 * when it is too large, malformed, not a SignedData over a TSTInfo, or holds
 * more certificates or signers than allowed.
 */
export function parseTimestampToken(token: Uint8Array): ParsedToken {
  if (token.byteLength === 0) throw timestampError('the token is empty');
  if (token.byteLength > MAX_TOKEN_BYTES) {
    throw timestampError(`the token is ${token.byteLength} bytes; the limit is ${MAX_TOKEN_BYTES}`);
  }
  const { pkijs, asn1js } = cms();
  const bytes = new Uint8Array(token); // own copy: the parsed views point into it
  let decoded: ReturnType<typeof asn1js.fromBER>;
  try {
    decoded = asn1js.fromBER(bytes);
  } catch (err) {
    throw timestampError(`the token is not valid ASN.1 (${why(err)})`, err);
  }
  if (decoded.offset === -1 || decoded.result.error) {
    throw timestampError(
      `the token is not valid ASN.1 (${decoded.result.error || 'decoding failed'})`,
    );
  }
  if (decoded.offset !== bytes.byteLength) {
    throw timestampError('the token has trailing data after its ContentInfo');
  }
  // asn1js accepts a constructed item whose children run past its declared
  // length; the wrapper is not covered by the TSA signature, so a lenient
  // read would let the token's bytes change while it still verifies.
  checkDeclaredLengths(decoded.result, 0);
  let signedData: InstanceType<typeof pkijs.SignedData>;
  let contentSeq: Asn1Node;
  try {
    const ci = new pkijs.ContentInfo({ schema: decoded.result });
    if (ci.contentType !== OID_SIGNED_DATA) {
      throw new Error(`content type is ${ci.contentType}, not SignedData (${OID_SIGNED_DATA})`);
    }
    contentSeq = ci.content as Asn1Node;
    signedData = new pkijs.SignedData({ schema: contentSeq });
  } catch (err) {
    throw timestampError(`the token is not a CMS SignedData (${why(err)})`, err);
  }
  const eContentType = signedData.encapContentInfo.eContentType;
  if (eContentType !== OID_TST_INFO) {
    throw timestampError(
      `unexpected content type: ${eContentType}. Expected to be id-ct-TSTInfo (${OID_TST_INFO})`,
    );
  }
  // tspclient-go / RFC 3161 tokens: SignedData version 3 (eContentType is not id-data).
  if (signedData.version !== 3) {
    throw timestampError(`SignedData version is ${signedData.version}; expected 3`);
  }
  const eContentNode = signedData.encapContentInfo.eContent;
  if (!eContentNode) throw timestampError('the token has no encapsulated TSTInfo');
  let eContent: Buffer;
  try {
    eContent = octetStringBytes(eContentNode);
  } catch (err) {
    throw timestampError(`the encapsulated content is not an OCTET STRING (${why(err)})`, err);
  }
  const tstInfo = parseTstInfo(eContent);
  const certificates = parseCertificates(contentSeq);
  if (signedData.signerInfos.length === 0) throw timestampError('the token has no SignerInfo');
  if (signedData.signerInfos.length > MAX_SIGNER_INFOS) {
    throw timestampError(
      `the token has ${signedData.signerInfos.length} SignerInfos; the limit is ${MAX_SIGNER_INFOS}`,
    );
  }
  const signerInfos = signedData.signerInfos.map((si) => parseSignerInfo(si));
  checkDigestAlgorithms(signedData, signerInfos);
  return { eContentType, eContent, tstInfo, certificates, signerInfos };
}

/** Deepest ASN.1 nesting read in a token (real tokens nest about 12 levels). */
const MAX_TOKEN_DEPTH = 64;

/**
 * Every definite-length item's declared length must equal what its content
 * occupies (X.690 §8.1.3): no child may run past its parent. Indefinite
 * lengths (BER) are allowed. Throws ERR_TIMESTAMP_INVALID otherwise.
 */
function checkDeclaredLengths(node: Asn1Node, depth: number): void {
  if (depth > MAX_TOKEN_DEPTH) {
    throw timestampError(`the token nests deeper than ${MAX_TOKEN_DEPTH} levels`);
  }
  const lenBlock = (node as { lenBlock?: { isIndefiniteForm: boolean; length: number } }).lenBlock;
  const valueBlock = (node as { valueBlock?: { blockLength: number } }).valueBlock;
  if (!valueBlock) return;
  const contentLength = valueBlock.blockLength;
  if (lenBlock && !lenBlock.isIndefiniteForm && lenBlock.length !== contentLength) {
    throw timestampError(
      `an ASN.1 item declares ${lenBlock.length} content bytes but holds ${contentLength} (malformed encoding)`,
    );
  }
  for (const child of children(node)) checkDeclaredLengths(child, depth + 1);
}

/**
 * RFC 5652 §5.1: `digestAlgorithms` lists the digest algorithm of every
 * signer. It is not covered by any signature, so it must agree with the
 * SignerInfos exactly (no stray or altered entries), and every hash
 * AlgorithmIdentifier has absent or NULL parameters (RFC 5754 §2).
 */
function checkDigestAlgorithms(
  signedData: InstanceType<ReturnType<typeof cms>['pkijs']['SignedData']>,
  signerInfos: readonly ParsedSignerInfo[],
): void {
  const { asn1js } = cms();
  const listed = signedData.digestAlgorithms;
  const algorithms = [...listed, ...signedData.signerInfos.map((si) => si.digestAlgorithm)];
  for (const alg of algorithms) {
    const params = alg.algorithmParams as Asn1Node | undefined;
    if (params !== undefined && !(params instanceof asn1js.Null)) {
      throw timestampError(`digest algorithm ${alg.algorithmId} has parameters other than NULL`);
    }
  }
  const used = new Set(signerInfos.map((si) => si.digestAlgorithm));
  const declared = new Set(listed.map((a) => a.algorithmId));
  const same = used.size === declared.size && [...used].every((oid) => declared.has(oid));
  if (!same || declared.size !== listed.length) {
    throw timestampError(
      `SignedData digestAlgorithms [${[...declared].join(', ')}] do not match the signers' digest algorithms [${[...used].join(', ')}]`,
    );
  }
}

/** Decodes the TSTInfo (DIGEST §5.3 step 3.3–3.4: version 1). */
function parseTstInfo(der: Buffer): ParsedTstInfo {
  const { pkijs } = cms();
  let tst: InstanceType<typeof pkijs.TSTInfo>;
  try {
    const buf = new Uint8Array(der);
    tst = pkijs.TSTInfo.fromBER(buf);
    const check = cms().asn1js.fromBER(buf);
    if (check.offset !== buf.byteLength) throw new Error('trailing data after TSTInfo');
  } catch (err) {
    throw timestampError(`cannot decode the TSTInfo (${why(err)})`, err);
  }
  if (tst.version !== 1) throw timestampError(`TSTInfo version must be 1, but got ${tst.version}`);
  const acc = tst.accuracy;
  const accuracy = acc
    ? { seconds: acc.seconds ?? 0, millis: acc.millis ?? 0, micros: acc.micros ?? 0 }
    : undefined;
  const serial = tst.serialNumber.valueBlock.valueHexView;
  return {
    version: tst.version,
    policy: tst.policy,
    hashAlgorithm: tst.messageImprint.hashAlgorithm.algorithmId,
    hashedMessage: octetStringBytes(tst.messageImprint.hashedMessage),
    serialNumber: Buffer.from(serial).toString('hex'),
    genTime: tst.genTime,
    ...(accuracy ? { accuracy } : {}),
  };
}

/** The `certificates [0] IMPLICIT CertificateSet` of the SignedData, as raw certificates. */
function parseCertificates(signedDataSeq: Asn1Node): Certificate[] {
  const field = children(signedDataSeq).find((n) => hasTag(n, TAG_CLASS.contextSpecific, 0));
  if (!field) return [];
  const items = children(field);
  if (items.length > MAX_TOKEN_CERTIFICATES) {
    throw timestampError(
      `the token carries ${items.length} certificates; the limit is ${MAX_TOKEN_CERTIFICATES}`,
    );
  }
  return items.map((item, i) => {
    // Only the plain Certificate choice (a universal SEQUENCE); attribute and
    // other certificate formats are refused, as Go's x509.ParseCertificates does.
    if (!hasTag(item, TAG_CLASS.universal, 16)) {
      throw timestampError(`token certificate ${i + 1} is not an X.509 certificate`);
    }
    try {
      return parseCertificate(rawBytes(item), `token certificate ${i + 1}`);
    } catch (err) {
      throw timestampError(why(err), err);
    }
  });
}

type PkijsSignerInfo = InstanceType<ReturnType<typeof cms>['pkijs']['SignerInfo']>;

function parseSignerInfo(si: PkijsSignerInfo): ParsedSignerInfo {
  const { pkijs } = cms();
  let issuerDer: Buffer | undefined;
  let serialNumber: string | undefined;
  if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
    issuerDer = Buffer.from(si.sid.issuer.valueBeforeDecode);
    serialNumber = Buffer.from(si.sid.serialNumber.valueBlock.valueHexView).toString('hex');
  }
  const signedAttributes: ParsedAttribute[] = (si.signedAttrs?.attributes ?? []).map((a) => ({
    type: a.type,
    values: a.values as Asn1Node[],
  }));
  const encoded = si.signedAttrs?.encodedValue;
  const sigParams = si.signatureAlgorithm.algorithmParams as Asn1Node | undefined;
  return {
    version: si.version,
    ...(issuerDer ? { issuerDer } : {}),
    ...(serialNumber !== undefined ? { serialNumber } : {}),
    digestAlgorithm: si.digestAlgorithm.algorithmId,
    signatureAlgorithm: si.signatureAlgorithm.algorithmId,
    ...(sigParams ? { signatureParameters: sigParams } : {}),
    ...(encoded && encoded.byteLength > 0 ? { signedAttributesDer: Buffer.from(encoded) } : {}),
    signedAttributes,
    signature: octetStringBytes(si.signature),
  };
}
