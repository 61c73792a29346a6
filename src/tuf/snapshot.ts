import { createTrustStores } from '../trust';
import type { SnapshotProvenance, TrustSnapshot } from '../trust/types';
import type { ContentStore, TrustContent } from './content';

/** The verified but not yet active change of a staged client. */
export interface TrustChange {
  /** Certificates that the pending trust adds (`store` is `type:name`, e.g. `ca:acme`). */
  readonly addedCertificates: readonly { readonly store: string; readonly fingerprint: string }[];
  /** Certificates the pending trust removes (already removed from the active snapshot). */
  readonly removedCertificates: readonly { readonly store: string; readonly fingerprint: string }[];
  /** True when the OCI or blob trust policy differs. */
  readonly policyChanged: boolean;
  /** One readable line per added, removed or changed policy statement (`+ name`, `- name`, `~ name`). */
  readonly policyDiff: readonly string[];
  /** TUF versions of the active and of the pending trust. */
  readonly from: SnapshotProvenance;
  readonly to: SnapshotProvenance;
}

/** Freezes an object graph (plain objects, arrays, dates); leaves frozen objects alone. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<string | symbol, unknown>)[key]);
  }
  return Object.freeze(value);
}

function storeKey(store: { type: string; name: string }): string {
  return `${store.type}:${store.name}`;
}

/** Builds the immutable TrustSnapshot of `content`. */
export function buildSnapshot(
  content: TrustContent,
  provenance: SnapshotProvenance,
): TrustSnapshot {
  const stores = createTrustStores(
    content.stores.map((s) => ({ type: s.type, name: s.name, certificates: s.certificates })),
  );
  const revocations = [...new Set(content.revocations.map((r) => r.sha256.toLowerCase()))].sort();
  return deepFreeze({
    policy: content.policy,
    ...(content.blobPolicy === undefined ? {} : { blobPolicy: content.blobPolicy }),
    stores,
    revocations,
    provenance: {
      ...provenance,
      expires: new Date(provenance.expires.getTime()),
      targets: [...provenance.targets],
    },
  });
}

function fingerprints(stores: readonly ContentStore[]): Map<string, Set<string>> {
  return new Map(
    stores.map((s) => [storeKey(s), new Set(s.certificates.map((c) => c.fingerprint))]),
  );
}

function statements(content: TrustContent): Map<string, string> {
  const all = [
    ...content.policy.trustPolicies.map((s) => [`oci:${s.name}`, JSON.stringify(s)] as const),
    ...(content.blobPolicy?.trustPolicies ?? []).map(
      (s) => [`blob:${s.name}`, JSON.stringify(s)] as const,
    ),
  ];
  return new Map(all);
}

/** The readable difference from `active` to `next`. */
export function diffContent(
  active: TrustContent,
  next: TrustContent,
  from: SnapshotProvenance,
  to: SnapshotProvenance,
): TrustChange {
  const before = fingerprints(active.stores);
  const after = fingerprints(next.stores);
  const added: { store: string; fingerprint: string }[] = [];
  const removed: { store: string; fingerprint: string }[] = [];
  for (const [store, certs] of after) {
    for (const fp of certs) if (!before.get(store)?.has(fp)) added.push({ store, fingerprint: fp });
  }
  for (const [store, certs] of before) {
    for (const fp of certs)
      if (!after.get(store)?.has(fp)) removed.push({ store, fingerprint: fp });
  }
  const oldStatements = statements(active);
  const newStatements = statements(next);
  const policyDiff: string[] = [];
  for (const [name, text] of newStatements) {
    const old = oldStatements.get(name);
    if (old === undefined) policyDiff.push(`+ statement ${name}: ${text}`);
    else if (old !== text) policyDiff.push(`~ statement ${name}: ${old} -> ${text}`);
  }
  for (const [name, text] of oldStatements) {
    if (!newStatements.has(name)) policyDiff.push(`- statement ${name}: ${text}`);
  }
  const policyChanged =
    JSON.stringify(active.policy) !== JSON.stringify(next.policy) ||
    JSON.stringify(active.blobPolicy) !== JSON.stringify(next.blobPolicy);
  return deepFreeze({
    addedCertificates: added,
    removedCertificates: removed,
    policyChanged,
    policyDiff,
    from,
    to,
  });
}

/** True when the change adds trust and must wait for apply() in staged mode. */
export function needsApproval(change: TrustChange): boolean {
  return change.addedCertificates.length > 0 || change.policyChanged;
}

/**
 * Staged mode: what stays active until apply(). Removals and revocations take
 * effect at once (a compromise must not wait for a human): the active content
 * minus every store and certificate `next` no longer has, plus the union of
 * both revocation lists. Nothing is added.
 */
export function restrictContent(active: TrustContent, next: TrustContent): TrustContent {
  const after = fingerprints(next.stores);
  const revoked = new Set(
    [...active.revocations, ...next.revocations].map((r) => r.sha256.toLowerCase()),
  );
  const stores = active.stores
    .map((s) => ({
      ...s,
      certificates: s.certificates.filter(
        (c) => after.get(storeKey(s))?.has(c.fingerprint) === true && !revoked.has(c.fingerprint),
      ),
    }))
    .filter((s) => s.certificates.length > 0);
  const seen = new Set<string>();
  const revocations = [...active.revocations, ...next.revocations].filter((r) => {
    const key = r.sha256.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { ...active, stores, revocations };
}
