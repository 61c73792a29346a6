/**
 * Private and public TUF key files of a working repository: PKCS#8 PEM,
 * encrypted at rest (PKCS#8 PBES2 with AES-256-CBC, node:crypto) with the
 * passphrase from `TUF_NOTARY_PASSPHRASE` when one is set.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { UsageError } from '../errors';
import { localKeyFromPrivate, publicRepoKey, type LocalRepoKey, type RepoKey } from './keys';

/** The environment variable holding the passphrase that encrypts private keys at rest. */
export const PASSPHRASE_ENV = 'TUF_NOTARY_PASSPHRASE';

/** Largest key file read (a PEM key is a few hundred bytes). */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----/;
const PRIVATE_PEM = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----/;

/** The passphrase from the environment, or undefined when unset or empty. */
export function passphraseFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[PASSPHRASE_ENV];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * A private key as PKCS#8 PEM: encrypted with AES-256-CBC under `passphrase`
 * when given (node:crypto derives the key with PBKDF2), plain otherwise.
 */
export function encodePrivateKey(key: KeyObject, passphrase?: string): string {
  return String(
    passphrase === undefined
      ? key.export({ format: 'pem', type: 'pkcs8' })
      : key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }),
  );
}

/** A public key as SPKI PEM. */
export function encodePublicKey(key: RepoKey): string {
  if ('privateKey' in key) {
    return String(
      createPublicKey((key as LocalRepoKey).privateKey).export({ format: 'pem', type: 'spki' }),
    );
  }
  if (key.type === 'ecdsa') return key.publicKey.keyval.public;
  // Ed25519 keys are listed raw (32 bytes hex): rebuild the SPKI (RFC 8410 §4 fixed prefix).
  const der = Buffer.concat([
    Buffer.from('302a300506032b6570032100', 'hex'),
    Buffer.from(key.publicKey.keyval.public, 'hex'),
  ]);
  return String(
    createPublicKey({ key: der, format: 'der', type: 'spki' }).export({
      format: 'pem',
      type: 'spki',
    }),
  );
}

/** True when `pem` holds an encrypted PKCS#8 private key. */
export function isEncryptedKey(pem: string): boolean {
  return ENCRYPTED_PEM.test(pem);
}

/**
 * Reads a key file's text: a private key (encrypted or not) becomes a key
 * that can sign, a public key a public-only one. `where` names the file in
 * errors. Encrypted keys need the passphrase; a wrong one is refused.
 */
export function decodeKeyFile(
  text: string,
  where: string,
  passphrase: string | undefined,
): LocalRepoKey | RepoKey {
  if (text.length > MAX_KEY_FILE_BYTES) {
    throw new UsageError(`${where} is larger than ${MAX_KEY_FILE_BYTES} bytes: not a key file.`);
  }
  if (isEncryptedKey(text)) {
    if (passphrase === undefined) {
      throw new UsageError(
        `${where} is encrypted: set ${PASSPHRASE_ENV} to the passphrase the repository's keys were written with.`,
        { details: { file: where } },
      );
    }
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: text, format: 'pem', passphrase });
    } catch (cause) {
      throw new UsageError(
        `Cannot decrypt ${where}: wrong passphrase in ${PASSPHRASE_ENV}, or a damaged key file.`,
        { cause, details: { file: where } },
      );
    }
    return localKeyFromPrivate(key);
  }
  try {
    if (PRIVATE_PEM.test(text)) return localKeyFromPrivate(createPrivateKey(text));
    return publicRepoKey(createPublicKey(text));
  } catch (cause) {
    if (cause instanceof UsageError) throw cause;
    throw new UsageError(
      `${where} is not a PEM Ed25519 or ECDSA P-256 key (PKCS#8 private or SPKI public).`,
      { cause, details: { file: where } },
    );
  }
}

/** Like {@link decodeKeyFile}, but the key must be able to sign. */
export function decodePrivateKeyFile(
  text: string,
  where: string,
  passphrase: string | undefined,
): LocalRepoKey {
  const key = decodeKeyFile(text, where, passphrase);
  if (!('privateKey' in key)) {
    throw new UsageError(`${where} holds a public key; signing needs the private key.`, {
      details: { file: where },
    });
  }
  return key as LocalRepoKey;
}
