/**
 * OCI media types and the parsing of manifests and indexes received from a
 * registry. Registry content is untrusted: every descriptor is checked
 * (image-spec descriptor.md: mediaType string, digest syntax, non-negative
 * integer size) and counts are bounded before anything uses them.
 */
import type { Descriptor } from '../envelope/types';
import { RegistryError, UsageError } from '../errors';
import { parseDigest } from './digest';

/** Media and artifact types used by the client (OCI image-spec 1.1, Notary Project signature spec). */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** The empty descriptor's media type (`{}`), config of artifacts (image-spec 1.1 "Guidance for an empty descriptor"). */
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  /** artifactType of Notary Project signature manifests (and the legacy config media type). */
  notarySignature: 'application/vnd.cncf.notary.signature',
  jws: 'application/jose+json',
  cose: 'application/cose',
} as const;

/** What a manifest GET accepts: OCI and Docker manifests and indexes. */
export const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
].join(', ');

/** The empty JSON blob `{}` and its descriptor. */
export const EMPTY_BLOB = new Uint8Array([0x7b, 0x7d]);
export const EMPTY_DESCRIPTOR: Descriptor = {
  mediaType: MediaType.ociEmpty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
};

/** An OCI image manifest, as far as this client reads it. */
export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An OCI image index (also the referrers API answer and the referrers tag-schema document). */
export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
}

/** Bounds on what a manifest or index may contain. */
const MAX_ENTRIES = 10_000;
const MAX_ANNOTATIONS = 256;

/** Parses JSON bytes as an object, or throws a RegistryError naming `what`. */
function parseObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  // Bound before decoding: a 50 MB body cost three copies (bytes, string, parse).
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new RegistryError(
      `${what} is ${bytes.byteLength} bytes, more than the ${MAX_MANIFEST_BYTES}-byte manifest limit`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new RegistryError(`${what} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RegistryError(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Checks one descriptor (image-spec descriptor.md properties). */
export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RegistryError(`${what} is not a descriptor object`);
  }
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType.length === 0 || d.mediaType.length > 255) {
    throw new RegistryError(`${what} has no valid mediaType`);
  }
  if (typeof d.digest !== 'string') throw new RegistryError(`${what} has no digest`);
  try {
    parseDigest(d.digest);
  } catch (err) {
    if (err instanceof UsageError) throw new RegistryError(`${what}: ${err.message}`);
    throw err;
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new RegistryError(`${what} has no valid size (a non-negative integer)`);
  }
  const annotations = parseAnnotations(d.annotations, what);
  if (d.artifactType !== undefined && typeof d.artifactType !== 'string') {
    throw new RegistryError(`${what} has a non-string artifactType`);
  }
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(annotations === undefined ? {} : { annotations }),
    ...(typeof d.artifactType === 'string' ? { artifactType: d.artifactType } : {}),
  };
}

function parseAnnotations(value: unknown, what: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RegistryError(`${what} has annotations that are not a string map`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_ANNOTATIONS || entries.some(([, v]) => typeof v !== 'string')) {
    throw new RegistryError(
      `${what} has more than ${MAX_ANNOTATIONS} annotations or a non-string one`,
    );
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * Largest manifest or index parsed: the OCI distribution spec's 4 MiB
 * manifest size that registries must accept (and the client's default).
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Parses an image manifest (schemaVersion 2, config, layers, optional subject). */
export function parseImageManifest(bytes: Uint8Array, what: string): ImageManifest {
  const m = parseObject(bytes, what);
  if (m.schemaVersion !== 2) throw new RegistryError(`${what} is not schemaVersion 2`);
  if (
    m.mediaType !== undefined &&
    m.mediaType !== MediaType.ociManifest &&
    m.mediaType !== MediaType.dockerManifest
  ) {
    throw new RegistryError(`${what} has mediaType ${String(m.mediaType)}, not an image manifest`);
  }
  if (!Array.isArray(m.layers) || m.layers.length > MAX_ENTRIES) {
    throw new RegistryError(`${what} has no layers array (or more than ${MAX_ENTRIES} layers)`);
  }
  if (m.artifactType !== undefined && typeof m.artifactType !== 'string') {
    throw new RegistryError(`${what} has a non-string artifactType`);
  }
  const annotations = parseAnnotations(m.annotations, what);
  return {
    schemaVersion: 2,
    ...(typeof m.mediaType === 'string' ? { mediaType: m.mediaType } : {}),
    ...(typeof m.artifactType === 'string' ? { artifactType: m.artifactType } : {}),
    config: parseDescriptor(m.config, `${what} config`),
    layers: m.layers.map((l, i) => parseDescriptor(l, `${what} layer ${i}`)),
    ...(m.subject === undefined ? {} : { subject: parseDescriptor(m.subject, `${what} subject`) }),
    ...(annotations === undefined ? {} : { annotations }),
  };
}

/** Parses an image index (schemaVersion 2, manifests). */
export function parseImageIndex(bytes: Uint8Array, what: string): ImageIndex {
  const m = parseObject(bytes, what);
  if (m.schemaVersion !== 2) throw new RegistryError(`${what} is not schemaVersion 2`);
  if (!Array.isArray(m.manifests) || m.manifests.length > MAX_ENTRIES) {
    throw new RegistryError(`${what} has no manifests array (or more than ${MAX_ENTRIES} entries)`);
  }
  return {
    schemaVersion: 2,
    ...(typeof m.mediaType === 'string' ? { mediaType: m.mediaType } : {}),
    manifests: m.manifests.map((d, i) => parseDescriptor(d, `${what} entry ${i}`)),
  };
}

/** The `mediaType` field of a manifest body, if it has one (no other validation). */
export function embeddedMediaType(bytes: Uint8Array): string | undefined {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown };
    return typeof value?.mediaType === 'string' ? value.mediaType : undefined;
  } catch {
    return undefined;
  }
}

/** Serialises a manifest or index as compact JSON bytes. */
export function encodeJson(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));
}
