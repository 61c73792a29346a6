/**
 * An OCI distribution client for signature discovery (OCI distribution spec
 * 1.1, Notary Project signature specification "Storage"): resolve a
 * reference to a descriptor, list Notary signatures through the referrers API
 * or the referrers tag schema, fetch signature manifests and envelopes with
 * every digest and size checked, and publish blobs, manifests and signatures.
 *
 * The registry is untrusted storage: every byte read is bounded before it is
 * read and checked against the digest that names it.
 */
import type { Descriptor, EnvelopeMediaType } from '../envelope/types';
import { RegistryError } from '../errors';
import { loadDockerConfig, type CredentialMap } from './auth';
import { assertDigest, digestOf, parseDigest } from './digest';
import {
  EMPTY_BLOB,
  EMPTY_DESCRIPTOR,
  MANIFEST_ACCEPT,
  MediaType,
  embeddedMediaType,
  encodeJson,
  parseImageIndex,
  parseImageManifest,
  type ImageIndex,
  type ImageManifest,
} from './manifest';
import { formatReference, parseReference, type Reference } from './reference';
import {
  RegistryTransport,
  errorCodeOf,
  readBounded,
  type RegistryResponse,
  type RequestRecord,
  type RequestSpec,
  type TransportOptions,
} from './transport';

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions extends TransportOptions {
  /**
   * Read credentials from a Docker `config.json` (`auths` only): `true` for
   * `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, or a path.
   * Entries in `credentials` win over the file. Default: not read.
   */
  readonly dockerConfig?: boolean | string;
  /** Largest manifest or index read (default 4 MiB, as notation). */
  readonly maxManifestBytes?: number;
  /** Largest signature envelope blob read (default 4 MiB). */
  readonly maxEnvelopeBytes?: number;
  /** Default cap on the signatures {@link RegistryClient.listSignatures} returns (default 100). */
  readonly maxSignatures?: number;
  /** Most referrers pages followed (default 100). */
  readonly maxReferrersPages?: number;
}

/** What {@link RegistryClient.resolve} returns. */
export interface ResolvedArtifact {
  /** The reference with `digest` set to the resolved digest. */
  readonly reference: Reference;
  /** The artifact's manifest descriptor (mediaType, digest, size), checked against the bytes read. */
  readonly descriptor: Descriptor;
  /** True when a tag (not a digest) was resolved: tags are mutable, callers should warn. */
  readonly byTag: boolean;
}

/** What {@link RegistryClient.fetchSignature} returns. */
export interface FetchedSignature {
  /** The signature manifest descriptor that was fetched. */
  readonly descriptor: Descriptor;
  /** The envelope bytes (digest and size checked). */
  readonly envelope: Uint8Array;
  /** The envelope media type, from the manifest's layer. */
  readonly mediaType: EnvelopeMediaType;
  /** The parsed signature manifest. */
  readonly manifest: ImageManifest;
}

/** A reference, parsed or not, or an artifact already resolved. */
export type ArtifactInput = string | Reference | ResolvedArtifact;

const MiB = 1024 * 1024;
const ENVELOPE_TYPES: ReadonlySet<string> = new Set([MediaType.jws, MediaType.cose]);
/** Manifest media types a signature manifest may have (notation FetchSignatureBlob). */
const SIGNATURE_MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.ociManifest]);

/** Manifest media types that describe an artifact (what resolve() accepts). */
const ARTIFACT_MANIFEST_TYPES: ReadonlySet<string> = new Set([
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
]);

/**
 * The registry client. One instance caches tokens and whether each registry
 * has the referrers API; `requests` logs every HTTP request it made.
 */
export class RegistryClient {
  private readonly transport: RegistryTransport;
  private readonly limits: {
    manifest: number;
    envelope: number;
    signatures: number;
    pages: number;
  };
  private readonly referrersApi = new Map<string, boolean>();

  constructor(options: RegistryClientOptions = {}) {
    const fromFile: CredentialMap =
      options.dockerConfig === undefined || options.dockerConfig === false
        ? {}
        : loadDockerConfig(options.dockerConfig === true ? undefined : options.dockerConfig);
    this.transport = new RegistryTransport({
      ...options,
      credentials: { ...fromFile, ...options.credentials },
    });
    this.limits = {
      manifest: options.maxManifestBytes ?? 4 * MiB,
      envelope: options.maxEnvelopeBytes ?? 4 * MiB,
      signatures: options.maxSignatures ?? 100,
      pages: options.maxReferrersPages ?? 100,
    };
  }

  /** Every HTTP request made so far (token requests included), in order. */
  get requests(): readonly RequestRecord[] {
    return this.transport.log;
  }

  /** How many HTTP requests were made so far. */
  get requestCount(): number {
    return this.transport.log.length;
  }

  /** Forgets the request log (e.g. between benchmark runs). */
  resetRequestLog(): void {
    this.transport.log.length = 0;
  }

  // ------------------------------------------------------------------ pull

  /**
   * Resolves a reference to its manifest descriptor with one GET: the body is
   * hashed, so the digest is what was read, not what a header claims. A
   * digest reference must match it (notation "user input digest … does not
   * match the resolved digest").
   */
  async resolve(input: string | Reference): Promise<ResolvedArtifact> {
    const ref = typeof input === 'string' ? parseReference(input) : input;
    const { descriptor } = await this.fetchManifest(ref);
    if (!ARTIFACT_MANIFEST_TYPES.has(descriptor.mediaType)) {
      throw new RegistryError(
        `${formatReference(ref)} has media type ${descriptor.mediaType}, which is not an OCI or Docker manifest`,
        { details: { reference: formatReference(ref), mediaType: descriptor.mediaType } },
      );
    }
    return {
      reference: { ...ref, digest: descriptor.digest },
      descriptor,
      byTag: ref.digest === undefined,
    };
  }

  /**
   * GETs a manifest by tag or digest (the digest wins), bounded, and returns
   * its bytes and descriptor. The bytes must hash to the digest asked for; by
   * tag, to the `Docker-Content-Digest` header when the registry sends one.
   */
  async fetchManifest(
    input: string | Reference,
    opts: { accept?: string; maxBytes?: number } = {},
  ): Promise<{ bytes: Uint8Array; descriptor: Descriptor }> {
    const ref = typeof input === 'string' ? parseReference(input) : input;
    const selector = ref.digest ?? ref.tag ?? 'latest';
    const where = `manifest ${ref.registry}/${ref.repository}:${selector}`;
    const response = await this.send({
      method: 'GET',
      registry: ref.registry,
      repository: ref.repository,
      target: `/v2/${ref.repository}/manifests/${selector}`,
      headers: { accept: opts.accept ?? MANIFEST_ACCEPT },
    });
    await this.expectStatus(response, [200], where);
    const bytes = await readBounded(response, opts.maxBytes ?? this.limits.manifest, where);
    let digest: string;
    if (ref.digest !== undefined) {
      assertDigest(bytes, ref.digest, where);
      digest = ref.digest;
    } else {
      digest = digestOf(bytes);
      const claimed = response.headers.get('docker-content-digest');
      if (claimed !== null && claimed.startsWith('sha256:') && claimed !== digest) {
        assertDigest(bytes, claimed, where);
      }
    }
    const header = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const embedded = embeddedMediaType(bytes);
    // The body's own mediaType and the header must agree; either may be missing.
    if (embedded !== undefined && header !== '' && embedded !== header) {
      throw new RegistryError(
        `${where}: Content-Type ${header} disagrees with the manifest's mediaType ${embedded}`,
        { details: { where } },
      );
    }
    const mediaType = embedded ?? header;
    if (mediaType === '') {
      throw new RegistryError(`${where} has no media type (no Content-Type, no mediaType field)`);
    }
    return { bytes, descriptor: { mediaType, digest, size: bytes.length } };
  }

  /**
   * Fetches a blob named by `descriptor`: refuses before any request when the
   * descriptor's size exceeds `maxBytes`, reads at most that size (at most
   * `maxBytes` when the size is unknown), then checks size and digest.
   */
  async fetchBlob(
    repo: string | Reference,
    descriptor: { readonly digest: string; readonly size?: number },
    maxBytes: number,
  ): Promise<Uint8Array> {
    const ref = typeof repo === 'string' ? parseReference(repo) : repo;
    const where = `blob ${descriptor.digest} in ${ref.registry}/${ref.repository}`;
    const declared = descriptor.size;
    parseDigest(descriptor.digest);
    if (declared !== undefined && declared > maxBytes) {
      throw new RegistryError(
        `${where} is ${declared} bytes, more than the allowed ${maxBytes}; not fetched`,
        {
          details: { digest: descriptor.digest, size: declared, limit: maxBytes, tooLarge: true },
        },
      );
    }
    const response = await this.send({
      method: 'GET',
      registry: ref.registry,
      repository: ref.repository,
      target: `/v2/${ref.repository}/blobs/${descriptor.digest}`,
    });
    await this.expectStatus(response, [200], where);
    const bytes = await readBounded(response, declared ?? maxBytes, where).catch((err: unknown) => {
      if (declared !== undefined && err instanceof RegistryError && err.details.tooLarge === true) {
        throw new RegistryError(
          `registry served more than the ${declared} bytes the descriptor declares for ${where}: tampering or corruption`,
          { details: { digest: descriptor.digest, size: declared } },
        );
      }
      throw err;
    });
    if (declared !== undefined && bytes.length !== declared) {
      throw new RegistryError(
        `registry served ${bytes.length} bytes for ${where}, the descriptor declares ${declared}: tampering or corruption`,
        { details: { digest: descriptor.digest, size: declared } },
      );
    }
    assertDigest(bytes, descriptor.digest, where);
    return bytes;
  }

  /**
   * Lists the Notary Project signatures of an artifact (descriptors of
   * signature manifests, in registry order, at most `maxSignatures`).
   * Uses the referrers API (`GET /v2/<name>/referrers/<digest>?artifactType=…`,
   * following `Link` pages) and, when the registry answers 404 (no API),
   * the referrers tag schema (`sha256-<hex>` tag → image index). Entries are
   * filtered by artifactType here too: registries may ignore the filter.
   */
  async listSignatures(
    artifact: ArtifactInput,
    opts: { maxSignatures?: number } = {},
  ): Promise<Descriptor[]> {
    const { reference, descriptor } = await this.subjectOf(artifact);
    const max = opts.maxSignatures ?? this.limits.signatures;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RegistryError(`maxSignatures must be a positive integer, not ${String(max)}`);
    }
    const found: Descriptor[] = [];
    const add = (index: ImageIndex): boolean => {
      for (const d of index.manifests) {
        if (d.artifactType !== MediaType.notarySignature) continue;
        if (found.some((f) => f.digest === d.digest)) continue;
        found.push(d);
        if (found.length >= max) return false;
      }
      return true;
    };
    if (this.referrersApi.get(reference.registry) !== false) {
      const handled = await this.listViaApi(reference, descriptor.digest, add);
      if (handled) return found;
      this.referrersApi.set(reference.registry, false);
    }
    const index = await this.referrersTagIndex(reference, descriptor.digest);
    if (index) add(index);
    return found;
  }

  /** Referrers API pages; false when the registry has no API (404). */
  private async listViaApi(
    ref: Reference,
    digest: string,
    add: (index: ImageIndex) => boolean,
  ): Promise<boolean> {
    let target: string | undefined =
      `/v2/${ref.repository}/referrers/${digest}?artifactType=${encodeURIComponent(MediaType.notarySignature)}`;
    for (let page = 0; target !== undefined; page++) {
      if (page >= this.limits.pages) {
        throw new RegistryError(
          `referrers of ${digest} in ${ref.registry}/${ref.repository} span more than ${this.limits.pages} pages; refusing to follow more`,
        );
      }
      const where = `referrers of ${digest} in ${ref.registry}/${ref.repository} (page ${page + 1})`;
      const response = await this.send({
        method: 'GET',
        registry: ref.registry,
        repository: ref.repository,
        target,
        headers: { accept: MediaType.ociIndex },
      });
      // Distribution spec 1.1 "Listing Referrers": a registry with the API
      // never answers 404, so 404 means "no API": use the tag schema.
      if (page === 0 && response.status === 404) {
        response.body.destroy?.();
        return false;
      }
      await this.expectStatus(response, [200], where);
      this.referrersApi.set(ref.registry, true);
      const index = parseImageIndex(
        await readBounded(response, this.limits.manifest, where),
        where,
      );
      if (!add(index)) return true;
      target = nextLink(response.headers.get('link'));
    }
    return true;
  }

  /** The referrers tag-schema index (`sha256-<hex>`), or undefined when the tag does not exist. */
  private async referrersTagIndex(ref: Reference, digest: string): Promise<ImageIndex | undefined> {
    const tag = referrersTag(digest);
    const where = `referrers index ${ref.registry}/${ref.repository}:${tag}`;
    const response = await this.send({
      method: 'GET',
      registry: ref.registry,
      repository: ref.repository,
      target: `/v2/${ref.repository}/manifests/${tag}`,
      headers: { accept: MediaType.ociIndex },
    });
    if (response.status === 404) {
      response.body.destroy?.();
      return undefined;
    }
    await this.expectStatus(response, [200], where);
    return parseImageIndex(await readBounded(response, this.limits.manifest, where), where);
  }

  /**
   * Fetches one signature: its manifest (digest and size checked; an OCI
   * image manifest with artifactType `application/vnd.cncf.notary.signature`
   * and the empty config, or the legacy form with that config media type;
   * `subject` = the artifact), then its single envelope layer
   * (`application/jose+json` or `application/cose`), size-limited before
   * reading and digest-checked (Notary signature spec "Storage"; notation
   * FetchSignatureBlob).
   */
  async fetchSignature(artifact: ArtifactInput, signature: Descriptor): Promise<FetchedSignature> {
    const { reference, descriptor: subject } = await this.subjectOf(artifact);
    const where = `signature manifest ${signature.digest} of ${formatReference(reference)}`;
    if (!SIGNATURE_MANIFEST_TYPES.has(signature.mediaType)) {
      throw new RegistryError(
        `${where} has media type ${signature.mediaType}, not an OCI image manifest`,
      );
    }
    if (signature.size > this.limits.manifest) {
      throw new RegistryError(
        `${where} is ${signature.size} bytes, more than the allowed ${this.limits.manifest}`,
        {
          details: { tooLarge: true },
        },
      );
    }
    const { bytes } = await this.fetchManifest(
      { registry: reference.registry, repository: reference.repository, digest: signature.digest },
      { accept: MediaType.ociManifest, maxBytes: signature.size },
    );
    if (bytes.length !== signature.size) {
      throw new RegistryError(
        `${where}: the registry listed it as ${signature.size} bytes but it is ${bytes.length}: tampering or corruption`,
      );
    }
    const manifest = parseImageManifest(bytes, where);
    const isNotary =
      (manifest.artifactType === MediaType.notarySignature &&
        manifest.config.mediaType === MediaType.ociEmpty) ||
      (manifest.artifactType === undefined &&
        manifest.config.mediaType === MediaType.notarySignature);
    if (!isNotary) {
      throw new RegistryError(
        `${where} is not a Notary Project signature (artifactType ${String(manifest.artifactType)}, config ${manifest.config.mediaType})`,
      );
    }
    if (manifest.subject?.digest !== subject.digest) {
      throw new RegistryError(
        `${where} has subject ${String(manifest.subject?.digest)}, not the artifact ${subject.digest}: the registry listed a signature of something else`,
      );
    }
    if (manifest.layers.length !== 1) {
      throw new RegistryError(
        `${where} must have exactly one layer (the envelope), it has ${manifest.layers.length}`,
      );
    }
    const layer = manifest.layers[0]!;
    if (!ENVELOPE_TYPES.has(layer.mediaType)) {
      throw new RegistryError(
        `${where}: envelope media type ${layer.mediaType} is not ${MediaType.jws} or ${MediaType.cose}`,
      );
    }
    const envelope = await this.fetchBlob(reference, layer, this.limits.envelope);
    return {
      descriptor: signature,
      envelope,
      mediaType: layer.mediaType as EnvelopeMediaType,
      manifest,
    };
  }

  /** The artifact's reference and descriptor; resolves when only a tag or a bare digest is known. */
  private async subjectOf(
    artifact: ArtifactInput,
  ): Promise<{ reference: Reference; descriptor: Descriptor }> {
    if (typeof artifact === 'object' && 'descriptor' in artifact) {
      return { reference: artifact.reference, descriptor: artifact.descriptor };
    }
    return this.resolve(artifact);
  }

  // ------------------------------------------------------------------ push

  /** Uploads a blob (monolithic POST + PUT) unless the registry already has it. */
  async pushBlob(
    repo: string | Reference,
    bytes: Uint8Array,
    mediaType = 'application/octet-stream',
  ): Promise<Descriptor> {
    const ref = typeof repo === 'string' ? parseReference(repo) : repo;
    const digest = digestOf(bytes);
    const descriptor: Descriptor = { mediaType, digest, size: bytes.length };
    const base = { registry: ref.registry, repository: ref.repository, push: true } as const;
    const where = `blob ${digest} in ${ref.registry}/${ref.repository}`;
    const head = await this.send({
      ...base,
      method: 'HEAD',
      target: `/v2/${ref.repository}/blobs/${digest}`,
    });
    head.body.destroy?.();
    if (head.status === 200) return descriptor;
    const start = await this.send({
      ...base,
      method: 'POST',
      target: `/v2/${ref.repository}/blobs/uploads/`,
    });
    await this.expectStatus(start, [202], `upload of ${where}`);
    start.body.destroy?.();
    const location = start.headers.get('location');
    if (!location)
      throw new RegistryError(`registry ${ref.registry} started an upload without a Location`);
    const target = `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
    const put = await this.send({
      ...base,
      method: 'PUT',
      target,
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    await this.expectStatus(put, [201], `upload of ${where}`);
    put.body.destroy?.();
    return descriptor;
  }

  /**
   * Uploads a manifest under the reference's tag (or its digest when it has
   * no tag) and returns its descriptor. A digest in the reference must be
   * the digest of `bytes`.
   */
  async pushManifest(
    input: string | Reference,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<Descriptor> {
    return (await this.putManifest(input, bytes, mediaType)).descriptor;
  }

  private async putManifest(
    input: string | Reference,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<{ descriptor: Descriptor; subjectHeader: string | null }> {
    const ref = typeof input === 'string' ? parseReference(input) : input;
    const digest = digestOf(bytes);
    if (ref.digest !== undefined && ref.digest !== digest) {
      throw new RegistryError(`cannot push manifest ${digest} under digest ${ref.digest}`);
    }
    const selector = ref.tag ?? digest;
    const where = `manifest ${ref.registry}/${ref.repository}:${selector}`;
    const response = await this.send({
      method: 'PUT',
      registry: ref.registry,
      repository: ref.repository,
      push: true,
      target: `/v2/${ref.repository}/manifests/${selector}`,
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    await this.expectStatus(response, [201], `push of ${where}`);
    response.body.destroy?.();
    const claimed = response.headers.get('docker-content-digest');
    if (claimed !== null && claimed !== digest) {
      throw new RegistryError(
        `registry stored ${where} as ${claimed}, but its digest is ${digest}`,
      );
    }
    return {
      descriptor: { mediaType, digest, size: bytes.length },
      subjectHeader: response.headers.get('oci-subject'),
    };
  }

  /**
   * Publishes a Notary Project signature of `subject`: the envelope blob, the
   * empty config, and an OCI image manifest with artifactType
   * `application/vnd.cncf.notary.signature`, `subject` and one layer. When
   * the registry does not confirm the referrers API (no `OCI-Subject` header,
   * distribution spec 1.1 "Pushing Manifests with Subject"), the referrers
   * tag-schema index `sha256-<hex>` is updated too, as notation does.
   */
  async pushSignature(
    subject: ResolvedArtifact | { reference: Reference; descriptor: Descriptor },
    envelope: Uint8Array,
    mediaType: EnvelopeMediaType,
    opts: { annotations?: Readonly<Record<string, string>> } = {},
  ): Promise<Descriptor> {
    const ref = subject.reference;
    const target = subject.descriptor;
    await this.pushBlob(ref, EMPTY_BLOB, MediaType.ociEmpty);
    const layer = await this.pushBlob(ref, envelope, mediaType);
    const annotations = {
      'org.opencontainers.image.created': new Date().toISOString(),
      ...opts.annotations,
    };
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: MediaType.notarySignature,
      config: EMPTY_DESCRIPTOR,
      layers: [layer],
      subject: { mediaType: target.mediaType, digest: target.digest, size: target.size },
      annotations,
    };
    const bytes = encodeJson(manifest);
    const repoRef: Reference = { registry: ref.registry, repository: ref.repository };
    const { descriptor, subjectHeader } = await this.putManifest(
      repoRef,
      bytes,
      MediaType.ociManifest,
    );
    const entry: Descriptor = {
      ...descriptor,
      artifactType: MediaType.notarySignature,
      annotations,
    };
    if (subjectHeader === null) await this.addToReferrersTag(repoRef, target.digest, entry);
    return entry;
  }

  /** Adds `entry` to the referrers tag-schema index of `digest` (creating it when absent). */
  private async addToReferrersTag(
    ref: Reference,
    digest: string,
    entry: Descriptor,
  ): Promise<void> {
    const existing = await this.referrersTagIndex(ref, digest);
    const manifests = existing?.manifests ?? [];
    if (manifests.some((m) => m.digest === entry.digest)) return;
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [...manifests, entry],
    };
    await this.putManifest(
      { ...ref, tag: referrersTag(digest) },
      encodeJson(index),
      MediaType.ociIndex,
    );
  }

  // --------------------------------------------------------------- helpers

  private send(spec: RequestSpec): Promise<RegistryResponse> {
    return this.transport.send(spec);
  }

  /** Turns an unexpected status into a RegistryError that says what it means. */
  private async expectStatus(
    response: RegistryResponse,
    ok: readonly number[],
    where: string,
  ): Promise<void> {
    if (ok.includes(response.status)) return;
    const code = await errorCodeOf(response);
    const status = response.status;
    const suffix = code === undefined ? '' : ` (${code})`;
    const message =
      status === 404
        ? `${where} not found${suffix}: check the repository, tag or digest`
        : status === 403
          ? `access to ${where} denied${suffix}: the credentials lack permission`
          : `${where}: registry answered HTTP ${status}${suffix}`;
    throw new RegistryError(message, {
      details: { status, ...(code === undefined ? {} : { registryCode: code }) },
    });
  }
}

/** The referrers tag schema's tag for `digest`: `<alg>-<hex>` (distribution spec 1.1 "Referrers Tag Schema"). */
export function referrersTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}`.slice(0, 128);
}

/** The `rel="next"` target of a `Link` header (RFC 8288), if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(^|;)\s*rel\s*=\s*"?next"?\s*(;|$)/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}
