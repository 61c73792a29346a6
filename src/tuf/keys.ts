import { ErrorCode, TufError } from '../errors';

/**
 * TUF key types and schemes tuf-notary accepts (keytype → allowed schemes).
 * @tufjs/models 4 verifies only these correctly; it would also load
 * `ecdsa-sha2-nistp384` keys and RSA keys with other schemes and then fail
 * with an opaque signature error, so anything else is refused up front.
 */
const ALLOWED_KEY_SCHEMES: Readonly<Record<string, readonly string[]>> = {
  ed25519: ['ed25519'],
  ecdsa: ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  rsa: ['rsassa-pss-sha256'],
};

interface RawKey {
  keytype?: unknown;
  scheme?: unknown;
}

/**
 * Throws ERR_ALGORITHM_UNSUPPORTED when a root or targets metadata document
 * lists a key whose type/scheme is not in {@link ALLOWED_KEY_SCHEMES}.
 * `doc` is the parsed JSON; anything not shaped like metadata is ignored here
 * (the TUF models reject it with a precise error later).
 */
export function assertSupportedKeys(doc: unknown, where: string): void {
  const signed = (doc as { signed?: { keys?: unknown; delegations?: { keys?: unknown } } } | null)
    ?.signed;
  const keySets = [signed?.keys, signed?.delegations?.keys];
  for (const keys of keySets) {
    if (typeof keys !== 'object' || keys === null) continue;
    for (const [keyId, key] of Object.entries(keys as Record<string, RawKey>)) {
      const type = String(key?.keytype);
      const scheme = String(key?.scheme);
      if (!(ALLOWED_KEY_SCHEMES[type] ?? []).includes(scheme)) {
        throw new TufError(
          ErrorCode.ALGORITHM_UNSUPPORTED,
          `${where} lists key ${keyId.slice(0, 16)}… of type "${type}" with scheme "${scheme}", which tuf-notary does not accept; ` +
            'use ed25519, ecdsa-sha2-nistp256 or rsassa-pss-sha256 keys',
          { details: { keyId, keytype: type, scheme } },
        );
      }
    }
  }
}
