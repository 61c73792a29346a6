/**
 * The administrator's changes to a trust repository, as operations on the
 * {@link TrustRepository} model following DESIGN.md's target conventions:
 * `trustpolicy.oci.json`, `trustpolicy.blob.json`,
 * `truststore/x509/<type>/<name>.pem` and `revocations.json`. Each one
 * validates with the verifier's own parsers BEFORE anything is signed, so the
 * repository never publishes trust its clients would refuse.
 */
import { parseCertificateBundle } from '../x509/certificate';
import { TARGET_NAMES } from '../trust/targets';
import { ErrorCode, TrustError, UsageError } from '../errors';
import { parseBlobTrustPolicy, parseOciTrustPolicy, referencedStores } from '../policy';
import type { StoreReference } from '../policy/types';
import {
  isStoreType,
  parseRevocationList,
  parseStoreCertificates,
  REVOCATION_LIST_VERSION,
  REVOCATION_REASONS,
} from '../trust';
import type { StoreType, TrustedCertificate } from '../trust/types';
import type { TrustRepository } from './repository';

/** Largest policy, store or certificate file accepted (bounded before parsing). */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;

/** A store as `TYPE:NAME` (e.g. `ca:acme-rockets`). */
export interface StoreId {
  readonly type: StoreType;
  readonly name: string;
}

function bounded(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.byteLength > MAX_INPUT_BYTES) {
    throw new UsageError(`${what} is larger than ${MAX_INPUT_BYTES} bytes.`);
  }
  return bytes;
}

/** Parses `TYPE:NAME`; a UsageError naming the allowed types otherwise. */
export function parseStoreId(text: string): StoreId {
  const colon = text.indexOf(':');
  const type = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (colon < 1 || !isStoreType(type) || name === '') {
    throw new UsageError(
      `"${text}" is not a store: write TYPE:NAME with TYPE ca, signingAuthority or tsa (e.g. ca:acme-rockets).`,
    );
  }
  return { type, name };
}

/** Where target `targetPath` lives: the role holding it, or undefined. */
export function roleHolding(repo: TrustRepository, targetPath: string): string | undefined {
  for (const role of ['targets', ...repo.delegationsList().map((d) => d.name)]) {
    if (repo.targets(role).has(targetPath)) return role;
  }
  return undefined;
}

/** The delegated role whose paths match `targetPath` (the first, in delegation order), if any. */
export function delegatedRoleFor(repo: TrustRepository, targetPath: string): string | undefined {
  return repo.delegationsList().find((d) => d.paths.some((p) => globMatches(p, targetPath)))?.name;
}

/** TUF spec §4.5 "paths": shell-style patterns, `*` not crossing `/`. */
function globMatches(pattern: string, targetPath: string): boolean {
  const p = pattern.split('/');
  const t = targetPath.split('/');
  if (p.length !== t.length) return false;
  return p.every((seg, i) => {
    const re = new RegExp(
      `^${seg
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    return re.test(t[i] ?? '');
  });
}

/** Stores a policy names that neither exist nor are delegated to a publisher who will provide them. */
function missingStores(repo: TrustRepository, stores: readonly StoreReference[]): string[] {
  return stores
    .filter((s) => {
      const target = TARGET_NAMES.store(s.type, s.name);
      return (
        roleHolding(repo, target) === undefined && delegatedRoleFor(repo, target) === undefined
      );
    })
    .map((s) => `${s.type}:${s.name}`);
}

/**
 * Validates and stages a trust policy (`blob` for `trustpolicy.blob.json`).
 * Refuses (ERR_POLICY_INVALID) a policy the verifier would refuse, and
 * (ERR_TRUST_INCOMPLETE) one naming a store the repository lacks and has not
 * delegated to a publisher: clients would refuse the whole update.
 */
export function setPolicy(
  repo: TrustRepository,
  bytes: Uint8Array,
  opts: { blob?: boolean } = {},
): {
  statements: number;
  stores: string[];
} {
  bounded(bytes, 'The policy file');
  const policy = opts.blob ? parseBlobTrustPolicy(bytes) : parseOciTrustPolicy(bytes);
  const stores = referencedStores(policy);
  const missing = missingStores(repo, stores);
  if (missing.length > 0) {
    throw new TrustError(
      ErrorCode.TRUST_INCOMPLETE,
      `The policy names store(s) the repository does not have: ${missing.join(', ')}. Add them first (tuf-notary repo add-store TYPE:NAME CERTS.pem) or delegate them to the publisher (tuf-notary repo delegate).`,
      { details: { missing: missing.join(',') } },
    );
  }
  repo.setTarget(opts.blob ? TARGET_NAMES.blobPolicy : TARGET_NAMES.ociPolicy, bytes);
  return {
    statements: policy.trustPolicies.length,
    stores: stores.map((s) => `${s.type}:${s.name}`),
  };
}

/**
 * Validates a store's certificates with the verifier's store rules and stages
 * them as `truststore/x509/<type>/<name>.pem` in `role` (default: the
 * delegated role whose paths cover it, else `targets`).
 */
export function addStore(
  repo: TrustRepository,
  store: StoreId,
  pem: Uint8Array,
  opts: { role?: string } = {},
): { role: string; path: string; certificates: TrustedCertificate[] } {
  bounded(pem, 'The certificate file');
  const target = TARGET_NAMES.store(store.type, store.name);
  const certificates = parseStoreCertificates(pem, store.type, store.name, target);
  const role = opts.role ?? delegatedRoleFor(repo, target) ?? 'targets';
  const holder = roleHolding(repo, target);
  if (holder !== undefined && holder !== role) repo.removeTarget(target, { role: holder });
  repo.setTarget(target, pem, { role });
  return { role, path: target, certificates };
}

/**
 * Removes a store. Refused (ERR_TRUST_INCOMPLETE) while a staged policy still
 * names it — clients would refuse the update and keep the old trust; pass the
 * new policy in the same change instead.
 */
export function removeStore(repo: TrustRepository, store: StoreId): { role: string; path: string } {
  const target = TARGET_NAMES.store(store.type, store.name);
  const role = roleHolding(repo, target);
  if (role === undefined) {
    throw new UsageError(`The repository has no store ${store.type}:${store.name}.`);
  }
  for (const [name, blob] of [
    [TARGET_NAMES.ociPolicy, false],
    [TARGET_NAMES.blobPolicy, true],
  ] as const) {
    const bytes = repo.targets().get(name);
    if (!bytes) continue;
    const policy = blob ? parseBlobTrustPolicy(bytes) : parseOciTrustPolicy(bytes);
    if (referencedStores(policy).some((s) => s.type === store.type && s.name === store.name)) {
      throw new TrustError(
        ErrorCode.TRUST_INCOMPLETE,
        `${name} still names ${store.type}:${store.name}: clients would refuse the update and keep trusting it. Remove it from the policy in the same change: tuf-notary repo remove-store ${store.type}:${store.name} --policy NEW-POLICY.json${blob ? ' (--blob-policy for the blob policy)' : ''}.`,
        { details: { store: `${store.type}:${store.name}`, policy: name } },
      );
    }
  }
  repo.removeTarget(target, { role });
  return { role, path: target };
}

/** SHA-256 fingerprints (lowercase hex of the DER) of a PEM file's certificates, or of a 64-hex argument. */
export function fingerprintsOf(input: string | Uint8Array): string[] {
  if (typeof input === 'string') {
    const hex = input.replace(/:/g, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new UsageError(
        `"${input}" is not a SHA-256 fingerprint (64 hex characters) or a certificate file.`,
      );
    }
    return [hex];
  }
  bounded(input, 'The certificate file');
  // The x509 stage's bundle reader: PEM or DER, bounded, linear in the input.
  return parseCertificateBundle(input, 'the certificate file').map((c) => c.fingerprint);
}

/**
 * Adds fingerprints to `revocations.json` (DESIGN.md format, version 1) with
 * an RFC 5280 reason; the list is re-validated with the client's parser.
 */
export function revokeCertificates(
  repo: TrustRepository,
  fingerprints: readonly string[],
  opts: { reason?: string; now?: Date } = {},
): { added: string[]; total: number } {
  const reason = opts.reason ?? 'keyCompromise';
  if (!REVOCATION_REASONS.includes(reason)) {
    throw new UsageError(
      `--reason ${reason} is not an RFC 5280 reason: use one of ${REVOCATION_REASONS.join(', ')}.`,
    );
  }
  const existing = repo.targets().get(TARGET_NAMES.revocations);
  const list = existing ? parseRevocationList(existing) : [];
  const have = new Set(list.map((e) => e.sha256));
  const revokedAt = (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const entries = list.map((e) => ({
    sha256: e.sha256,
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.revokedAt ? { revokedAt: e.revokedAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
  }));
  const added = fingerprints.filter((f) => !have.has(f));
  for (const sha256 of added) entries.push({ sha256, reason, revokedAt });
  const bytes = Buffer.from(
    JSON.stringify({ version: REVOCATION_LIST_VERSION, certificates: entries }, null, 2) + '\n',
  );
  parseRevocationList(bytes); // what clients will run: never publish a list they refuse
  if (added.length > 0 || !existing) repo.setTarget(TARGET_NAMES.revocations, bytes);
  return { added, total: entries.length };
}
