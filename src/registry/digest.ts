/**
 * OCI content digests (image-spec descriptor.md "Digests"): `algorithm:hex`.
 * Only the registered algorithms sha256 and sha512 are accepted, each with
 * its exact lower-case hex length; anything else is refused, so a digest we
 * accept is always one we can recompute with node:crypto.
 */
import { createHash } from 'node:crypto';
import { RegistryError, UsageError } from '../errors';

/** Algorithm → hex length (image-spec "Registered algorithms"). */
const ALGORITHMS: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/** A parsed digest. */
export interface ParsedDigest {
  readonly algorithm: 'sha256' | 'sha512';
  readonly hex: string;
}

/** Parses `sha256:<64 hex>` or `sha512:<128 hex>`; throws a UsageError otherwise. */
export function parseDigest(digest: string): ParsedDigest {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = ALGORITHMS[algorithm];
  if (colon < 0 || length === undefined || hex.length !== length || !/^[0-9a-f]+$/.test(hex)) {
    throw new UsageError(
      `digest "${digest.slice(0, 150)}" is not sha256:<64 lower-case hex> or sha512:<128 lower-case hex>`,
      { details: { digest: digest.slice(0, 150) } },
    );
  }
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

/** The digest of `bytes` with `algorithm` (default sha256). */
export function digestOf(
  bytes: Uint8Array,
  algorithm: ParsedDigest['algorithm'] = 'sha256',
): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * Checks that `bytes` hash to `expected` (distribution spec "Pulling
 * manifests/blobs": clients SHOULD verify the digest). A mismatch means the
 * registry, a proxy or the network changed the content.
 */
export function assertDigest(bytes: Uint8Array, expected: string, where: string): void {
  const { algorithm } = parseDigest(expected);
  const actual = digestOf(bytes, algorithm);
  if (actual !== expected) {
    throw new RegistryError(
      `registry served content that does not match digest ${expected} (got ${actual}) for ${where}: tampering or corruption; do not trust this registry response`,
      { details: { expected, actual, where } },
    );
  }
}
