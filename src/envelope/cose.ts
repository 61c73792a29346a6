/**
 * COSE_Sign1_Tagged (RFC 9052 §4.2) with the Notary profile
 * (signature-envelope-cose.md). Reads and checks; verifies no signature.
 */
import { EnvelopeError, ErrorCode } from '../errors';
import { algorithmFromCose } from './algorithms';
import { checkSignedAttributes } from './attributes';
import { checkCbor, decodeCbor, encodeCbor, isCborTag } from './cbor';
import { checkAlgorithmMatchesLeaf, parseChain } from './chain';
import { ENVELOPE_LIMITS } from './limits';
import { PAYLOAD_CONTENT_TYPE, parsePayload } from './payload';
import type { SignatureEnvelope } from './types';

/** COSE header labels the Notary profile uses. */
export const COSE_LABEL = {
  alg: 1,
  crit: 2,
  contentType: 3,
  x5chain: 33,
  timestampSignature: 'io.cncf.notary.timestampSignature',
  signingAgent: 'io.cncf.notary.signingAgent',
} as const;

/** COSE_Sign1 tag (RFC 9052 §2). */
const COSE_SIGN1_TAG = 18;
/** CBOR epoch date/time tag (RFC 8949 §3.4.2), used by the Notary time headers. */
const EPOCH_TIME_TAG = 1;

const WHERE = 'COSE envelope';
const PROTECTED = 'COSE protected header';
const UNPROTECTED = 'COSE unprotected header';

type Label = number | string;

/** Parses a Notary COSE envelope (`application/cose`). */
export function parseCose(bytes: Uint8Array): SignatureEnvelope {
  // COSE_Sign1_Tagged starts with tag 18 (0xD2) and an array of four (0x84).
  if (bytes[0] !== 0xd2 || bytes[1] !== 0x84) {
    fail(WHERE, 'is not a tagged COSE_Sign1 message (it must start with 0xD2 0x84)');
  }
  checkCbor(bytes, WHERE, (tag, depth) => tag === COSE_SIGN1_TAG && depth === 0);
  const outer = decodeCbor(bytes, WHERE);
  if (!isCborTag(outer, COSE_SIGN1_TAG) || !Array.isArray(outer.value)) {
    fail(WHERE, 'is not a COSE_Sign1 message');
  }
  const [protectedBstr, unprotected, payloadBytes, signature] = outer.value as unknown[];
  if (!(protectedBstr instanceof Uint8Array)) fail(WHERE, 'protected header must be a byte string');
  if (!(unprotected instanceof Map)) fail(WHERE, 'unprotected header must be a map');
  if (payloadBytes === null)
    fail(WHERE, 'detached payloads are not supported; the payload must be embedded');
  if (!(payloadBytes instanceof Uint8Array)) fail(WHERE, 'payload must be a byte string');
  if (!(signature instanceof Uint8Array)) fail(WHERE, 'signature must be a byte string');
  if (signature.length === 0 || signature.length > ENVELOPE_LIMITS.maxSignatureBytes) {
    fail(WHERE, `signature length ${signature.length} is out of range`);
  }
  if (protectedBstr.length > ENVELOPE_LIMITS.maxProtectedHeaderBytes) {
    fail(PROTECTED, `is larger than the ${ENVELOPE_LIMITS.maxProtectedHeaderBytes}-byte limit`);
  }
  if (protectedBstr.length === 0)
    fail(PROTECTED, 'is empty; "alg", "cty", "crit" and the signing scheme are required');

  // Protected header: a serialized map; time headers carry tag 1.
  checkCbor(protectedBstr, PROTECTED, (tag, depth) => tag === EPOCH_TIME_TAG && depth >= 1);
  const protectedMap = decodeCbor(protectedBstr, PROTECTED);
  if (!(protectedMap instanceof Map)) fail(PROTECTED, 'must be a CBOR map');
  if (protectedMap.size > ENVELOPE_LIMITS.maxHeaderEntries) {
    fail(PROTECTED, `has more than ${ENVELOPE_LIMITS.maxHeaderEntries} entries`);
  }

  const alg = protectedMap.get(COSE_LABEL.alg);
  if (alg === undefined) fail(PROTECTED, 'alg (label 1) is required');
  if (typeof alg !== 'number' && typeof alg !== 'string')
    fail(PROTECTED, 'alg (label 1) must be an integer');
  const algorithm = typeof alg === 'number' ? algorithmFromCose(alg) : undefined;
  if (!algorithm) {
    throw new EnvelopeError(
      ErrorCode.ALGORITHM_UNSUPPORTED,
      `${PROTECTED}: alg ${JSON.stringify(alg).slice(0, 32)} is not allowed; use -37, -38, -39 (PS256/384/512) or -7, -35, -36 (ES256/384/512)`,
      { details: { alg: String(alg).slice(0, 32) } },
    );
  }
  const cty = protectedMap.get(COSE_LABEL.contentType);
  if (cty === undefined) fail(PROTECTED, 'content type (label 3) is required');
  if (cty !== PAYLOAD_CONTENT_TYPE)
    fail(PROTECTED, `content type (label 3) must be the text "${PAYLOAD_CONTENT_TYPE}"`);

  const critRaw = protectedMap.get(COSE_LABEL.crit);
  if (critRaw === undefined)
    fail(PROTECTED, 'crit (label 2) is required by the Notary COSE profile');
  if (!Array.isArray(critRaw)) fail(PROTECTED, 'crit (label 2) must be an array');
  const crit = (critRaw as unknown[]).map((label) => {
    if (typeof label === 'number' && Number.isInteger(label)) {
      // "It MUST only contain parameters apart from integer labels in the range of 0 to 8."
      if (label >= 0 && label <= 8)
        fail(PROTECTED, `crit (label 2) must not list the registered label ${label}`);
      return String(label);
    }
    if (typeof label === 'string') return label;
    return fail(PROTECTED, 'crit (label 2) entries must be integers or text strings');
  });

  // Every other protected header, by name (integer labels as decimal strings).
  const headers = new Map<string, unknown>();
  let protectedChain: unknown;
  for (const [label, value] of protectedMap as Map<Label, unknown>) {
    if (label === COSE_LABEL.alg || label === COSE_LABEL.crit || label === COSE_LABEL.contentType)
      continue;
    if (label === COSE_LABEL.x5chain) {
      // The spec allows x5chain in the protected header too (go-cose does not).
      protectedChain = value;
      continue;
    }
    const name = String(label);
    if (headers.has(name)) fail(PROTECTED, `label ${name} appears both as an integer and as text`);
    headers.set(name, value);
  }
  const attributes = checkSignedAttributes({
    where: PROTECTED,
    crit,
    headers,
    readTime: (value, name) => {
      // Tag 1 is the only tag the protected header may hold, and cbor-x reads it as a Date.
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
        fail(PROTECTED, `"${name}" must be an epoch date/time (CBOR tag 1)`);
      }
      return value;
    },
  });

  // Unprotected header.
  if (unprotected.size > ENVELOPE_LIMITS.maxHeaderEntries) {
    fail(UNPROTECTED, `has more than ${ENVELOPE_LIMITS.maxHeaderEntries} entries`);
  }
  for (const label of unprotected.keys() as Iterable<Label>) {
    // RFC 9052 §3: a label must not appear in both buckets; crit belongs in the protected one.
    if (protectedMap.has(label))
      fail(UNPROTECTED, `label ${String(label)} also appears in the protected header`);
    if (label === COSE_LABEL.crit)
      fail(UNPROTECTED, 'crit (label 2) must be in the protected header');
  }
  const chainValue = protectedChain ?? unprotected.get(COSE_LABEL.x5chain);
  if (chainValue === undefined)
    fail(UNPROTECTED, 'x5chain (label 33, the certificate chain) is required');
  if (!Array.isArray(chainValue) || !chainValue.every((c) => c instanceof Uint8Array)) {
    fail(UNPROTECTED, 'x5chain (label 33) must be an array of byte strings');
  }
  const tsa = unprotected.get(COSE_LABEL.timestampSignature);
  if (tsa !== undefined) {
    if (!(tsa instanceof Uint8Array))
      fail(UNPROTECTED, `"${COSE_LABEL.timestampSignature}" must be a byte string`);
    if (tsa.length === 0 || tsa.length > ENVELOPE_LIMITS.maxTimestampTokenBytes) {
      fail(UNPROTECTED, `"${COSE_LABEL.timestampSignature}" length ${tsa.length} is out of range`);
    }
  }
  const agent = unprotected.get(COSE_LABEL.signingAgent);
  const signingAgent =
    typeof agent === 'string' ? agent.slice(0, ENVELOPE_LIMITS.maxHeaderStringLength) : undefined;

  const payload = parsePayload(payloadBytes);
  const certificateChain = parseChain(chainValue as Uint8Array[], WHERE);
  checkAlgorithmMatchesLeaf(algorithm, certificateChain[0]!, WHERE);

  const protectedCopy = new Uint8Array(protectedBstr);
  const payloadCopy = new Uint8Array(payloadBytes);
  return {
    mediaType: 'application/cose',
    ...attributes,
    algorithm: algorithm.name,
    contentType: PAYLOAD_CONTENT_TYPE,
    payload,
    payloadBytes: payloadCopy,
    certificateChain,
    ...(tsa instanceof Uint8Array && { timestampToken: new Uint8Array(tsa) }),
    ...(signingAgent !== undefined && { signingAgent }),
    signature: new Uint8Array(signature),
    signedBytes: sigStructure(protectedCopy, payloadCopy),
  };
}

/**
 * The COSE_Sign1 Sig_structure (RFC 9052 §4.4):
 * `["Signature1", body_protected, external_aad = h'', payload]`, CBOR-encoded.
 * The protected header is used exactly as received, never re-encoded.
 */
export function sigStructure(protectedBstr: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor([
    'Signature1',
    Buffer.from(protectedBstr),
    Buffer.alloc(0),
    Buffer.from(payload),
  ]);
}

function fail(where: string, message: string): never {
  throw new EnvelopeError(ErrorCode.ENVELOPE_INVALID, `${where}: ${message}`);
}
