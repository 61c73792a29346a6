/**
 * How a repository is laid out on disk and on a server (DESIGN.md "Trust
 * repository conventions"): `metadata/` holds consistent-snapshot metadata
 * (`N.root.json`, `N.snapshot.json`, `N.<role>.json`, `timestamp.json`) and
 * `targets/` the target files named `<sha256>.<basename>` in their folders
 * (TUF spec §5.7.3, consistent snapshots). Also the names the builder accepts.
 */
import { replaceFileAtomically } from '../files';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { UsageError } from '../errors';

/** The four top-level roles of TUF spec §2.1. */
export const TOP_LEVEL_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
/** A top-level role name. */
export type TopLevelRole = (typeof TOP_LEVEL_ROLES)[number];

/** Bounds on names, so a later file name or URL built from them stays sane. */
const LIMITS = { roleName: 64, targetPath: 512, targetSegments: 16 } as const;

/** True for `root`, `targets`, `snapshot` and `timestamp`. */
export function isTopLevelRole(name: string): name is TopLevelRole {
  return (TOP_LEVEL_ROLES as readonly string[]).includes(name);
}

/**
 * Checks a delegated role name: it becomes a file name (`N.<name>.json`) and a
 * URL segment, so only letters, digits, `.`, `_` and `-` are allowed.
 */
export function assertDelegatedRoleName(name: string): void {
  const ok =
    name.length <= LIMITS.roleName &&
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) &&
    !isTopLevelRole(name);
  if (!ok) {
    throw new UsageError(
      `Invalid delegated role name "${name}": use 1-${LIMITS.roleName} letters, digits, ".", "_" or "-", starting with a letter or digit, and not a top-level role name.`,
      { details: { role: name } },
    );
  }
}

/**
 * Checks a target path (TUF spec §4.5 TARGETPATH): relative, `/`-separated,
 * without empty, `.` or `..` segments, so it can never escape `targets/`.
 */
export function assertTargetPath(targetPath: string): void {
  const segments = targetPath.split('/');
  const ok =
    targetPath.length > 0 &&
    targetPath.length <= LIMITS.targetPath &&
    segments.length <= LIMITS.targetSegments &&
    !/[\\\0]/.test(targetPath) &&
    segments.every((s) => s !== '' && s !== '.' && s !== '..');
  if (!ok) {
    throw new UsageError(
      `Invalid target path "${targetPath}": use a relative path of at most ${LIMITS.targetPath} characters with "/" separators and no empty, "." or ".." segments.`,
      { details: { path: targetPath } },
    );
  }
}

/** Consistent-snapshot metadata file name: `N.<role>.json` (TUF spec §5.3.3, §5.5.1, §5.6.1). */
export function metadataFileName(role: string, version: number): string {
  return `${version}.${role}.json`;
}

/** Where a target's bytes are served: `targets/<dir>/<sha256>.<basename>` (TUF spec §5.7.3). */
export function targetBlobName(targetPath: string, sha256: string): string {
  const slash = targetPath.lastIndexOf('/');
  const dir = slash < 0 ? '' : targetPath.slice(0, slash + 1);
  return `targets/${dir}${sha256}.${targetPath.slice(slash + 1)}`;
}

/** The one unversioned file; written last so a reader sees either the old or the new repository. */
const TIMESTAMP_FILE = 'metadata/timestamp.json';

/**
 * Writes a servable repository root atomically. `files` maps relative paths
 * (`metadata/…`, `targets/…`) to bytes.
 *
 * - A new directory is built beside `dir` and renamed into place.
 * - An existing one is updated the TUF way: every versioned file is added
 *   (each by write-then-rename), then `timestamp.json` is replaced by a rename,
 *   which is the moment the new version becomes visible; files no longer in
 *   `files` are removed afterwards. Readers never see half a repository.
 */
export async function writeRepositoryTree(
  dir: string,
  files: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  for (const name of files.keys()) assertTreePath(name);
  const target = path.resolve(dir);
  const existing = await lstat(target).catch(() => undefined);
  if (existing && !existing.isDirectory()) {
    throw new UsageError(`Cannot publish to ${target}: it exists and is not a directory.`);
  }
  if (!existing) {
    const staging = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      for (const [name, bytes] of files) await writeFileIn(staging, name, bytes);
      await mkdir(staging, { recursive: true });
      await rename(staging, target);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
    return;
  }
  const ordered = [...files.keys()].filter((n) => n !== TIMESTAMP_FILE).sort(versionedFirst);
  for (const name of ordered) await replaceFile(target, name, files.get(name)!);
  const timestamp = files.get(TIMESTAMP_FILE);
  if (timestamp) await replaceFile(target, TIMESTAMP_FILE, timestamp);
  for (const top of ['metadata', 'targets']) {
    await pruneExtraneous(path.join(target, top), top, files);
  }
}

/** Targets before metadata, so no metadata ever names a blob that is not there yet. */
function versionedFirst(a: string, b: string): number {
  const rank = (n: string): number => (n.startsWith('targets/') ? 0 : n.includes('.root.') ? 2 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function assertTreePath(name: string): void {
  const [top, ...rest] = name.split('/');
  if ((top !== 'metadata' && top !== 'targets') || rest.length === 0) {
    throw new UsageError(
      `Refusing to write "${name}": only metadata/ and targets/ files belong in a repository.`,
    );
  }
  assertTargetPath(rest.join('/'));
}

async function writeFileIn(root: string, name: string, bytes: Uint8Array): Promise<void> {
  const file = path.join(root, ...name.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

async function replaceFile(root: string, name: string, bytes: Uint8Array): Promise<void> {
  const file = path.join(root, ...name.split('/'));
  const current = await readFile(file).catch(() => undefined);
  if (current && Buffer.compare(current, bytes) === 0) return;
  await replaceFileAtomically(file, bytes);
}

/** Removes files (and then empty folders) under `abs` that `files` does not list. */
async function pruneExtraneous(
  abs: string,
  rel: string,
  files: ReadonlyMap<string, Uint8Array>,
): Promise<boolean> {
  const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
  let empty = true;
  for (const entry of entries) {
    const childAbs = path.join(abs, entry.name);
    const childRel = `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      if (await pruneExtraneous(childAbs, childRel, files)) await rmdir(childAbs);
      else empty = false;
    } else if (files.has(childRel)) {
      empty = false;
    } else {
      await rm(childAbs, { force: true });
    }
  }
  return empty;
}
