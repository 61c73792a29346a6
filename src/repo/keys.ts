/**
 * TUF signing keys for the repository builder: generation (random or derived
 * from a seed, for reproducible fixtures), key ids, and the {@link Signer}
 * abstraction every signature goes through.
 *
 * Only the key types tuf-js 5 verifies are offered (its `utils/key.js`):
 * Ed25519 and ECDSA P-256. Signing uses node:crypto.
 */
import {
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign as cryptoSign,
} from 'node:crypto';
import { UsageError } from '../errors';
import { canonicalJson } from './models';

/** Key types the builder can make: `ed25519` (deterministic signatures) or `ecdsa` (P-256). */
export type RepoKeyType = 'ed25519' | 'ecdsa';

/** The public part of a key as TUF metadata lists it (TUF spec §4.2 "KEY"). */
export interface TufPublicKey {
  readonly keytype: string;
  readonly scheme: string;
  readonly keyval: { readonly public: string };
}

/**
 * Produces signatures over canonical JSON bytes. Local keys implement it with
 * node:crypto; a later admin CLI can put an encrypted key file, an HSM or an
 * offline ceremony behind the same interface.
 */
export interface Signer {
  /** The TUF key id the signature is recorded under. */
  readonly keyId: string;
  /** Signs `data` (the canonical JSON of a `signed` object); returns the raw signature bytes. */
  sign(data: Uint8Array): Uint8Array;
}

/** A key the repository lists in root or in a delegation; `signer` is absent for public-only keys. */
export interface RepoKey {
  /** SHA-256 (lowercase hex) of the canonical JSON of {@link RepoKey.publicKey} (TUF spec §4.2). */
  readonly keyId: string;
  readonly type: RepoKeyType;
  readonly publicKey: TufPublicKey;
  readonly signer?: Signer;
}

/** A key whose private half lives in this process (tests, fixtures, a working repository). */
export interface LocalRepoKey extends RepoKey {
  readonly signer: Signer;
  readonly privateKey: KeyObject;
}

interface KeyTypeSpec {
  readonly keytype: string;
  readonly scheme: string;
  /** Digest passed to crypto.sign: ECDSA needs one, Ed25519 signs the message itself. */
  readonly digest: string | null;
  readonly random: () => KeyObject;
  readonly fromSeed: (seed: Buffer) => KeyObject;
  readonly publicValue: (publicKey: KeyObject) => string;
}

/**
 * RFC 8410 §7: a PKCS#8 Ed25519 private key is this fixed DER prefix followed
 * by the 32-byte seed. node:crypto has no "key from seed" call for Ed25519.
 */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Key type → TUF names and node:crypto operations. tuf-js accepts exactly these encodings. */
const KEY_TYPES: Readonly<Record<RepoKeyType, KeyTypeSpec>> = {
  ed25519: {
    keytype: 'ed25519',
    scheme: 'ed25519',
    digest: null,
    random: () => generateKeyPairSync('ed25519').privateKey,
    fromSeed: (seed) =>
      createPrivateKey({
        key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
        format: 'der',
        type: 'pkcs8',
      }),
    // TUF lists Ed25519 keys as the raw 32-byte public key in hex.
    publicValue: (publicKey) =>
      Buffer.from(String(publicKey.export({ format: 'jwk' }).x), 'base64url').toString('hex'),
  },
  ecdsa: {
    keytype: 'ecdsa',
    scheme: 'ecdsa-sha2-nistp256',
    digest: 'sha256',
    random: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    fromSeed: (seed) => {
      // The seed is the private scalar; createECDH computes the public point.
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(seed);
      const point = ecdh.getPublicKey();
      return createPrivateKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          d: seed.toString('base64url'),
          x: point.subarray(1, 33).toString('base64url'),
          y: point.subarray(33).toString('base64url'),
        },
        format: 'jwk',
      });
    },
    publicValue: (publicKey) => String(publicKey.export({ format: 'pem', type: 'spki' })),
  },
};

/** Every key type, for validation and docs. */
export const REPO_KEY_TYPES = Object.keys(KEY_TYPES) as RepoKeyType[];

function specOf(type: string): KeyTypeSpec {
  const spec = (KEY_TYPES as Record<string, KeyTypeSpec | undefined>)[type];
  if (!spec) {
    throw new UsageError(
      `Unsupported TUF key type "${type}": use one of ${REPO_KEY_TYPES.join(', ')}.`,
    );
  }
  return spec;
}

/** The TUF key id of a public key: SHA-256 of its canonical JSON (TUF spec §4.2). */
export function keyIdOf(publicKey: TufPublicKey): string {
  return createHash('sha256').update(canonicalJson(publicKey)).digest('hex');
}

/** Wraps a node:crypto private key (Ed25519 or ECDSA P-256) as a repository key that can sign. */
export function localKeyFromPrivate(privateKey: KeyObject | string): LocalRepoKey {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const type = keyTypeOf(key);
  const spec = KEY_TYPES[type];
  const publicKey: TufPublicKey = {
    keytype: spec.keytype,
    scheme: spec.scheme,
    keyval: { public: spec.publicValue(createPublicKey(key)) },
  };
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    type,
    publicKey,
    privateKey: key,
    signer: { keyId, sign: (data) => cryptoSign(spec.digest, data, key) },
  };
}

function keyTypeOf(key: KeyObject): RepoKeyType {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ecdsa';
  }
  throw new UsageError(
    `Unsupported TUF signing key (${key.asymmetricKeyType ?? 'unknown'}): tuf-js verifies only Ed25519 and ECDSA P-256 keys.`,
  );
}

/** A public-only repository key (e.g. a delegate's key whose private half stays with its owner). */
export function publicRepoKey(publicKey: KeyObject | string): RepoKey {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const type = keyTypeOf(key);
  const spec = KEY_TYPES[type];
  const tufKey: TufPublicKey = {
    keytype: spec.keytype,
    scheme: spec.scheme,
    keyval: { public: spec.publicValue(key) },
  };
  return { keyId: keyIdOf(tufKey), type, publicKey: tufKey };
}

/**
 * Generates a signing key. With `seed`, the key is derived from it
 * (HMAC-SHA-256(seed, label)), so fixtures are reproducible; never use a
 * seed for real keys.
 */
export function generateRepoKey(
  type: RepoKeyType,
  derive?: { seed: string | Uint8Array; label: string },
): LocalRepoKey {
  const spec = specOf(type);
  if (!derive) return localKeyFromPrivate(spec.random());
  // A derived P-256 scalar is ≥ the group order with probability ~2^-32: try the next counter.
  for (let counter = 0; counter < 16; counter++) {
    const material = createHmac('sha256', derive.seed)
      .update(`${derive.label}/${counter}`)
      .digest();
    try {
      return localKeyFromPrivate(spec.fromSeed(material));
    } catch {
      continue;
    }
  }
  throw new UsageError(`Could not derive a ${type} key for "${derive.label}" from the seed.`);
}

/** Exports a local key's private half as PKCS#8 PEM (demo fixtures only; never for real keys). */
export function privateKeyPem(key: LocalRepoKey): string {
  return String(key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
}
