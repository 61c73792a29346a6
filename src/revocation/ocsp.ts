/**
 * OCSP (RFC 6960): request building and response evaluation. Requests are
 * built with pkijs; responses are parsed with pkijs and their signatures
 * checked with node:crypto. The behaviour follows notation-core-go's
 * `revocation/internal/ocsp` (DIGEST §8), stricter where the RFC is:
 * a delegated responder must carry id-kp-OCSPSigning and be valid now
 * (RFC 6960 §4.2.2.2; Go checks neither).
 */
import { createHash } from 'node:crypto';
import type * as PkijsModule from 'pkijs';
import { type Certificate, parseCertificate } from '../x509/certificate';
import { certificateSignatureAlgorithm } from '../x509/algorithms';
import { EKU_OID, extendedKeyUsage } from '../x509/extensions';
import { isIssuedBy } from '../x509/requirements';
import { asn1, CERT_ID_HASHES, keyHash, pki, reasonName } from './asn1';
import { checkSignature } from './signature';

/** id-pkix-ocsp-basic (RFC 6960 §4.2.1). */
const ID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
/** invalidityDate (RFC 5280 §5.3.2), used in OCSP singleExtensions too. */
const ID_INVALIDITY_DATE = '2.5.29.24';
/** Single and response extensions we understand (RFC 6960 §4.4); any other critical one is refused. */
const KNOWN_OCSP_EXTENSIONS: ReadonlySet<string> = new Set([
  '1.3.6.1.5.5.7.48.1.2', // nonce
  '1.3.6.1.5.5.7.48.1.6', // archive cutoff
  '1.3.6.1.5.5.7.48.1.3', // CRL references
  ID_INVALIDITY_DATE,
]);
/** Non-successful OCSPResponseStatus values (RFC 6960 §4.2.1), as Go words them. */
const RESPONSE_STATUS_ERRORS: Readonly<Record<number, string>> = {
  1: 'OCSP response status malformedRequest: the responder could not parse the request',
  2: 'OCSP response status internalError: the responder failed',
  3: 'OCSP response status tryLater: the responder is busy',
  5: 'OCSP response status sigRequired: the responder wants signed requests',
  6: 'OCSP response status unauthorized: the responder does not answer for this certificate',
};
/** How far in the future a thisUpdate may be (clock skew) before the response is refused. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** A response that cannot be used; the certificate's status becomes `unknown`. */
export class OcspError extends Error {}

/** What a usable OCSP response says about one certificate. */
export interface OcspAnswer {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly reason?: string;
  /** invalidityDate of a revocation (RFC 5280 §5.3.2), when the responder gave one. */
  readonly invalidityDate?: Date;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

function toPkijsCert(cert: Certificate): PkijsModule.Certificate {
  const { pkijs } = pki();
  return pkijs.Certificate.fromBER(cert.der);
}

/**
 * DER of an OCSPRequest for `cert` issued by `issuer`, with a SHA-1 CertID
 * like notation-core-go (`ocsp.CreateRequest`) and RFC 5019 §2.1.1, which
 * every responder understands; the hash only names the certificate.
 */
export async function buildOcspRequest(
  cert: Certificate,
  issuer: Certificate,
): Promise<Uint8Array> {
  const { pkijs } = pki();
  const request = new pkijs.OCSPRequest();
  await request.createForCertificate(toPkijsCert(cert), {
    hashAlgorithm: 'SHA-1',
    issuerCertificate: toPkijsCert(issuer),
  });
  return new Uint8Array(request.toSchema(true).toBER(false));
}

/**
 * URL of a GET request for `request` when its encoding is short enough (Go:
 * base64 under 255 characters, RFC 6960 appendix A.1), else undefined (POST).
 */
export function ocspGetUrl(server: string, request: Uint8Array): string | undefined {
  const b64 = Buffer.from(request).toString('base64');
  if (b64.length >= 255) return undefined;
  return `${server.replace(/\/+$/, '')}/${encodeURIComponent(b64)}`;
}

function view(bytes: ArrayBuffer | Uint8Array): Buffer {
  return bytes instanceof Uint8Array
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : Buffer.from(bytes);
}

/** Parses an OCSPResponse and returns its BasicOCSPResponse, or throws OcspError. */
function parseBasic(body: Uint8Array): PkijsModule.BasicOCSPResponse {
  const { pkijs, asn1js } = pki();
  let response: PkijsModule.OCSPResponse;
  try {
    response = pkijs.OCSPResponse.fromBER(body);
  } catch (err) {
    throw new OcspError(`malformed OCSP response (${(err as Error).message})`);
  }
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== 0) {
    throw new OcspError(
      RESPONSE_STATUS_ERRORS[status] ?? `OCSP response status ${status} is not defined by RFC 6960`,
    );
  }
  const bytes = response.responseBytes;
  if (!bytes) throw new OcspError('successful OCSP response carries no responseBytes');
  if (bytes.responseType !== ID_PKIX_OCSP_BASIC) {
    throw new OcspError(`OCSP response type ${bytes.responseType} is not id-pkix-ocsp-basic`);
  }
  try {
    const decoded = asn1js.fromBER(bytes.response.valueBlock.valueHexView);
    if (decoded.offset === -1) throw new Error(decoded.result.error);
    return new pkijs.BasicOCSPResponse({ schema: decoded.result });
  } catch (err) {
    throw new OcspError(`malformed BasicOCSPResponse (${(err as Error).message})`);
  }
}

/** True when the ResponderID names `cert` (byName: the subject DER; byKey: SHA-1 of the key bits). */
function responderIdMatches(basic: PkijsModule.BasicOCSPResponse, cert: Certificate): boolean {
  const { pkijs, asn1js } = pki();
  const id: unknown = basic.tbsResponseData.responderID;
  if (id instanceof pkijs.RelativeDistinguishedNames) {
    return view(id.toSchema().toBER(false)).equals(cert.subjectDer);
  }
  if (id instanceof asn1js.OctetString) {
    return view(id.valueBlock.valueHexView).equals(keyHash(cert, 'sha1'));
  }
  return false;
}

/**
 * Finds the key that signed the response (RFC 6960 §4.2.2.2): the issuer
 * itself, or a delegated responder certificate embedded in the response,
 * issued directly by the issuer, carrying id-kp-OCSPSigning and valid now.
 */
function responderKey(
  basic: PkijsModule.BasicOCSPResponse,
  issuer: Certificate,
  now: Date,
): Certificate {
  if (responderIdMatches(basic, issuer)) return issuer;
  const embedded = (basic.certs ?? []).map((c, i) =>
    parseCertificate(
      new Uint8Array(c.toSchema().toBER(false)),
      `OCSP responder certificate ${i + 1}`,
    ),
  );
  const responder = embedded.find((c) => responderIdMatches(basic, c));
  if (!responder) {
    throw new OcspError(
      `OCSP response is signed neither by the issuer "${issuer.subject}" nor by a responder certificate it carries`,
    );
  }
  if (responder.der.equals(issuer.der)) return issuer;
  if (!isIssuedBy(responder, issuer) || !certificateSignatureAlgorithm(responder).ok) {
    throw new OcspError(
      `OCSP responder certificate "${responder.subject}" is not issued by "${issuer.subject}"`,
    );
  }
  const eku = extendedKeyUsage(responder);
  if (!eku?.oids.includes(EKU_OID.ocspSigning)) {
    throw new OcspError(
      `OCSP responder certificate "${responder.subject}" lacks the OCSP-signing extended key usage (RFC 6960 §4.2.2.2)`,
    );
  }
  if (now < responder.notBefore || now > responder.notAfter) {
    throw new OcspError(
      `OCSP responder certificate "${responder.subject}" is not valid at ${now.toISOString()}`,
    );
  }
  return responder;
}

function refuseCriticalExtensions(
  exts: readonly PkijsModule.Extension[] | undefined,
  where: string,
): void {
  for (const ext of exts ?? []) {
    if (ext.critical && !KNOWN_OCSP_EXTENSIONS.has(ext.extnID)) {
      throw new OcspError(`OCSP ${where} carries the unsupported critical extension ${ext.extnID}`);
    }
  }
}

/** The SingleResponse whose CertID names `cert` issued by `issuer`, whatever hash the responder used. */
function findSingle(
  basic: PkijsModule.BasicOCSPResponse,
  cert: Certificate,
  issuer: Certificate,
): PkijsModule.SingleResponse {
  const serial = cert.asn1.serialNumber;
  for (const single of basic.tbsResponseData.responses) {
    const id = single.certID;
    const hash = CERT_ID_HASHES[id.hashAlgorithm.algorithmId];
    if (hash === undefined) continue;
    if (!view(id.serialNumber.valueBlock.valueHexView).equals(serial)) continue;
    const nameHash = createHash(hash).update(issuer.subjectDer).digest();
    if (!view(id.issuerNameHash.valueBlock.valueHexView).equals(nameHash)) continue;
    if (!view(id.issuerKeyHash.valueBlock.valueHexView).equals(keyHash(issuer, hash))) continue;
    return single;
  }
  throw new OcspError(
    `OCSP response has no status for certificate "${cert.subject}" (serial ${cert.serialNumber})`,
  );
}

function invalidityDate(single: PkijsModule.SingleResponse): Date | undefined {
  const ext = single.singleExtensions?.find((e) => e.extnID === ID_INVALIDITY_DATE);
  if (!ext) return undefined;
  try {
    return asn1(ext.extnValue.valueBlock.valueHexView).toDate();
  } catch {
    throw new OcspError('OCSP response carries a malformed invalidityDate extension');
  }
}

/**
 * Evaluates an OCSP response body for `cert` (issued by `issuer`) at `now`.
 * Throws OcspError when the response cannot be trusted or used.
 */
export function evaluateOcspResponse(
  body: Uint8Array,
  cert: Certificate,
  issuer: Certificate,
  now: Date,
): OcspAnswer {
  const basic = parseBasic(body);
  const signer = responderKey(basic, issuer, now);
  const algorithm = asn1(new Uint8Array(basic.signatureAlgorithm.toSchema().toBER(false)));
  const problem = checkSignature(
    algorithm,
    basic.tbsResponseData.tbsView,
    basic.signature.valueBlock.valueHexView,
    signer.publicKey,
  );
  if (problem !== undefined)
    throw new OcspError(`OCSP response signature by "${signer.subject}" is invalid: ${problem}`);
  refuseCriticalExtensions(basic.tbsResponseData.responseExtensions, 'response');
  const single = findSingle(basic, cert, issuer);
  refuseCriticalExtensions(single.singleExtensions, 'single response');
  const { thisUpdate, nextUpdate } = single;
  if (thisUpdate.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    throw new OcspError(`OCSP response thisUpdate ${thisUpdate.toISOString()} is in the future`);
  }
  // notation-core-go: a missing nextUpdate is the zero time, so the response counts as expired.
  if (nextUpdate === undefined) throw new OcspError('expired OCSP response: it has no nextUpdate');
  if (now > nextUpdate)
    throw new OcspError(`expired OCSP response: nextUpdate was ${nextUpdate.toISOString()}`);
  const tag = (single.certStatus as { idBlock: { tagNumber: number } }).idBlock.tagNumber;
  if (tag === 0) return { status: 'good', thisUpdate, nextUpdate };
  if (tag === 2) return { status: 'unknown', thisUpdate, nextUpdate };
  if (tag !== 1) throw new OcspError(`OCSP certStatus [${tag}] is not defined by RFC 6960`);
  const { revokedAt, reason } = revokedInfo(single.certStatus);
  const invalidity = invalidityDate(single);
  return {
    status: 'revoked',
    revokedAt,
    ...(reason === undefined ? {} : { reason }),
    ...(invalidity === undefined ? {} : { invalidityDate: invalidity }),
    thisUpdate,
    nextUpdate,
  };
}

/**
 * notation-core-go: with an authentic signing time before the invalidity
 * date of a revocation, the signature stays good.
 */
export function revokedAtSigningTime(answer: OcspAnswer, signingTime: Date | undefined): boolean {
  if (answer.status !== 'revoked') return false;
  return !(
    signingTime !== undefined &&
    answer.invalidityDate !== undefined &&
    signingTime < answer.invalidityDate
  );
}

/** RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL } */
function revokedInfo(certStatus: unknown): { revokedAt: Date; reason?: string } {
  const { asn1js } = pki();
  try {
    const parts = (certStatus as InstanceType<typeof asn1js.Constructed>).valueBlock.value;
    const time = parts[0];
    if (!(time instanceof asn1js.GeneralizedTime))
      throw new Error('revocationTime is not a GeneralizedTime');
    const reasonBox = parts[1] as InstanceType<typeof asn1js.Constructed> | undefined;
    const reasonValue = reasonBox?.valueBlock.value[0];
    let reason: string | undefined;
    if (reasonValue !== undefined) {
      if (!(reasonValue instanceof asn1js.Enumerated))
        throw new Error('revocationReason is not an ENUMERATED');
      reason = reasonName(reasonValue.valueBlock.valueDec);
    }
    return reason === undefined
      ? { revokedAt: time.toDate() }
      : { revokedAt: time.toDate(), reason };
  } catch (err) {
    throw new OcspError(`malformed RevokedInfo in the OCSP response (${(err as Error).message})`);
  }
}
