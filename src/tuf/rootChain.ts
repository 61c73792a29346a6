import { ErrorCode, TufError } from '../errors';
import { assertSupportedKeys } from './keys';

type Models = typeof import('@tufjs/models');
type RootMetadata = import('@tufjs/models').Metadata<import('@tufjs/models').Root>;

/** Upper bound on a root document, as tuf-js's `rootMaxLength` (TUF spec §5.3.3). */
export const ROOT_MAX_LENGTH = 512_000;

let models: Models | undefined;
function loadModels(): Models {
  models ??= require('@tufjs/models') as Models;
  return models;
}

/** A root the client trusts, with the exact bytes it was verified from. */
export interface TrustedRoot {
  readonly version: number;
  readonly expires: Date;
  readonly bytes: Uint8Array;
}

function parseRoot(bytes: Uint8Array, where: string): RootMetadata {
  if (bytes.length > ROOT_MAX_LENGTH) {
    throw new TufError(ErrorCode.TUF_METADATA, `${where} is larger than ${ROOT_MAX_LENGTH} bytes`);
  }
  const { Metadata, MetadataKind } = loadModels();
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new TufError(ErrorCode.TUF_METADATA, `${where} is not JSON: ${String(err)}`, {
      cause: err,
    });
  }
  assertSupportedKeys(doc, where);
  try {
    const root = Metadata.fromJSON(
      MetadataKind.Root,
      doc as Parameters<typeof Metadata.fromJSON>[1],
    );
    if (root.signed.type !== MetadataKind.Root) throw new Error(`type is ${root.signed.type}`);
    return root as RootMetadata;
  } catch (err) {
    throw new TufError(ErrorCode.TUF_METADATA, `${where} is not a TUF root: ${String(err)}`, {
      cause: err,
    });
  }
}

/**
 * Verifies the pinned root: a well-formed root, signed by a threshold of its
 * own root keys (TUF spec §5.2: the trusted root is loaded, not fetched).
 * An expired pin is allowed: newer roots are fetched from it.
 */
export function verifyPinnedRoot(bytes: Uint8Array): TrustedRoot {
  const root = parseRoot(bytes, 'the pinned root.json');
  try {
    root.verifyDelegate('root', root);
  } catch (err) {
    throw new TufError(
      ErrorCode.TUF_SIGNATURE,
      `the pinned root.json (v${root.signed.version}) is not signed by a threshold of its own root keys: ${String(err)}`,
      { cause: err },
    );
  }
  return { version: root.signed.version, expires: new Date(root.signed.expires), bytes };
}

/**
 * Verifies `next` as the successor of `trusted` (TUF spec §5.3.4–5.3.5):
 * signed by a threshold of the old root keys and of its own, version exactly
 * one higher. Throws a TufError saying which check failed.
 */
export function verifyNextRoot(trusted: TrustedRoot, next: Uint8Array, where: string): TrustedRoot {
  const old = parseRoot(trusted.bytes, 'trusted root');
  const candidate = parseRoot(next, where);
  try {
    old.verifyDelegate('root', candidate);
    candidate.verifyDelegate('root', candidate);
  } catch (err) {
    throw new TufError(
      ErrorCode.TUF_SIGNATURE,
      `${where} (v${candidate.signed.version}) is not signed by a threshold of root v${trusted.version} keys and its own: ${String(err)}`,
      { cause: err },
    );
  }
  if (candidate.signed.version !== trusted.version + 1) {
    throw new TufError(
      ErrorCode.TUF_ROLLBACK,
      `${where} has version ${candidate.signed.version}, expected ${trusted.version + 1}`,
    );
  }
  return {
    version: candidate.signed.version,
    expires: new Date(candidate.signed.expires),
    bytes: next,
  };
}

/**
 * Follows the chain pin → v+1 → … through `lookup(version)` and returns every
 * root it verified (pin first). Stops at the first missing or failing link and
 * reports it in `broken`, so a damaged cached root is dropped, never trusted.
 */
export function verifyRootChain(
  pin: TrustedRoot,
  lookup: (version: number) => Uint8Array | undefined,
  maxRotations = 256,
): { chain: TrustedRoot[]; broken?: { version: number; error: unknown } } {
  const chain = [pin];
  let current = pin;
  for (let i = 0; i < maxRotations; i += 1) {
    const version = current.version + 1;
    const bytes = lookup(version);
    if (bytes === undefined) return { chain };
    try {
      current = verifyNextRoot(current, bytes, `cached root v${version}`);
    } catch (error) {
      return { chain, broken: { version, error } };
    }
    chain.push(current);
  }
  return { chain };
}
