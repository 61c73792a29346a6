/**
 * JWS JSON Serialization, flattened form (RFC 7515 §7.2.2) with the Notary
 * profile (signature-envelope-jws.md). Reads and checks; makes no trust
 * decision and verifies no signature.
 */
import { EnvelopeError, ErrorCode } from '../errors';
import { algorithmFromJws } from './algorithms';
import { checkSignedAttributes, parseRfc3339 } from './attributes';
import { checkAlgorithmMatchesLeaf, parseChain } from './chain';
import { decodeUtf8, isJsonObject, parseStrictJson } from './json';
import { ENVELOPE_LIMITS } from './limits';
import { PAYLOAD_CONTENT_TYPE, parsePayload } from './payload';
import type { SignatureEnvelope } from './types';

/** Unprotected header names the Notary JWS profile defines. */
export const JWS_UNPROTECTED = {
  x5c: 'x5c',
  timestampSignature: 'io.cncf.notary.timestampSignature',
  signingAgent: 'io.cncf.notary.signingAgent',
} as const;

/**
 * Registered JOSE header names (RFC 7515 §4.1, RFC 7797): `crit` must not list
 * them ("It MUST only contain headers apart from registered headers").
 */
const REGISTERED = new Set([
  'alg', 'jku', 'jwk', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'typ', 'cty', 'crit', 'b64', 'zip',
]); // prettier-ignore

/**
 * Protected headers that would change how the signing input or payload is
 * read (RFC 7797 unencoded payload, JWE compression): refused outright.
 */
const REFUSED = new Set(['b64', 'zip']);

const TOP_LEVEL = ['payload', 'protected', 'header', 'signature'];
const WHERE = 'JWS envelope';
const PROTECTED = 'JWS protected header';

/** Parses a Notary JWS envelope (`application/jose+json`). */
export function parseJws(bytes: Uint8Array): SignatureEnvelope {
  const doc = parseStrictJson(decodeUtf8(bytes, WHERE), WHERE);
  if (!isJsonObject(doc)) fail(WHERE, 'must be a JSON object');
  if (Object.hasOwn(doc, 'signatures')) {
    fail(
      WHERE,
      'uses the general JWS JSON serialization; the Notary Project requires the flattened form',
    );
  }
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL.includes(key))
      fail(WHERE, `unknown member "${key}"; only ${TOP_LEVEL.join(', ')} are allowed`);
  }
  for (const key of TOP_LEVEL) {
    if (!Object.hasOwn(doc, key)) fail(WHERE, `"${key}" is required`);
  }
  const protectedB64 = b64urlField(
    doc.protected,
    'protected',
    ENVELOPE_LIMITS.maxProtectedHeaderBytes,
  );
  const payloadB64 = b64urlField(doc.payload, 'payload', ENVELOPE_LIMITS.maxPayloadBytes);
  const signatureB64 = b64urlField(doc.signature, 'signature', ENVELOPE_LIMITS.maxSignatureBytes);
  const signature = fromBase64Url(signatureB64);
  if (signature.length === 0) fail(WHERE, '"signature" is empty');
  const payloadBytes = fromBase64Url(payloadB64);

  // Protected header.
  const headerDoc = parseStrictJson(decodeUtf8(fromBase64Url(protectedB64), PROTECTED), PROTECTED);
  if (!isJsonObject(headerDoc)) fail(PROTECTED, 'must be a JSON object');
  const names = Object.keys(headerDoc);
  if (names.length > ENVELOPE_LIMITS.maxHeaderEntries)
    fail(PROTECTED, `has more than ${ENVELOPE_LIMITS.maxHeaderEntries} entries`);
  for (const name of names) {
    if (REFUSED.has(name)) fail(PROTECTED, `"${name}" is not supported by the Notary JWS profile`);
  }

  const { alg, cty, crit } = headerDoc;
  if (alg === undefined) fail(PROTECTED, '"alg" is required');
  if (typeof alg !== 'string') fail(PROTECTED, '"alg" must be a string');
  const algorithm = algorithmFromJws(alg);
  if (!algorithm) {
    throw new EnvelopeError(
      ErrorCode.ALGORITHM_UNSUPPORTED,
      `${PROTECTED}: "alg" value "${alg.slice(0, 32)}" is not allowed; use PS256, PS384, PS512, ES256, ES384 or ES512`,
      { details: { alg: alg.slice(0, 32) } },
    );
  }
  if (cty === undefined) fail(PROTECTED, '"cty" is required');
  if (cty !== PAYLOAD_CONTENT_TYPE) fail(PROTECTED, `"cty" must be "${PAYLOAD_CONTENT_TYPE}"`);
  if (crit === undefined) fail(PROTECTED, '"crit" is required by the Notary JWS profile');
  if (!Array.isArray(crit) || !crit.every((c): c is string => typeof c === 'string')) {
    fail(PROTECTED, '"crit" must be an array of strings');
  }
  for (const c of crit) {
    if (REGISTERED.has(c)) fail(PROTECTED, `"crit" must not list the registered header "${c}"`);
  }
  const headers = new Map(
    Object.entries(headerDoc).filter(([k]) => !['alg', 'cty', 'crit'].includes(k)),
  );
  const attributes = checkSignedAttributes({
    where: PROTECTED,
    crit,
    headers,
    readTime: (value, name) => parseRfc3339(value, name, PROTECTED),
  });

  // Unprotected header.
  const UNPROTECTED = 'JWS unprotected header';
  const header = doc.header;
  if (!isJsonObject(header)) fail(UNPROTECTED, 'must be a JSON object');
  const unprotectedNames = Object.keys(header);
  if (unprotectedNames.length > ENVELOPE_LIMITS.maxHeaderEntries) {
    fail(UNPROTECTED, `has more than ${ENVELOPE_LIMITS.maxHeaderEntries} entries`);
  }
  for (const name of unprotectedNames) {
    // RFC 7515 §7.2.1: protected and unprotected header names MUST be disjoint.
    if (Object.hasOwn(headerDoc, name))
      fail(UNPROTECTED, `"${name}" also appears in the protected header`);
  }
  const x5c = header[JWS_UNPROTECTED.x5c];
  if (x5c === undefined) fail(UNPROTECTED, '"x5c" (the certificate chain) is required');
  if (!Array.isArray(x5c) || !x5c.every((c): c is string => typeof c === 'string')) {
    fail(UNPROTECTED, '"x5c" must be an array of base64 strings');
  }
  if (x5c.length > ENVELOPE_LIMITS.maxCertificates) {
    fail(UNPROTECTED, `"x5c" holds more than ${ENVELOPE_LIMITS.maxCertificates} certificates`);
  }
  const chainDer = x5c.map((c, i) => fromBase64Strict(c, `"x5c"[${i}]`, UNPROTECTED));
  const tsa = header[JWS_UNPROTECTED.timestampSignature];
  let timestampToken: Uint8Array | undefined;
  if (tsa !== undefined) {
    if (typeof tsa !== 'string')
      fail(UNPROTECTED, `"${JWS_UNPROTECTED.timestampSignature}" must be a base64 string`);
    if (tsa.length > (ENVELOPE_LIMITS.maxTimestampTokenBytes * 4) / 3 + 4) {
      fail(
        UNPROTECTED,
        `"${JWS_UNPROTECTED.timestampSignature}" is larger than ${ENVELOPE_LIMITS.maxTimestampTokenBytes} bytes`,
      );
    }
    timestampToken = fromBase64Strict(tsa, `"${JWS_UNPROTECTED.timestampSignature}"`, UNPROTECTED);
    if (timestampToken.length === 0)
      fail(UNPROTECTED, `"${JWS_UNPROTECTED.timestampSignature}" is empty`);
  }
  // The signing agent is informational: never validated beyond its type (spec: MUST NOT fail on content).
  const agent = header[JWS_UNPROTECTED.signingAgent];
  const signingAgent =
    typeof agent === 'string' ? agent.slice(0, ENVELOPE_LIMITS.maxHeaderStringLength) : undefined;

  const payload = parsePayload(payloadBytes);
  const certificateChain = parseChain(chainDer, WHERE);
  checkAlgorithmMatchesLeaf(algorithm, certificateChain[0]!, WHERE);

  return {
    mediaType: 'application/jose+json',
    ...attributes,
    algorithm: algorithm.name,
    contentType: PAYLOAD_CONTENT_TYPE,
    payload,
    payloadBytes,
    certificateChain,
    ...(timestampToken && { timestampToken }),
    ...(signingAgent !== undefined && { signingAgent }),
    signature,
    // JWS Signing Input: ASCII(BASE64URL(protected) '.' BASE64URL(payload)), RFC 7515 §5.1.
    signedBytes: new Uint8Array(Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii')),
  };
}

/** A required base64url member, length-bounded before decoding. */
function b64urlField(value: unknown, name: string, maxBytes: number): string {
  if (typeof value !== 'string') fail(WHERE, `"${name}" must be a base64url string`);
  if (value.length > Math.ceil((maxBytes * 4) / 3)) {
    fail(WHERE, `"${name}" is larger than the ${maxBytes}-byte limit`);
  }
  // RFC 7515 §2: unpadded base64url, no other characters (Go rejects "=" too).
  if (!/^[A-Za-z0-9_-]*$/.test(value) || value.length % 4 === 1) {
    fail(WHERE, `"${name}" is not unpadded base64url`);
  }
  if (Buffer.from(value, 'base64url').toString('base64url') !== value) {
    fail(WHERE, `"${name}" is not canonical base64url`);
  }
  return value;
}

function fromBase64Url(value: string): Uint8Array {
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 (x5c, RFC 7515 §4.1.6), decoded only when canonical. */
function fromBase64Strict(value: string, name: string, where: string): Uint8Array {
  if (!BASE64.test(value)) fail(where, `${name} is not standard padded base64`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) fail(where, `${name} is not canonical base64`);
  return new Uint8Array(bytes);
}

function fail(where: string, message: string): never {
  throw new EnvelopeError(ErrorCode.ENVELOPE_INVALID, `${where}: ${message}`);
}
