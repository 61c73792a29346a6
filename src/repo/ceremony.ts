/**
 * Offline root signing (TUF spec §5.3.4, §6.1 "key management"): a new root
 * version travels as a file to each key holder, who adds a signature with
 * {@link signRootDocument}; the administrator merges the copies with
 * {@link mergeRootSignatures}. Every merged signature is checked against the
 * keys it claims, so a bad copy cannot smuggle in garbage.
 */
import type { Metadata, Root } from '@tufjs/models';
import { UsageError } from '../errors';
import type { LocalRepoKey } from './keys';
import { canonicalJson, tufModels } from './models';
import { parseRootMetadata } from './repository';

/** Encodes root metadata as the repository writes it. */
function encodeRoot(metadata: Metadata<Root>): Uint8Array {
  return Buffer.from(JSON.stringify(metadata.toJSON(), null, 2) + '\n', 'utf8');
}

/** Adds `key`'s signature to a root document (replacing an earlier one by the same key). */
export function signRootDocument(bytes: Uint8Array, key: LocalRepoKey): Uint8Array {
  const { Signature } = tufModels();
  const metadata = parseRootMetadata(bytes);
  metadata.sign(
    (data) =>
      new Signature({ keyID: key.keyId, sig: Buffer.from(key.signer.sign(data)).toString('hex') }),
    true,
  );
  return encodeRoot(metadata);
}

/**
 * Merges the signatures of `other` into `base` (both the same root
 * content). Only signatures by keys in `knownKeys` (the new root's and the
 * previous root's keys, as model keys) that verify are taken.
 * Returns the merged document and the key ids added.
 */
export function mergeRootSignatures(
  base: Uint8Array,
  other: Uint8Array,
  knownKeys: ReadonlyMap<string, InstanceType<ReturnType<typeof tufModels>['Key']>>,
): { bytes: Uint8Array; added: string[] } {
  const { Metadata } = tufModels();
  const into = parseRootMetadata(base);
  const from = parseRootMetadata(other);
  if (canonicalJson(into.signed.toJSON()) !== canonicalJson(from.signed.toJSON())) {
    throw new UsageError(
      `The signed root (version ${from.signed.version}) is not the root this repository waits for (version ${into.signed.version}): sign the file the repository exported.`,
    );
  }
  const added: string[] = [];
  for (const [keyId, signature] of Object.entries(from.signatures)) {
    if (into.signatures[keyId]) continue;
    const key = knownKeys.get(keyId);
    if (!key) {
      throw new UsageError(
        `The root carries a signature by key ${keyId}, which is neither a key of the new root nor of the current one.`,
        { details: { keyId } },
      );
    }
    const single = new Metadata(from.signed, { [keyId]: signature });
    try {
      key.verifySignature(single);
    } catch (cause) {
      throw new UsageError(`The signature by key ${keyId} does not verify: refusing the file.`, {
        cause,
        details: { keyId },
      });
    }
    into.signatures[keyId] = signature;
    added.push(keyId);
  }
  return { bytes: encodeRoot(into), added };
}

/** The keys a root document lists, as model keys by id (for {@link mergeRootSignatures}). */
export function rootKeys(
  bytes: Uint8Array,
): Map<string, InstanceType<ReturnType<typeof tufModels>['Key']>> {
  const root = parseRootMetadata(bytes).signed;
  const ids = root.roles['root']?.keyIDs ?? [];
  return new Map(
    ids.flatMap((id) => {
      const key = root.keys[id];
      return key ? [[id, key] as const] : [];
    }),
  );
}
