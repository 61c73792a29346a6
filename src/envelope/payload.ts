/**
 * The Notary payload (`application/vnd.cncf.notary.payload.v1+json`):
 * `{"targetArtifact": <OCI descriptor>}` (signature specification "Payload").
 */
import { EnvelopeError, ErrorCode } from '../errors';
import { decodeUtf8, isJsonObject, parseStrictJson } from './json';
import { ENVELOPE_LIMITS } from './limits';
import type { Descriptor, NotaryPayload } from './types';

/** The only payload content type the Notary Project defines. */
export const PAYLOAD_CONTENT_TYPE = 'application/vnd.cncf.notary.payload.v1+json';

/** Digest algorithms a `targetArtifact` may use, with their hex length. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

// RFC 6838 type/subtype (restricted-name), optionally with parameters.
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;.*)?$/;

const WHERE = 'payload';

/**
 * Parses and checks the payload. Unknown top-level members are rejected (the
 * payload "has following properties": only `targetArtifact`; anything else in
 * signed data we do not understand is refused). Unknown descriptor members are
 * allowed, as the OCI descriptor format allows them.
 */
export function parsePayload(bytes: Uint8Array): NotaryPayload {
  if (bytes.byteLength > ENVELOPE_LIMITS.maxPayloadBytes) {
    fail(
      `${bytes.byteLength} bytes is larger than the ${ENVELOPE_LIMITS.maxPayloadBytes}-byte limit`,
    );
  }
  const doc = parseStrictJson(decodeUtf8(bytes, WHERE), WHERE);
  if (!isJsonObject(doc)) fail('must be a JSON object');
  const extra = Object.keys(doc).filter((k) => k !== 'targetArtifact');
  if (extra.length > 0) fail(`unknown member "${extra[0]}"; only "targetArtifact" is defined`);
  return { targetArtifact: parseDescriptor(doc.targetArtifact) };
}

function parseDescriptor(d: unknown): Descriptor {
  const at = 'targetArtifact';
  if (d === undefined) fail(`"${at}" is required`);
  if (!isJsonObject(d)) fail(`"${at}" must be an object`);
  const { mediaType, digest, size, annotations, artifactType, urls } = d;

  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) {
    fail(
      `"${at}.mediaType" must be a media type string such as "application/vnd.oci.image.manifest.v1+json"`,
    );
  }
  if (typeof digest !== 'string') fail(`"${at}.digest" must be a string "<algorithm>:<hex>"`);
  const colon = digest.indexOf(':');
  const alg = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const hexLength = Object.hasOwn(DIGEST_HEX_LENGTH, alg) ? DIGEST_HEX_LENGTH[alg] : undefined;
  if (colon < 0 || hexLength === undefined) {
    fail(`"${at}.digest" "${digest.slice(0, 80)}" must use sha256, sha384 or sha512`);
  }
  if (hex.length !== hexLength || !/^[0-9a-f]+$/.test(hex)) {
    fail(`"${at}.digest" must be "${alg}:" followed by ${hexLength} lowercase hex digits`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    fail(`"${at}.size" must be a non-negative integer`);
  }
  const out: { -readonly [K in keyof Descriptor]: Descriptor[K] } = { mediaType, digest, size };

  if (annotations !== undefined) {
    if (!isJsonObject(annotations)) fail(`"${at}.annotations" must be an object of strings`);
    const entries = Object.entries(annotations);
    if (entries.length > ENVELOPE_LIMITS.maxAnnotations)
      fail(`"${at}.annotations" has too many entries`);
    for (const [k, v] of entries) {
      if (typeof v !== 'string') fail(`"${at}.annotations" value of "${k}" must be a string`);
    }
    out.annotations = Object.freeze(Object.fromEntries(entries)) as Record<string, string>;
  }
  if (artifactType !== undefined) {
    if (typeof artifactType !== 'string' || !MEDIA_TYPE.test(artifactType)) {
      fail(`"${at}.artifactType" must be a media type string`);
    }
    out.artifactType = artifactType;
  }
  if (urls !== undefined) {
    if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string')) {
      fail(`"${at}.urls" must be an array of strings`);
    }
    out.urls = Object.freeze([...(urls as string[])]);
  }
  return Object.freeze(out);
}

function fail(message: string): never {
  throw new EnvelopeError(ErrorCode.ENVELOPE_INVALID, `${WHERE}: ${message}`);
}
