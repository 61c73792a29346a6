/**
 * A Notation configuration directory as trust: import (`loadNotationConfig`)
 * and export (`exportNotationConfig`). The one module of the trust stage that
 * touches the file system.
 *
 * Layout (DIGEST §1.1, §2.1):
 *
 * ```
 * DIR/trustpolicy.oci.json            (falls back to the legacy trustpolicy.json)
 * DIR/trustpolicy.blob.json
 * DIR/truststore/x509/{ca,signingAuthority,tsa}/<name>/<files: PEM or DER>
 * ```
 *
 * Choices where the spec and notation-go differ (DIGEST §1.2, §10.3; the
 * tuf-notary rule: follow the spec where it is stricter, else Go):
 * - a symlinked store directory or store file, or any other non-regular file
 *   (FIFO, socket, device), is an error (spec MUST; Go agrees);
 * - a sub-directory inside a named store is ignored with a warning (spec:
 *   "ignored", "SHOULD warn"; Go errors). Ignoring it can only remove trust,
 *   never add any, so it is safe;
 * - every file of a store is read whatever its extension (Go; the spec lists
 *   .pem/.crt/.cer but that only narrows what is read, a stray file errors);
 * - every store present is validated, not only those a policy names: a broken
 *   certificate anywhere fails the load (fail closed, and the error points at
 *   the file). A store a policy names but that does not exist, or is empty, is
 *   reported in `warnings`; the verifier then fails authenticity for it, with
 *   the action of the policy's level, exactly as notation-go does.
 * - entries under `truststore/x509/` that are not a store type, files next to
 *   the named-store directories, and directories whose name is not a valid
 *   store name (no policy can name them) are ignored with a warning.
 */
import { constants as fsc, type Dir, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CacheError,
  ErrorCode,
  isTufNotaryError,
  PolicyError,
  TrustError,
  UsageError,
} from '../errors';
import {
  parseBlobTrustPolicy,
  parseOciTrustPolicy,
  parseStoreReference,
  POLICY_LIMITS,
} from '../policy';
import type { BlobTrustPolicy, OciTrustPolicy } from '../policy/types';
import { MAX_BUNDLE_BYTES } from '../x509/certificate';
import { parseStoreCertificates } from './storeFile';
import {
  createTrustStores,
  isStoreType,
  STORE_NAME_PATTERN,
  storeKey,
  type TrustStoreEntry,
} from './stores';
import {
  STORE_TYPES,
  type StoreType,
  type TrustedCertificate,
  type TrustStores,
  type VerifierTrust,
} from './types';

/** Trust read from a Notation configuration directory, usable as Verifier trust. */
export interface NotationConfig extends VerifierTrust {
  readonly policy?: OciTrustPolicy;
  readonly blobPolicy?: BlobTrustPolicy;
  readonly stores: TrustStores;
  /** Things that were ignored or look wrong but did not stop the load. */
  readonly warnings: string[];
}

/** Bounds applied while reading a configuration directory (checked before reading). */
export const NOTATION_CONFIG_LIMITS = {
  /** Largest trust policy file (the policy parser's own document limit). */
  maxPolicyBytes: POLICY_LIMITS.maxBytes,
  /** Largest single store file (the bundle limit of the certificate parser). */
  maxStoreFileBytes: MAX_BUNDLE_BYTES,
  /** Most entries read from any one directory. */
  maxDirectoryEntries: 4096,
  /** Most files in one named store. */
  maxFilesPerStore: 1000,
  /** Most certificates in one named store. */
  maxCertificatesPerStore: 1000,
  /** Most named stores over all types. */
  maxStores: 1000,
  /** Most bytes read from all store files together. */
  maxTotalStoreBytes: 64 * 1024 * 1024,
} as const;

/** File names inside a Notation configuration directory (DIGEST §2.1). */
export const NOTATION_FILES = {
  ociPolicy: 'trustpolicy.oci.json',
  legacyOciPolicy: 'trustpolicy.json',
  blobPolicy: 'trustpolicy.blob.json',
  x509Dir: path.join('truststore', 'x509'),
} as const;

const POLICY_HELP =
  'To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy';

/** O_NOFOLLOW refuses a symlink swapped in after lstat; O_NONBLOCK keeps a FIFO from hanging us. */
const OPEN_FLAGS = fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0);

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;
}

function fsFailure(action: string, file: string, cause: unknown): CacheError {
  return new CacheError(
    `could not ${action} ${file}: ${(cause as Error).message}; check that it exists and is readable`,
    { cause, details: { path: file } },
  );
}

/** lstat that returns undefined for "does not exist". */
async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(file);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
    throw fsFailure('inspect', file, err);
  }
}

/**
 * Reads a regular file of at most `limit` bytes without following a symlink.
 * `notRegular` builds the error for a symlink or special file.
 */
async function readRegularFile(
  file: string,
  limit: number,
  notRegular: () => Error,
  tooLarge: (size: number) => Error,
): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, OPEN_FLAGS);
  } catch (err) {
    // Linux reports a symlink opened with O_NOFOLLOW as ELOOP, the BSDs as EMLINK.
    if (errnoOf(err) === 'ELOOP' || errnoOf(err) === 'EMLINK') throw notRegular();
    throw fsFailure('open', file, err);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegular();
    if (stat.size > limit) throw tooLarge(stat.size);
    // Read to end of file, but never more than limit + 1 bytes, so a file
    // that grows after fstat is still caught.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw tooLarge(total);
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof Error && isTufNotaryError(err)) throw err;
    throw fsFailure('read', file, err);
  } finally {
    await handle.close();
  }
}

/**
 * Entry names of a directory, sorted, refusing more than the entry limit.
 * Callers lstat each entry: Dirent types can be "unknown" on some file systems.
 */
async function listDirectory(dir: string, tooMany: () => Error): Promise<string[]> {
  const out: string[] = [];
  let handle: Dir;
  try {
    handle = await fs.opendir(dir);
  } catch (err) {
    throw fsFailure('list', dir, err);
  }
  try {
    for await (const entry of handle) {
      if (out.length >= NOTATION_CONFIG_LIMITS.maxDirectoryEntries) throw tooMany();
      out.push(entry.name);
    }
  } catch (err) {
    if (isTufNotaryError(err)) throw err;
    throw fsFailure('list', dir, err);
  }
  // for-await closes the handle when the loop ends or throws.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Reads and parses one policy file; undefined when the file does not exist. */
async function readPolicyFile<T>(
  file: string,
  parse: (json: Uint8Array) => T,
): Promise<T | undefined> {
  const stat = await lstatOrUndefined(file);
  if (stat === undefined) return undefined;
  const notRegular = (): Error =>
    new PolicyError(
      ErrorCode.POLICY_INVALID,
      `trust policy is not a regular file (symlinks are not supported): ${file}. ${POLICY_HELP}`,
      { details: { path: file } },
    );
  if (!stat.isFile()) throw notRegular();
  const bytes = await readRegularFile(
    file,
    NOTATION_CONFIG_LIMITS.maxPolicyBytes,
    notRegular,
    (size) =>
      new PolicyError(
        ErrorCode.POLICY_INVALID,
        `trust policy ${file} is ${size} bytes, more than the ${NOTATION_CONFIG_LIMITS.maxPolicyBytes}-byte limit`,
        { details: { path: file } },
      ),
  );
  try {
    return parse(bytes);
  } catch (err) {
    if (isTufNotaryError(err)) {
      throw new PolicyError(err.code, `${file}: ${err.message}`, {
        cause: err,
        details: { ...err.details, path: file },
      });
    }
    throw err;
  }
}

/** Reads one named store directory; undefined (with a warning) when it holds no certificate. */
async function readStore(
  dir: string,
  type: StoreType,
  name: string,
  budget: { bytes: number },
  warnings: string[],
): Promise<TrustedCertificate[] | undefined> {
  const store = storeKey(type, name);
  const fail = (message: string, details: Record<string, string> = {}): TrustError =>
    new TrustError(ErrorCode.TRUST_INCOMPLETE, message, {
      details: { store, path: dir, ...details },
    });
  const entries = await listDirectory(dir, () =>
    fail(
      `trust store ${name} of type ${type} has more than ${NOTATION_CONFIG_LIMITS.maxDirectoryEntries} entries`,
    ),
  );
  const certificates: TrustedCertificate[] = [];
  let files = 0;
  for (const entry of entries) {
    const file = path.join(dir, entry);
    const stat = await lstatOrUndefined(file);
    const notRegular = (): TrustError =>
      fail(
        `trusted certificate ${entry} in trust store ${name} of type ${type} is not a regular file (symlinks are not supported); replace it by a copy of the certificate file`,
        { file },
      );
    if (stat?.isDirectory() === true) {
      // Spec: sub-directories of a named store are ignored, and SHOULD be warned about.
      warnings.push(
        `ignored the sub-directory ${entry} of trust store ${name} of type ${type} (${file}): certificates in sub-directories are not trusted; move them into ${dir} if they should be`,
      );
      continue;
    }
    if (stat?.isFile() !== true) throw notRegular();
    files += 1;
    if (files > NOTATION_CONFIG_LIMITS.maxFilesPerStore) {
      throw fail(
        `trust store ${name} of type ${type} has more than ${NOTATION_CONFIG_LIMITS.maxFilesPerStore} files`,
      );
    }
    const remaining = Math.min(NOTATION_CONFIG_LIMITS.maxStoreFileBytes, budget.bytes);
    const bytes = await readRegularFile(file, remaining, notRegular, (size) =>
      fail(
        size > NOTATION_CONFIG_LIMITS.maxStoreFileBytes
          ? `trusted certificate ${entry} in trust store ${name} of type ${type} is ${size} bytes, more than the ${NOTATION_CONFIG_LIMITS.maxStoreFileBytes}-byte limit`
          : `the trust store files together are larger than the ${NOTATION_CONFIG_LIMITS.maxTotalStoreBytes}-byte limit (reached at ${file})`,
        { file },
      ),
    );
    budget.bytes -= bytes.length;
    certificates.push(...parseStoreCertificates(bytes, type, name, entry));
    if (certificates.length > NOTATION_CONFIG_LIMITS.maxCertificatesPerStore) {
      throw fail(
        `trust store ${name} of type ${type} holds more than ${NOTATION_CONFIG_LIMITS.maxCertificatesPerStore} certificates`,
      );
    }
  }
  if (certificates.length === 0) {
    warnings.push(
      `no x509 certificates were found in trust store "${name}" of type "${type}" (${dir}); it confers no trust`,
    );
    return undefined;
  }
  return certificates;
}

/** Every named store under `truststore/x509/`, validated. */
async function readStores(configDir: string, warnings: string[]): Promise<TrustStoreEntry[]> {
  const x509Dir = path.join(configDir, NOTATION_FILES.x509Dir);
  const x509Stat = await lstatOrUndefined(x509Dir);
  if (x509Stat === undefined) return [];
  const tooMany = (dir: string) => (): TrustError =>
    new TrustError(
      ErrorCode.TRUST_INCOMPLETE,
      `${dir} has more than ${NOTATION_CONFIG_LIMITS.maxDirectoryEntries} entries`,
      { details: { path: dir } },
    );
  const stores: TrustStoreEntry[] = [];
  const budget = { bytes: NOTATION_CONFIG_LIMITS.maxTotalStoreBytes };
  for (const typeName of await listDirectory(x509Dir, tooMany(x509Dir))) {
    const typeDir = path.join(x509Dir, typeName);
    if (!isStoreType(typeName)) {
      warnings.push(
        `ignored ${typeDir}: "${typeName}" is not a trust store type (${STORE_TYPES.join(', ')})`,
      );
      continue;
    }
    const type = typeName;
    // The type directories may be symlinks (notation-go follows them); only
    // named stores and their files must not be (spec, DIGEST §1.2).
    const typeStat = await fs.stat(typeDir).catch((err: unknown) => {
      throw fsFailure('inspect', typeDir, err);
    });
    if (!typeStat.isDirectory()) {
      warnings.push(`ignored ${typeDir}: not a directory`);
      continue;
    }
    for (const name of await listDirectory(typeDir, tooMany(typeDir))) {
      const storeDir = path.join(typeDir, name);
      const storeStat = await lstatOrUndefined(storeDir);
      if (storeStat?.isSymbolicLink() === true) {
        throw new TrustError(
          ErrorCode.TRUST_INCOMPLETE,
          `the trust store ${name} of type ${type} with path ${storeDir} is not a regular directory (symlinks are not supported); replace the link by a directory`,
          { details: { store: storeKey(type, name), path: storeDir } },
        );
      }
      if (storeStat?.isDirectory() !== true) {
        warnings.push(
          `ignored ${storeDir}: a trust store of type ${type} is a directory of certificate files, not a file`,
        );
        continue;
      }
      if (!STORE_NAME_PATTERN.test(name)) {
        warnings.push(
          `ignored ${storeDir}: trust store name needs to follow [a-zA-Z0-9_.-]+ format, ${JSON.stringify(name)} is invalid`,
        );
        continue;
      }
      if (stores.length >= NOTATION_CONFIG_LIMITS.maxStores) {
        throw new TrustError(
          ErrorCode.TRUST_INCOMPLETE,
          `${x509Dir} holds more than ${NOTATION_CONFIG_LIMITS.maxStores} trust stores`,
          { details: { path: x509Dir } },
        );
      }
      const certificates = await readStore(storeDir, type, name, budget, warnings);
      if (certificates !== undefined) stores.push({ type, name, certificates });
    }
  }
  return stores;
}

/** Warns about each store a policy statement names that was not loaded. */
function warnAboutMissingStores(
  policies: readonly (OciTrustPolicy | BlobTrustPolicy | undefined)[],
  stores: TrustStores,
  warnings: string[],
): void {
  const reported = new Set<string>();
  for (const policy of policies) {
    for (const statement of policy?.trustPolicies ?? []) {
      for (const ref of statement.trustStores) {
        if (reported.has(ref)) continue;
        // The policy stage validated every reference, so this cannot throw.
        const { type, name } = parseStoreReference(ref);
        if (stores.get(type, name) !== undefined) continue;
        reported.add(ref);
        warnings.push(
          `trust policy statement "${statement.name}" names trust store "${ref}", which does not exist or is empty: the trust store "${name}" of type "${type}" does not exist; signatures checked against it fail authenticity`,
        );
      }
    }
  }
}

/**
 * Reads a Notation configuration directory: the OCI trust policy
 * (`trustpolicy.oci.json`, else `trustpolicy.json`), the blob trust policy and
 * every named x509 store. Policies are validated by the policy stage
 * (ERR_POLICY_INVALID); store problems are ERR_TRUST_INCOMPLETE; file-system
 * failures are ERR_CACHE; a missing directory is ERR_USAGE.
 */
export async function loadNotationConfig(dir: string): Promise<NotationConfig> {
  const root = path.resolve(dir);
  const rootStat = await fs.stat(root).catch((err: unknown) => {
    if (errnoOf(err) === 'ENOENT') {
      throw new UsageError(`notation configuration directory ${root} does not exist`, {
        details: { path: root },
      });
    }
    throw fsFailure('inspect', root, err);
  });
  if (!rootStat.isDirectory()) {
    throw new UsageError(`notation configuration path ${root} is not a directory`, {
      details: { path: root },
    });
  }
  const warnings: string[] = [];
  const ociFile = path.join(root, NOTATION_FILES.ociPolicy);
  // DIGEST §2.1: the legacy name is read only when trustpolicy.oci.json does not exist.
  const policy =
    (await lstatOrUndefined(ociFile)) !== undefined
      ? await readPolicyFile(ociFile, parseOciTrustPolicy)
      : await readPolicyFile(path.join(root, NOTATION_FILES.legacyOciPolicy), parseOciTrustPolicy);
  const blobPolicy = await readPolicyFile(
    path.join(root, NOTATION_FILES.blobPolicy),
    parseBlobTrustPolicy,
  );
  const stores = createTrustStores(await readStores(root, warnings));
  warnAboutMissingStores([policy, blobPolicy], stores, warnings);
  const config: NotationConfig = {
    ...(policy === undefined ? {} : { policy }),
    ...(blobPolicy === undefined ? {} : { blobPolicy }),
    stores,
    warnings,
  };
  return config;
}

/** Options of {@link exportNotationConfig}. */
export interface ExportNotationConfigOptions {
  /** Replace a non-empty target directory (default: refuse). */
  readonly replace?: boolean;
}

/** Files (relative path → content) of a configuration directory for `trust`. */
function configFiles(trust: {
  policy: OciTrustPolicy;
  blobPolicy?: BlobTrustPolicy;
  stores: TrustStores;
}): Map<string, string> {
  const files = new Map<string, string>();
  files.set(NOTATION_FILES.ociPolicy, JSON.stringify(trust.policy, null, 2) + '\n');
  if (trust.blobPolicy !== undefined) {
    files.set(NOTATION_FILES.blobPolicy, JSON.stringify(trust.blobPolicy, null, 2) + '\n');
  }
  for (const store of trust.stores.list()) {
    for (const cert of store.certificates) {
      files.set(
        path.join(NOTATION_FILES.x509Dir, store.type, store.name, `${cert.fingerprint}.pem`),
        cert.pem,
      );
    }
  }
  return files;
}

/**
 * Writes `trust` as a Notation configuration directory at `dir`: the OCI (and
 * blob) trust policy and one PEM file per certificate, named by fingerprint,
 * under `truststore/x509/<type>/<name>/`. The tree is written to a temporary
 * directory beside `dir` and renamed into place, so readers never see half a
 * configuration. A non-empty `dir` is refused (ERR_USAGE) unless
 * `{ replace: true }`; file-system failures are ERR_CACHE.
 */
export async function exportNotationConfig(
  trust: { policy: OciTrustPolicy; blobPolicy?: BlobTrustPolicy; stores: TrustStores },
  dir: string,
  options: ExportNotationConfigOptions = {},
): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const existing = await lstatOrUndefined(target);
  if (existing !== undefined) {
    if (!existing.isDirectory()) {
      throw new UsageError(`${target} exists and is not a directory; choose another path`, {
        details: { path: target },
      });
    }
    const entries = await fs.readdir(target).catch((err: unknown) => {
      throw fsFailure('list', target, err);
    });
    if (entries.length > 0 && options.replace !== true) {
      throw new UsageError(
        `${target} is not empty; choose an empty directory or pass replace: true to overwrite it`,
        { details: { path: target } },
      );
    }
  }
  const files = configFiles(trust);
  let temp: string | undefined;
  let old: string | undefined;
  try {
    await fs.mkdir(parent, { recursive: true });
    temp = await fs.mkdtemp(path.join(parent, `.${path.basename(target)}.tmp-`));
    for (const [relative, content] of files) {
      const file = path.join(temp, relative);
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
      await fs.writeFile(file, content, { mode: 0o644, flag: 'wx' });
    }
    await fs.chmod(temp, 0o755);
    if (existing !== undefined && options.replace === true) {
      // Move the old tree aside first: rename(2) only replaces an empty directory.
      old = path.join(parent, `.${path.basename(target)}.old-${randomBytes(6).toString('hex')}`);
      await fs.rename(target, old);
    }
    await fs.rename(temp, target);
    temp = undefined;
  } catch (err) {
    if (old !== undefined && (await lstatOrUndefined(target)) === undefined) {
      await fs.rename(old, target).catch(() => undefined);
      old = undefined;
    }
    if (isTufNotaryError(err)) throw err;
    throw fsFailure('write the notation configuration to', target, err);
  } finally {
    if (temp !== undefined) await fs.rm(temp, { recursive: true, force: true });
    if (old !== undefined) await fs.rm(old, { recursive: true, force: true });
  }
}
