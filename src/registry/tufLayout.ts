/**
 * The layout of a TUF repository inside an OCI repository (docs/registry.md
 * "A TUF repository in a registry"), and the admin-side publisher.
 *
 * - Each metadata file `metadata/<name>` (`1.root.json`, `3.snapshot.json`,
 *   `timestamp.json`, …) is one blob (media type
 *   `application/vnd.cncf.notary.tuf+json`, as the Notary Project's TUF
 *   prototype used) referenced by a small OCI image manifest (artifactType the
 *   same, empty config, one layer titled with the file name), tagged with the
 *   file name itself: file names are `[A-Za-z0-9_.-]`, a valid tag.
 *   Versioned files are written once; only the `timestamp.json` tag moves.
 * - Each target `targets/<dir>/<sha256>.<name>` is a blob whose digest IS
 *   its TUF sha256 (consistent snapshots name targets by hash), so a reader
 *   fetches `/blobs/sha256:<hex>` directly: content addressing answers the
 *   prototype's open question of how to find targets without a tag per file.
 *   One manifest tagged `tuf-targets` lists every target blob as a layer
 *   (titled with its path) so that registry garbage collection keeps them.
 * - Registry content is untrusted: TUF signatures, versions and hashes are
 *   what make it safe; the reader still checks every digest and bounds every
 *   read by TUF's length limits.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Descriptor } from '../envelope/types';
import { UsageError } from '../errors';
import { RegistryClient, type RegistryClientOptions } from './client';
import { EMPTY_BLOB, EMPTY_DESCRIPTOR, MediaType, encodeJson } from './manifest';
import { formatReference, isValidTag, parseReference, type Reference } from './reference';

/** Media type of a TUF metadata blob, and artifactType of its manifest. */
export const TUF_METADATA_MEDIA_TYPE = 'application/vnd.cncf.notary.tuf+json';
/** artifactType of the manifest that keeps target blobs referenced. */
export const TUF_TARGETS_ARTIFACT_TYPE = 'application/vnd.tuf-notary.targets.v1';
/** Media type of a target blob. */
export const TUF_TARGET_MEDIA_TYPE = 'application/octet-stream';
/** Tag of the targets manifest (moved on each publish). */
export const TUF_TARGETS_TAG = 'tuf-targets';
/** Annotation naming the file a layer holds. */
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';

/** The tag of metadata file `name`, or undefined when `name` cannot be a tag (so it cannot exist). */
export function metadataTag(name: string): string | undefined {
  return isValidTag(name) && name !== TUF_TARGETS_TAG ? name : undefined;
}

/**
 * The blob digest of a hash-prefixed target path (`dir/<64 hex>.<name>`, TUF
 * spec §5.7.3 consistent snapshots), or undefined for other paths.
 */
export function targetBlobDigest(targetPath: string): string | undefined {
  const base = targetPath.slice(targetPath.lastIndexOf('/') + 1);
  const m = /^([0-9a-f]{64})\./.exec(base);
  return m ? `sha256:${m[1]}` : undefined;
}

/** The manifest that references metadata blob `layer` for file `name` (deterministic bytes). */
export function metadataManifest(name: string, layer: Descriptor): Uint8Array {
  return encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: TUF_METADATA_MEDIA_TYPE,
    config: EMPTY_DESCRIPTOR,
    layers: [
      {
        mediaType: TUF_METADATA_MEDIA_TYPE,
        digest: layer.digest,
        size: layer.size,
        annotations: { [TITLE_ANNOTATION]: name },
      },
    ],
  });
}

/** What {@link publishRepositoryToOci} did. */
export interface OciPublishResult {
  /** `registry/repository` published to. */
  readonly repository: string;
  /** Metadata files published, in the order their tags were written (timestamp.json last). */
  readonly metadata: readonly string[];
  /** Number of target blobs referenced by the `tuf-targets` manifest. */
  readonly targets: number;
}

/** Bounds on what is published: files per folder walk and file size. */
const LIMITS = { files: 10_000, fileBytes: 64 * 1024 * 1024 } as const;

/**
 * Publishes a repository root written by `TrustRepository.writeTo(dir)`
 * (`metadata/`, `targets/`) to the OCI repository `ociRef`
 * (`oci://registry/repo` or `registry/repo`), in the order that keeps
 * readers consistent: target blobs and their manifest, versioned metadata,
 * new root versions, and `timestamp.json` last (its tag moving is the moment
 * the new version becomes visible).
 */
export async function publishRepositoryToOci(
  dir: string,
  ociRef: string,
  clientOptions: RegistryClientOptions | RegistryClient = {},
): Promise<OciPublishResult> {
  const ref = repositoryReference(ociRef);
  const client =
    clientOptions instanceof RegistryClient ? clientOptions : new RegistryClient(clientOptions);
  const metadataFiles = await listFiles(path.join(dir, 'metadata'));
  const targetFiles = await listFiles(path.join(dir, 'targets'));
  if (!metadataFiles.includes('timestamp.json')) {
    throw new UsageError(`${dir} is not a repository root: metadata/timestamp.json is missing`);
  }
  for (const name of metadataFiles) {
    if (metadataTag(name) === undefined) {
      throw new UsageError(
        `metadata file "${name}" cannot be an OCI tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`,
      );
    }
  }
  await client.pushBlob(ref, EMPTY_BLOB, MediaType.ociEmpty);
  const layers: Descriptor[] = [];
  for (const rel of targetFiles) {
    const expected = targetBlobDigest(rel);
    if (expected === undefined) {
      throw new UsageError(
        `target file "${rel}" is not named <sha256>.<name>: the OCI layout needs consistent-snapshot target names`,
      );
    }
    const desc = await client.pushBlob(
      ref,
      await readFile(path.join(dir, 'targets', rel)),
      TUF_TARGET_MEDIA_TYPE,
    );
    if (desc.digest !== expected) {
      throw new UsageError(
        `target file "${rel}" does not hash to the sha256 in its name (${desc.digest})`,
      );
    }
    layers.push({ ...desc, annotations: { [TITLE_ANNOTATION]: rel } });
  }
  const targetsManifest = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: TUF_TARGETS_ARTIFACT_TYPE,
    config: EMPTY_DESCRIPTOR,
    layers,
  });
  await client.pushManifest(
    { ...ref, tag: TUF_TARGETS_TAG },
    targetsManifest,
    MediaType.ociManifest,
  );
  const rank = (n: string): number =>
    n === 'timestamp.json' ? 2 : n.endsWith('.root.json') ? 1 : 0;
  const ordered = [...metadataFiles].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const name of ordered) {
    const bytes = await readFile(path.join(dir, 'metadata', name));
    const layer = await client.pushBlob(ref, bytes, TUF_METADATA_MEDIA_TYPE);
    await client.pushManifest(
      { ...ref, tag: name },
      metadataManifest(name, layer),
      MediaType.ociManifest,
    );
  }
  return { repository: formatReference(ref), metadata: ordered, targets: layers.length };
}

/** Parses `oci://registry/repo` (no tag or digest: the repository holds many tags). */
export function repositoryReference(ociRef: string): Reference {
  const ref = parseReference(ociRef);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new UsageError(
      `${ociRef}: name an OCI repository (oci://registry/repo) without a tag or digest`,
    );
  }
  return ref;
}

/** Regular files below `root` (relative, `/`-separated); symbolic links are refused. */
async function listFiles(root: string, rel = '', out: string[] = []): Promise<string[]> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true }).catch(
    (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return [];
      throw err;
    },
  );
  for (const entry of entries) {
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isSymbolicLink())
      throw new UsageError(`refusing to publish symbolic link ${path.join(root, childRel)}`);
    if (entry.isDirectory()) await listFiles(root, childRel, out);
    else if (entry.isFile()) {
      const info = await lstat(path.join(root, childRel));
      if (info.size > LIMITS.fileBytes)
        throw new UsageError(`${childRel} is larger than ${LIMITS.fileBytes} bytes`);
      out.push(childRel);
    }
    if (out.length > LIMITS.files)
      throw new UsageError(`${root} holds more than ${LIMITS.files} files`);
  }
  return out;
}
