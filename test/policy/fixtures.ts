/**
 * Builders for trust policy documents in tests: a valid statement with the
 * fields a test cares about changed (`undefined` removes a field).
 */
import { isTufNotaryError, type ErrorCodeValue, type TufNotaryError } from '../../src/errors';

type Json = Record<string, unknown>;

/** Applies `changes` to `base`; a change to `undefined` deletes the key. */
function patch(base: Json, changes: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

export const IDENTITY =
  'x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Finance, CN=SecureBuilder';

/** A valid strict OCI statement for `registry.acme-rockets.io/software/<name>`. */
export function ociStatement(name = 'images', changes: Json = {}): Json {
  return patch(
    {
      name,
      registryScopes: [`registry.acme-rockets.io/software/${name}`],
      signatureVerification: { level: 'strict' },
      trustStores: ['ca:acme-rockets'],
      trustedIdentities: [IDENTITY],
    },
    changes,
  );
}

/** A valid strict blob statement. */
export function blobStatement(name = 'blobs', changes: Json = {}): Json {
  return patch(
    {
      name,
      signatureVerification: { level: 'strict' },
      trustStores: ['ca:acme-rockets'],
      trustedIdentities: [IDENTITY],
    },
    changes,
  );
}

/** A version 1.0 document holding `statements`. */
export function doc(...statements: Json[]): Json {
  return { version: '1.0', trustPolicies: statements };
}

/** Runs `fn`, expects a TufNotaryError with `code` whose message contains every part. */
export function expectError(
  fn: () => unknown,
  code: ErrorCodeValue,
  ...parts: Array<string | RegExp>
): TufNotaryError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) throw new Error(`expected ${code}, but nothing was thrown`);
  if (!isTufNotaryError(thrown, code)) {
    throw new Error(`expected ${code}, got ${String(thrown)}`, { cause: thrown });
  }
  for (const part of parts) {
    if (typeof part === 'string') expect(thrown.message).toContain(part);
    else expect(thrown.message).toMatch(part);
  }
  return thrown;
}
