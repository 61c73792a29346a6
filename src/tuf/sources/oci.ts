import { SourceUnavailableError, TufNotaryError } from '../../errors';
import { RegistryClient, type RegistryClientOptions } from '../../registry/client';
import { parseImageManifest } from '../../registry/manifest';
import { formatReference, type Reference } from '../../registry/reference';
import {
  TUF_METADATA_MEDIA_TYPE,
  metadataTag,
  repositoryReference,
  targetBlobDigest,
} from '../../registry/tufLayout';
import {
  TufSourceNotFoundError,
  TufSourceTooLargeError,
  safeSegments,
  type TufSource,
} from './source';

/** Options of {@link OciSource}: registry client options, or a client to share. */
export interface OciSourceOptions extends RegistryClientOptions {
  /** Use this client (its credentials, token cache and request log) instead of a new one. */
  readonly client?: RegistryClient;
}

/** A metadata manifest is a few hundred bytes; anything larger is not one of ours. */
const MAX_METADATA_MANIFEST = 64 * 1024;

/**
 * A TUF repository kept in an OCI repository (layout: src/registry/tufLayout.ts
 * and docs/registry.md): metadata file `<name>` is the single layer of the
 * manifest tagged `<name>`; target `dir/<sha256>.<name>` is the blob
 * `sha256:<sha256>`. The registry is untrusted storage: the TrustClient
 * verifies everything, and this source bounds every read by TUF's length
 * limit and checks every digest.
 */
export class OciSource implements TufSource {
  readonly reference: Reference;
  readonly client: RegistryClient;

  /** `location` is `oci://registry/repository` (or `registry/repository`). */
  constructor(location: string, options: OciSourceOptions = {}) {
    try {
      this.reference = repositoryReference(location);
    } catch (err) {
      throw new SourceUnavailableError(`source ${location}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.client = options.client ?? new RegistryClient(options);
  }

  /** `oci://registry/repository`. */
  describe(): string {
    return `oci://${formatReference(this.reference)}`;
  }

  /** The blob of the manifest tagged `name`. */
  async fetchMetadata(name: string, maxLength: number): Promise<Uint8Array> {
    safeSegments(name);
    const location = `${this.describe()}:${name}`;
    const tag = metadataTag(name);
    if (tag === undefined) throw new TufSourceNotFoundError(location);
    return this.guard(location, maxLength, async () => {
      const { bytes } = await this.client.fetchManifest(
        { ...this.reference, tag },
        { accept: 'application/vnd.oci.image.manifest.v1+json', maxBytes: MAX_METADATA_MANIFEST },
      );
      const manifest = parseImageManifest(bytes, `TUF manifest ${location}`);
      const layer = manifest.layers[0];
      if (manifest.layers.length !== 1 || layer?.mediaType !== TUF_METADATA_MEDIA_TYPE) {
        throw new SourceUnavailableError(
          `${location} is not a TUF metadata manifest (one ${TUF_METADATA_MEDIA_TYPE} layer expected)`,
        );
      }
      // TUF spec 5.2/5.3.3: refuse oversized metadata before downloading it.
      if (layer.size > maxLength) throw new TufSourceTooLargeError(location, maxLength);
      return this.client.fetchBlob(this.reference, layer, maxLength);
    });
  }

  /** The blob whose digest is the target file's hash prefix. */
  async fetchTarget(targetPath: string, maxLength: number): Promise<Uint8Array> {
    safeSegments(targetPath);
    const location = `${this.describe()} target ${targetPath}`;
    const digest = targetBlobDigest(targetPath);
    if (digest === undefined) {
      // Only consistent-snapshot (hash-prefixed) target names exist in this layout.
      throw new TufSourceNotFoundError(location);
    }
    return this.guard(location, maxLength, () =>
      this.client.fetchBlob(this.reference, { digest }, maxLength),
    );
  }

  /** Maps registry failures onto the TufSource contract (not found, too large, unavailable). */
  private async guard(
    location: string,
    maxLength: number,
    read: () => Promise<Uint8Array>,
  ): Promise<Uint8Array> {
    try {
      return await read();
    } catch (err) {
      if (err instanceof TufSourceNotFoundError || err instanceof TufSourceTooLargeError) throw err;
      if (err instanceof SourceUnavailableError) throw err;
      if (err instanceof TufNotaryError && err.details.status === 404) {
        throw new TufSourceNotFoundError(location, { cause: err, status: 404 });
      }
      if (err instanceof TufNotaryError && err.details.tooLarge === true) {
        throw new TufSourceTooLargeError(location, maxLength);
      }
      const message = err instanceof Error ? err.message : String(err);
      throw new SourceUnavailableError(`${location}: ${message}`, { cause: err });
    }
  }
}
