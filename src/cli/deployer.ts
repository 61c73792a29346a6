/**
 * Deployer commands: point a cache at a trust repository (`init`), update it
 * (`refresh`), inspect it (`status`, `pending`, `trust`), activate staged
 * trust (`apply`) and export it for the notation CLI (`export`).
 *
 * `init` records the pinned root's path and the source in
 * `<cache>/tuf-notary.json`; the root itself is read from that path on every
 * run, so keep it where only administrators can write.
 */
import { replaceFileAtomically } from '../files';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors';
import { exportNotationConfig } from '../trust';
import { TrustClient } from '../tuf';
import type { TrustSnapshot } from '../trust/types';
import { table, when } from './output';

/** What `init` stores in the cache directory. */
export interface CacheConfig {
  readonly root: string;
  readonly source: string;
  readonly updates: 'auto' | 'staged';
}

const CONFIG_FILE = 'tuf-notary.json';

/** Writes the cache configuration atomically. */
export async function writeConfig(cacheDir: string, config: CacheConfig): Promise<void> {
  await replaceFileAtomically(
    path.join(cacheDir, CONFIG_FILE),
    JSON.stringify(config, null, 2) + '\n',
  );
}

/** Reads the configuration `init` wrote; a usage error when there is none. */
export async function readConfig(cacheDir: string): Promise<CacheConfig> {
  let text: string;
  try {
    text = await readFile(path.join(cacheDir, CONFIG_FILE), 'utf8');
  } catch {
    throw new UsageError(
      `${cacheDir} is not an initialised tuf-notary cache; run: tuf-notary init --root ROOT.json --source URL|DIR --cache ${cacheDir}`,
    );
  }
  const parsed = JSON.parse(text) as Partial<CacheConfig>;
  if (typeof parsed.root !== 'string' || typeof parsed.source !== 'string') {
    throw new UsageError(
      `${path.join(cacheDir, CONFIG_FILE)} is damaged; run tuf-notary init again`,
    );
  }
  return {
    root: parsed.root,
    source: parsed.source,
    updates: parsed.updates === 'staged' ? 'staged' : 'auto',
  };
}

/** Opens the TrustClient a cache directory is configured for. */
export async function openCache(
  cacheDir: string,
  opts: { offline?: boolean } = {},
): Promise<TrustClient> {
  const config = await readConfig(cacheDir);
  return TrustClient.open({
    root: config.root,
    source: config.source,
    cacheDir,
    updates: config.updates,
    ...(opts.offline ? { offline: true } : {}),
  });
}

/** A source string as given: URLs stay, directories become absolute. */
export function normaliseSource(source: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? source : path.resolve(source);
}

/** Human summary of a client's status. */
export function statusText(client: TrustClient): string {
  const s = client.status();
  return table(
    ['field', 'value'],
    [
      ['source', s.source],
      ['root version', String(s.rootVersion)],
      ['timestamp version', String(s.timestampVersion)],
      ['snapshot version', String(s.snapshotVersion)],
      ['targets version', String(s.targetsVersion)],
      ['expires', when(s.expires)],
      ['last refresh', when(s.lastRefresh)],
      ['pending change', s.pending ? 'yes (run tuf-notary apply)' : 'no'],
      ['offline', s.offline ? 'yes (serving cached, verified trust)' : 'no'],
    ],
  );
}

/** Human listing of a snapshot: policy statements, stores and certificates. */
export function trustText(snapshot: TrustSnapshot): string {
  const statements = snapshot.policy.trustPolicies.map((p) => [
    p.name,
    p.signatureVerification.level,
    p.registryScopes.join(', '),
    p.trustStores.join(', ') || '-',
    p.trustedIdentities.join('; ') || '-',
  ]);
  const certs = snapshot.stores
    .list()
    .flatMap((s) =>
      s.certificates.map((c) => [
        `${s.type}:${s.name}`,
        c.subject,
        when(c.notAfter),
        c.fingerprint.slice(0, 16),
      ]),
    );
  const out = [
    'Trust policy statements (trustpolicy.oci.json)',
    table(['name', 'level', 'scopes', 'stores', 'identities'], statements),
    '',
    'Trust stores',
    table(['store', 'subject', 'not after', 'sha256'], certs),
  ];
  if (snapshot.blobPolicy) {
    out.push(
      '',
      'Blob trust policy statements (trustpolicy.blob.json)',
      table(
        ['name', 'level', 'global', 'stores'],
        snapshot.blobPolicy.trustPolicies.map((p) => [
          p.name,
          p.signatureVerification.level,
          p.globalPolicy ? 'yes' : 'no',
          p.trustStores.join(', '),
        ]),
      ),
    );
  }
  out.push('', `Revoked certificates (revocations.json): ${snapshot.revocations.length}`);
  const p = snapshot.provenance;
  out.push(
    `TUF: root v${p.rootVersion}, timestamp v${p.timestampVersion}, snapshot v${p.snapshotVersion}, targets v${p.targetsVersion}; expires ${when(p.expires)}`,
  );
  return out.join('\n');
}

/** Writes a Notation configuration directory from the cache's active snapshot. */
export async function exportTo(client: TrustClient, dir: string): Promise<void> {
  const snapshot = client.current();
  await exportNotationConfig(snapshot, dir, { replace: true });
}
