/**
 * Blob trust policy documents (trust-store-trust-policy.md "Blob Trust
 * Policy", "Blob Trust Policy Constraints"; DIGEST §2.3, §2.4 rules 32–33).
 * The statement rules shared with OCI policies are covered in
 * oci-policy.test.ts; here each is checked once for the blob wording.
 */
import { ErrorCode, type PolicyError } from '../../src/errors';
import { parseBlobTrustPolicy } from '../../src/policy';
import { blobStatement, doc, expectError } from './fixtures';

const parse = (d: unknown) => parseBlobTrustPolicy(d as object);
const invalid = (d: unknown, ...parts: string[]) =>
  expectError(() => parse(d), ErrorCode.POLICY_INVALID, ...parts) as PolicyError;

describe('document rules use the blob wording', () => {
  test('version', () => {
    invalid({ trustPolicies: [blobStatement()] }, 'blob trust policy document has empty version');
    invalid(
      { version: '2', trustPolicies: [blobStatement()] },
      'blob trust policy document uses unsupported version "2"',
    );
  });

  test('zero statements', () => {
    invalid(doc(), 'blob trust policy document can not have zero trust policy statements');
  });

  test('unique names', () => {
    invalid(
      doc(blobStatement('a'), blobStatement('a')),
      'multiple blob trust policy statements use the same name "a"',
    );
  });

  test('statement rules are prefixed "blob trust policy: "', () => {
    const err = invalid(
      doc(blobStatement('a', { trustStores: [] })),
      'blob trust policy: trust policy statement "a" is either missing trust stores or trusted identities, both must be specified',
    );
    expect(err.details.policy).toBe('blob');
    invalid(
      doc(
        blobStatement('a', {
          signatureVerification: { level: 'strict', override: { integrity: 'log' } },
        }),
      ),
      'blob trust policy: trust policy statement "a" has invalid signatureVerification: "integrity" verification can not be overridden',
    );
  });
});

describe('blob statements have no registryScopes', () => {
  test('a statement with registryScopes is rejected', () => {
    const err = invalid(
      doc(blobStatement('a', { registryScopes: ['*'] })),
      'blob trust policy statement "a" has "registryScopes"',
      'selected by name',
    );
    expect(err.details.rule).toBe('registryScopes');
  });

  test('registryScopes is not even checked for format', () => {
    expect(() => parse(doc(blobStatement('a')))).not.toThrow();
  });
});

describe('globalPolicy', () => {
  test('one global statement is kept; the flag is omitted on others', () => {
    const p = parse(
      doc(
        blobStatement('a'),
        blobStatement('b', { globalPolicy: true }),
        blobStatement('c', { globalPolicy: false }),
      ),
    );
    expect(p.trustPolicies.map((s) => s.globalPolicy)).toEqual([undefined, true, undefined]);
    expect('globalPolicy' in p.trustPolicies[0]!).toBe(false);
  });

  test('must be a boolean', () => {
    invalid(
      doc(blobStatement('a', { globalPolicy: 'true' })),
      'globalPolicy must be true or false, got a string',
    );
    expect(() => parse(doc(blobStatement('a', { globalPolicy: null })))).not.toThrow();
  });

  test('at most one statement may be global', () => {
    const err = invalid(
      doc(blobStatement('a', { globalPolicy: true }), blobStatement('b', { globalPolicy: true })),
      'multiple blob trust policy statements have globalPolicy set to true ("a" and "b"). Only one trust policy statement can be marked as global policy',
    );
    expect(err.details).toMatchObject({ rule: 'global-policy', statement: 'b', index: 1 });
  });

  test('the global statement cannot be skip (specification; Go never rejects it)', () => {
    const err = invalid(
      doc(
        blobStatement('all', {
          globalPolicy: true,
          signatureVerification: { level: 'skip' },
          trustStores: undefined,
          trustedIdentities: undefined,
        }),
      ),
      'global blob trust policy statement "all" cannot have verification level set to skip',
    );
    expect(err.details.rule).toBe('global-skip');
  });

  test('a skip statement that is not global is fine', () => {
    const p = parse(
      doc(
        blobStatement('unsigned', {
          signatureVerification: { level: 'skip' },
          trustStores: undefined,
          trustedIdentities: undefined,
        }),
      ),
    );
    expect(p.trustPolicies[0]).toEqual({
      name: 'unsigned',
      signatureVerification: { level: 'skip' },
      trustStores: [],
      trustedIdentities: [],
    });
  });
});

describe('the parsed blob policy', () => {
  test('is frozen and normalised', () => {
    const p = parse(JSON.stringify(doc(blobStatement('a', { globalPolicy: true, extra: 1 }))));
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.trustPolicies[0])).toBe(true);
    expect(p.trustPolicies[0]).toEqual({
      name: 'a',
      signatureVerification: { level: 'strict' },
      trustStores: ['ca:acme-rockets'],
      trustedIdentities: [
        'x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Finance, CN=SecureBuilder',
      ],
      globalPolicy: true,
    });
  });
});
