/**
 * OCI trust policy documents (trust-store-trust-policy.md "OCI Trust Policy",
 * "OCI Trust Policy Constraints"; DIGEST §2.4, §2.5): one describe per rule.
 */
import { ErrorCode, PolicyError } from '../../src/errors';
import { parseOciTrustPolicy, POLICY_LIMITS } from '../../src/policy';
import { doc, expectError, IDENTITY, ociStatement } from './fixtures';

const INVALID = ErrorCode.POLICY_INVALID;
const parse = (d: unknown) => parseOciTrustPolicy(d as object);
const invalid = (d: unknown, ...parts: Array<string | RegExp>) =>
  expectError(() => parse(d), INVALID, ...parts) as PolicyError;

describe('input forms and bounds', () => {
  const valid = doc(ociStatement());

  test('accepts JSON text, UTF-8 bytes and a parsed object alike', () => {
    const fromText = parseOciTrustPolicy(JSON.stringify(valid));
    const fromBytes = parseOciTrustPolicy(Buffer.from(JSON.stringify(valid)));
    const fromUint8 = parseOciTrustPolicy(new TextEncoder().encode(JSON.stringify(valid)));
    const fromObject = parseOciTrustPolicy(valid);
    expect(fromBytes).toEqual(fromText);
    expect(fromUint8).toEqual(fromText);
    expect(fromObject).toEqual(fromText);
  });

  test('rejects text that is not JSON, with the parser message', () => {
    const err = invalid('{"version": "1.0",', 'malformed oci trust policy');
    expect(err.details.rule).toBe('json');
  });

  test('rejects bytes that are not UTF-8', () => {
    invalid(Buffer.from([0x7b, 0xff, 0x7d]), 'not valid UTF-8');
  });

  test('rejects a byte order mark in bytes and in text (as Go does)', () => {
    const text = JSON.stringify(valid);
    invalid(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'byte order mark');
    invalid('\ufeff' + text, 'byte order mark');
  });

  test('rejects inputs that are neither text, bytes nor an object', () => {
    invalid([], 'expected a JSON document');
    invalid(42, 'expected a JSON document');
    invalid(null, 'expected a JSON document');
    invalid('[]', 'oci trust policy document must be an object');
    invalid('null', 'oci trust policy document cannot be nil');
  });

  test(`rejects documents larger than ${POLICY_LIMITS.maxBytes} bytes before parsing`, () => {
    const big = JSON.stringify(valid) + ' '.repeat(POLICY_LIMITS.maxBytes);
    const err = invalid(big, 'larger than');
    expect(err.details.rule).toBe('limits');
    invalid(Buffer.alloc(POLICY_LIMITS.maxBytes + 1, 0x20), 'larger than');
  });

  test('counts UTF-8 bytes, not characters, for text', () => {
    const n = Math.floor(POLICY_LIMITS.maxBytes / 3) + 1;
    const text = JSON.stringify({ ...valid, note: '€'.repeat(n) });
    expect(text.length).toBeLessThan(POLICY_LIMITS.maxBytes);
    invalid(text, 'larger than');
  });

  test(`rejects JSON nested deeper than ${POLICY_LIMITS.maxDepth} levels, even in unknown keys`, () => {
    const deep = '['.repeat(POLICY_LIMITS.maxDepth) + ']'.repeat(POLICY_LIMITS.maxDepth);
    expect(() => parse(`{"version":"1.0","x":${deep},"trustPolicies":[]}`)).toThrow(
      /nested more than/,
    );
    // brackets inside strings do not count
    const s = JSON.stringify({ ...valid, note: '['.repeat(1000) });
    expect(() => parse(s)).not.toThrow();
  });

  test('rejects too many statements', () => {
    const many = new Array(POLICY_LIMITS.maxStatements + 1).fill(ociStatement());
    invalid({ version: '1.0', trustPolicies: many }, 'statements, more than the limit');
  });

  test('rejects too many scopes, stores or identities in one statement, and over-long strings', () => {
    const scopes = Array.from(
      { length: POLICY_LIMITS.maxScopesPerStatement + 1 },
      (_, i) => `r.io/a${i}`,
    );
    invalid(
      doc(ociStatement('a', { registryScopes: scopes })),
      'registryScopes has',
      'more than the limit',
    );
    const stores = new Array(POLICY_LIMITS.maxTrustStoresPerStatement + 1).fill('ca:a');
    invalid(doc(ociStatement('a', { trustStores: stores })), 'trustStores has');
    const ids = new Array(POLICY_LIMITS.maxIdentitiesPerStatement + 1).fill('*');
    invalid(doc(ociStatement('a', { trustedIdentities: ids })), 'trustedIdentities has');
    invalid(doc(ociStatement('x'.repeat(POLICY_LIMITS.maxStringLength + 1))), 'character limit');
  });
});

describe('JSON decoding (Go encoding/json semantics, case-sensitive keys)', () => {
  test('ignores unknown keys and drops them from the result', () => {
    const p = parse({
      ...doc(
        ociStatement('a', { comment: 'x', signatureVerification: { level: 'strict', note: 1 } }),
      ),
      $schema: 'x',
    });
    expect(p).toEqual({
      version: '1.0',
      trustPolicies: [
        {
          name: 'a',
          registryScopes: ['registry.acme-rockets.io/software/a'],
          signatureVerification: { level: 'strict' },
          trustStores: ['ca:acme-rockets'],
          trustedIdentities: [IDENTITY],
        },
      ],
    });
  });

  test('reads null as an absent value', () => {
    const p = parse(
      doc(
        ociStatement('a', {
          signatureVerification: { level: 'strict', override: null, verifyTimestamp: null },
        }),
      ),
    );
    expect(p.trustPolicies[0]!.signatureVerification).toEqual({ level: 'strict' });
    invalid({ version: null, trustPolicies: [] }, 'has empty version');
    invalid(
      doc(ociStatement('a', { trustStores: null })),
      'missing trust stores or trusted identities',
    );
  });

  test('rejects a key that differs from a known key only in case', () => {
    const err = invalid(
      { Version: '1.0', trustPolicies: [ociStatement()] },
      '"Version"',
      'write "version"',
    );
    expect(err.details.rule).toBe('key');
    invalid(
      doc(ociStatement('a', { TrustStores: ['ca:x'] })),
      '"TrustStores"',
      'write "trustStores"',
    );
    invalid(
      doc(ociStatement('a', { signatureVerification: { Level: 'strict' } })),
      '"Level"',
      'write "level"',
    );
  });

  test('rejects values of the wrong JSON type, naming where', () => {
    invalid({ version: 1.0, trustPolicies: [] }, '"version" must be a string');
    invalid({ version: '1.0', trustPolicies: {} }, '"trustPolicies" must be an array');
    invalid(
      doc(ociStatement('a', { trustStores: 'ca:x' })),
      'trustPolicies[0] ("a").trustStores must be an array',
    );
    invalid(doc(ociStatement('a', { trustStores: [1] })), 'trustStores[0] must be a string');
    invalid(
      doc(ociStatement('a', { signatureVerification: 'strict' })),
      'signatureVerification must be an object',
    );
    invalid(
      doc(ociStatement('a', { signatureVerification: { level: 'strict', override: ['expiry'] } })),
      'override must be an object',
    );
    invalid(
      doc(
        ociStatement('a', { signatureVerification: { level: 'strict', override: { expiry: 1 } } }),
      ),
      'override.expiry must be a string',
    );
    invalid(doc(ociStatement('a', { name: 7 })), 'trustPolicies[0].name must be a string');
  });

  test('rejects globalPolicy, which only blob policies have', () => {
    const err = invalid(
      doc(ociStatement('a', { globalPolicy: true })),
      '"globalPolicy"',
      'registryScopes ["*"]',
    );
    expect(err.details.rule).toBe('globalPolicy');
  });
});

describe('version must be "1.0"', () => {
  test('missing or empty version', () => {
    const expected = 'oci trust policy document has empty version, version must be specified';
    invalid({ trustPolicies: [ociStatement()] }, expected);
    invalid({ version: '', trustPolicies: [ociStatement()] }, expected);
  });

  test('any other version', () => {
    const err = invalid(
      { version: '1.1', trustPolicies: [ociStatement()] },
      'oci trust policy document uses unsupported version "1.1"',
    );
    expect(err.details).toMatchObject({ policy: 'oci', rule: 'version' });
    invalid({ version: '1', trustPolicies: [ociStatement()] }, 'unsupported version "1"');
  });

  test('is checked before any statement', () => {
    invalid({ version: '2.0', trustPolicies: [ociStatement('', {})] }, 'unsupported version');
  });
});

describe('at least one statement', () => {
  test('an empty or missing trustPolicies', () => {
    invalid(
      { version: '1.0', trustPolicies: [] },
      'oci trust policy document can not have zero trust policy statements',
    );
    invalid({ version: '1.0' }, 'can not have zero trust policy statements');
  });
});

describe('statement names are required and unique', () => {
  test('a missing or empty name', () => {
    const expected =
      'oci trust policy: a trust policy statement is missing a name, every statement requires a name';
    invalid(doc(ociStatement('a', { name: undefined })), expected, 'trustPolicies[0]');
    const err = invalid(doc(ociStatement('a'), ociStatement('')), expected, 'trustPolicies[1]');
    expect(err.details).toMatchObject({ rule: 'name', index: 1 });
  });

  test('two statements with the same name', () => {
    const err = invalid(
      doc(ociStatement('a'), ociStatement('a', { registryScopes: ['r.io/other'] })),
      'multiple oci trust policy statements use the same name "a", statement names must be unique',
    );
    expect(err.details).toMatchObject({ rule: 'unique-name', statement: 'a', index: 1 });
  });

  test('names are compared exactly (case-sensitive)', () => {
    expect(() =>
      parse(doc(ociStatement('a'), ociStatement('A', { registryScopes: ['r.io/upper'] }))),
    ).not.toThrow();
  });

  test('the duplicate is reported before the statement is otherwise checked (Go order)', () => {
    invalid(
      doc(ociStatement('a'), ociStatement('a', { signatureVerification: { level: 'bogus' } })),
      'use the same name "a"',
    );
  });
});

describe('signatureVerification.level', () => {
  const withLevel = (level: unknown) =>
    doc(ociStatement('s', { signatureVerification: level === undefined ? {} : { level } }));

  test.each(['strict', 'permissive', 'audit'])('%s is accepted', (level) => {
    expect(parse(withLevel(level)).trustPolicies[0]!.signatureVerification.level).toBe(level);
  });

  test('a missing level, or a missing signatureVerification', () => {
    const expected =
      'oci trust policy: trust policy statement "s" has invalid signatureVerification: signature verification level is empty or missing in the trust policy statement';
    invalid(withLevel(undefined), expected);
    invalid(withLevel(''), expected);
    invalid(doc(ociStatement('s', { signatureVerification: undefined })), expected);
  });

  test('an unknown level, compared case-sensitively', () => {
    const err = invalid(
      withLevel('Strict'),
      'has invalid signatureVerification: invalid signature verification level "Strict"',
    );
    expect(err.details).toMatchObject({ rule: 'level', statement: 's' });
    invalid(withLevel('custom'), 'invalid signature verification level "custom"');
  });
});

describe('override (custom verification level)', () => {
  const withOverride = (override: Record<string, unknown>, level = 'strict') =>
    doc(ociStatement('c', { signatureVerification: { level, override } }));

  test('accepted keys and values are kept', () => {
    const p = parse(
      withOverride({
        authenticity: 'log',
        authenticTimestamp: 'log',
        expiry: 'log',
        revocation: 'skip',
      }),
    );
    expect(p.trustPolicies[0]!.signatureVerification.override).toEqual({
      authenticity: 'log',
      authenticTimestamp: 'log',
      expiry: 'log',
      revocation: 'skip',
    });
    expect(parse(withOverride({ revocation: 'enforce' }, 'audit'))).toBeDefined();
  });

  test('an empty override is dropped', () => {
    expect(parse(withOverride({})).trustPolicies[0]!.signatureVerification).toEqual({
      level: 'strict',
    });
  });

  test('skip cannot be customised', () => {
    const err = invalid(
      doc(
        ociStatement('c', {
          signatureVerification: { level: 'skip', override: { revocation: 'log' } },
          trustStores: [],
          trustedIdentities: [],
        }),
      ),
      'signature verification level "skip" can\'t be used to customize signature verification',
    );
    expect(err.details.rule).toBe('override');
  });

  test('an unknown verification type', () => {
    invalid(
      withOverride({ timestamp: 'log' }),
      'verification type "timestamp" in custom signature verification is not supported, supported values are ["integrity" "authenticity" "authenticTimestamp" "expiry" "revocation"]',
    );
    invalid(
      JSON.parse(
        '{"version":"1.0","trustPolicies":[{"name":"c","registryScopes":["r.io/a"],"signatureVerification":{"level":"strict","override":{"__proto__":"log"}},"trustStores":["ca:a"],"trustedIdentities":["*"]}]}',
      ),
      'verification type "__proto__"',
    );
  });

  test('an unknown action', () => {
    invalid(
      withOverride({ expiry: 'warn' }),
      'verification action "warn" in custom signature verification is not supported, supported values are ["enforce" "log" "skip"]',
    );
    invalid(
      withOverride({ expiry: null }),
      'verification action "" in custom signature verification is not supported',
    );
  });

  test('integrity can never be overridden, whatever the value', () => {
    for (const value of ['enforce', 'log', 'skip']) {
      invalid(
        withOverride({ integrity: value }),
        '"integrity" verification can not be overridden in custom signature verification',
      );
    }
  });

  test('only revocation may be skipped', () => {
    for (const check of ['authenticity', 'authenticTimestamp', 'expiry']) {
      invalid(
        withOverride({ [check]: 'skip' }),
        `"${check}" verification can not be skipped in custom signature verification`,
      );
    }
    expect(() => parse(withOverride({ revocation: 'skip' }))).not.toThrow();
  });
});

describe('verifyTimestamp', () => {
  const withVt = (verifyTimestamp: unknown) =>
    doc(ociStatement('t', { signatureVerification: { level: 'strict', verifyTimestamp } }));

  test('always and afterCertExpiry are kept', () => {
    expect(parse(withVt('always')).trustPolicies[0]!.signatureVerification.verifyTimestamp).toBe(
      'always',
    );
    expect(
      parse(withVt('afterCertExpiry')).trustPolicies[0]!.signatureVerification.verifyTimestamp,
    ).toBe('afterCertExpiry');
  });

  test('an empty value means the default and is dropped', () => {
    expect(parse(withVt('')).trustPolicies[0]!.signatureVerification).toEqual({ level: 'strict' });
  });

  test('any other value', () => {
    const err = invalid(
      withVt('AfterCertExpiry'),
      'trust policy statement "t" has invalid signatureVerification: verifyTimestamp must be "always" or "afterCertExpiry", but got "AfterCertExpiry"',
    );
    expect(err.details.rule).toBe('verifyTimestamp');
  });
});

describe('skip statements have no trust stores and no trusted identities', () => {
  const skip = (changes: Record<string, unknown>) =>
    doc(
      ociStatement('unsigned', {
        signatureVerification: { level: 'skip' },
        trustStores: undefined,
        trustedIdentities: undefined,
        ...changes,
      }),
    );
  const expected =
    'trust policy statement "unsigned" is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped';

  test('a bare skip statement, or one with empty lists', () => {
    const p = parse(skip({}));
    expect(p.trustPolicies[0]).toMatchObject({ trustStores: [], trustedIdentities: [] });
    expect(() => parse(skip({ trustStores: [], trustedIdentities: [] }))).not.toThrow();
  });

  test('with trust stores', () => {
    invalid(skip({ trustStores: ['ca:valid-ts'] }), expected);
  });

  test('with trusted identities (even ones that would be invalid)', () => {
    const err = invalid(skip({ trustedIdentities: ['x509:zoop'] }), expected);
    expect(err.details.rule).toBe('skip');
  });
});

describe('other levels need both trust stores and trusted identities', () => {
  const expected =
    'trust policy statement "images" is either missing trust stores or trusted identities, both must be specified';
  test('missing or empty trustStores', () => {
    invalid(doc(ociStatement('images', { trustStores: undefined })), expected);
    invalid(doc(ociStatement('images', { trustStores: [] })), expected);
  });
  test('missing or empty trustedIdentities', () => {
    invalid(doc(ociStatement('images', { trustedIdentities: undefined })), expected);
    invalid(doc(ociStatement('images', { trustedIdentities: [] })), expected);
  });
});

describe('trust store references are type:name', () => {
  const withStores = (...trustStores: string[]) => doc(ociStatement('s', { trustStores }));

  test('every known type and valid names', () => {
    const p = parse(
      withStores('ca:acme-rockets', 'signingAuthority:valid-trust-store', 'tsa:Public_TSA.v2'),
    );
    expect(p.trustPolicies[0]!.trustStores).toEqual([
      'ca:acme-rockets',
      'signingAuthority:valid-trust-store',
      'tsa:Public_TSA.v2',
    ]);
  });

  test('a repeated reference is accepted (as in Go)', () => {
    expect(() => parse(withStores('ca:e2e', 'ca:e2e'))).not.toThrow();
  });

  test.each(['', 'ca', '*', 'acme-rockets'])('malformed value %j', (value) => {
    const err = invalid(
      withStores(value),
      `trust policy statement "s" has malformed trust store value ${JSON.stringify(value)}. The required format is <TrustStoreType>:<TrustStoreName>`,
    );
    expect(err.details).toMatchObject({ rule: 'trust-store', trustStore: value });
  });

  test.each(['hola:valid-ts', 'CA:acme', 'x509:acme', ':acme'])(
    'unsupported type in %j',
    (value) => {
      const type = value.slice(0, value.indexOf(':'));
      invalid(
        withStores(value),
        `uses an unsupported trust store type "${type}" in trust store value "${value}"`,
      );
    },
  );

  test.each(['ca:', 'ca:#@$@$', 'ca:a/b', 'ca:foo:bar', 'tsa:a b', 'ca:é'])(
    'invalid name in %j',
    (value) => {
      const name = value.slice(value.indexOf(':') + 1);
      invalid(
        withStores(value),
        `uses an unsupported trust store name ${JSON.stringify(name)} in trust store value ${JSON.stringify(value)}. Named store name needs to follow [a-zA-Z0-9_.-]+ format`,
      );
    },
  );

  test('the first bad reference is reported', () => {
    invalid(withStores('ca:ok', 'bad', 'hola:x'), 'malformed trust store value "bad"');
  });
});

describe('trusted identities', () => {
  const withIds = (...trustedIdentities: string[]) => doc(ociStatement('s', { trustedIdentities }));

  test('"*" alone', () => {
    expect(parse(withIds('*')).trustPolicies[0]!.trustedIdentities).toEqual(['*']);
  });

  test('"*" with other values', () => {
    const err = invalid(
      withIds('*', IDENTITY),
      'trust policy statement "s" uses a wildcard trusted identity \'*\', a wildcard identity cannot be used in conjunction with other values',
    );
    expect(err.details.rule).toBe('identity-wildcard');
  });

  test('an empty identity', () => {
    invalid(withIds(''), 'trust policy statement "s" has an empty trusted identity');
  });

  test('an identity without a prefix separator', () => {
    invalid(
      withIds('C=US, ST=WA, O=wabbit-network.io, OU=org1'),
      'has trusted identity "C=US, ST=WA, O=wabbit-network.io, OU=org1" missing separator',
    );
    invalid(withIds('x509.subject'), 'has trusted identity "x509.subject" missing separator');
  });

  test('x509.subject without a value', () => {
    invalid(
      withIds('x509.subject:'),
      'has trusted identity "x509.subject:" without an identity value',
    );
  });

  test('an invalid DN, with the DN parser reason', () => {
    invalid(
      withIds('x509.subject:,,,'),
      "has trusted identity \"x509.subject:,,,\" with invalid identity value: parsing distinguished name (DN) \",,,\" failed with err: incomplete type, value pair. A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard",
    );
    invalid(
      withIds('x509.subject:C=US,ST=WA'),
      'with invalid identity value: distinguished name (DN) "C=US,ST=WA" has no mandatory RDN attribute for "O"',
    );
    invalid(withIds('x509.subject:C=US,C=IN'), 'has duplicate RDN attribute for "C"');
    invalid(withIds('x509.subject:C=US+ST=WA,O=MyOrg'), 'has multi-valued RDN attributes');
  });

  test('valid DNs, including custom attribute types and escapes', () => {
    expect(() =>
      parse(withIds('x509.subject:C=US,ST=WA,O=MyOrg,CustomRDN=CustomValue')),
    ).not.toThrow();
    expect(() =>
      parse(
        withIds(
          'x509.subject:C=US,ST=WA,O=MyOrg,CN=a',
          'x509.subject:C=US,ST=WA,O=  My.  Org',
          'x509.subject:C=US,ST=WA,O=My "special" Org \\, \\; \\\\ others',
        ),
      ),
    ).not.toThrow();
  });

  test('identities with another prefix are accepted (kept for plugins)', () => {
    expect(
      parse(withIds('unknown:my-trusted-identity')).trustPolicies[0]!.trustedIdentities,
    ).toEqual(['unknown:my-trusted-identity']);
  });

  test('the prefix is case-sensitive: "X509.Subject:" is another prefix', () => {
    expect(() => parse(withIds('X509.Subject:garbage'))).not.toThrow();
  });
});

describe('trusted identities must not overlap', () => {
  const withIds = (...trustedIdentities: string[]) => doc(ociStatement('s', { trustedIdentities }));

  test("one DN a subset of another (notation-go's rule)", () => {
    const err = invalid(
      withIds('x509.subject:C=US,ST=WA,O=MyOrg', 'x509.subject:C=US,ST=WA,O=MyOrg,X=Y'),
      'trust policy statement "s" has overlapping x509 trustedIdentities, "x509.subject:C=US,ST=WA,O=MyOrg" overlaps with "x509.subject:C=US,ST=WA,O=MyOrg,X=Y"',
    );
    expect(err.details.rule).toBe('identity-overlap');
  });

  test('the same DN twice, even written differently', () => {
    invalid(
      withIds('x509.subject:C=US,ST=WA,O=MyOrg', 'x509.subject: O=MyOrg, S=WA, C=US'),
      'overlapping x509 trustedIdentities',
    );
  });

  test("two DNs one certificate could match both (the specification's rule)", () => {
    invalid(
      withIds(
        'x509.subject:C=US,ST=WA,O=acme,CN=alice',
        'x509.subject:C=US,ST=WA,O=acme,OU=builds',
      ),
      'overlapping',
      'a certificate with subject "C=US, ST=WA, O=acme, CN=alice, OU=builds" would match both',
    );
  });

  test('DNs that differ in a shared attribute do not overlap', () => {
    expect(() =>
      parse(
        withIds(
          'x509.subject:C=US,ST=WA,O=acme,CN=alice',
          'x509.subject:C=US,ST=WA,O=acme,CN=bob',
          'x509.subject:C=US,ST=OR,O=acme',
          'x509.subject:C=US,ST=WA,O=Acme',
        ),
      ),
    ).not.toThrow();
  });
});

describe('registry scopes', () => {
  const withScopes = (...registryScopes: string[]) => doc(ociStatement('s', { registryScopes }));

  test('a statement needs at least one scope', () => {
    const expected =
      'oci trust policy statement "s" has zero registry scopes, it must specify registry scopes with at least one value';
    invalid(withScopes(), expected);
    const err = invalid(doc(ociStatement('s', { registryScopes: undefined })), expected);
    expect(err.details.rule).toBe('registryScopes');
  });

  test('"*" must be alone', () => {
    invalid(
      withScopes('*', 'example.com/rep'),
      'oci trust policy statement "s" uses wildcard registry scope \'*\', a wildcard scope cannot be used in conjunction with other scope values',
    );
  });

  test.each([
    '*',
    'example.com/rep',
    'example.com:8080/rep/rep2',
    'example.com/rep/subrep/subsub',
    '10.10.10.10:8080/rep/rep2',
    'domain/rep',
    'domain:1234/rep',
    'localhost:5000/app',
    'Example.COM/rep',
    'local/myocilayout',
    'r.io/a__b/c.d-e---f',
  ])('valid scope %j', (scope) => {
    expect(parse(withScopes(scope)).trustPolicies[0]!.registryScopes).toEqual([scope]);
  });

  test.each([
    '',
    '1:1',
    'a,b',
    'abcd',
    '1111',
    'example.com/rep:tag',
    'example.com',
    'rep/rep2:latest',
    '10.10.10.10',
    'localhost:5000\\test-repo',
    'example.com/Rep',
    'local/myOCILayout',
    'https://example.com/rep',
    'example.com/rep@sha256:abc',
    'example.com/rep/',
    'example.com//rep',
    '-a.com/rep',
  ])('invalid scope %j', (scope) => {
    const err = invalid(
      withScopes(scope),
      `oci trust policy statement "s": registry scope ${JSON.stringify(scope)} is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag`,
    );
    expect(err.details).toMatchObject({ rule: 'scope-format', scope });
  });

  test.each(['example.com/*', '*/', 'example*/', 'ex*test', '**'])(
    'scope with wildcards %j',
    (scope) => {
      invalid(
        withScopes(scope),
        `registry scope ${JSON.stringify(scope)} with wild card(s) is not valid`,
      );
    },
  );

  test('a scope may belong to one statement only', () => {
    const err = invalid(
      doc(
        ociStatement('a', { registryScopes: ['r.io/x'] }),
        ociStatement('b', { registryScopes: ['r.io/y', 'r.io/x'] }),
      ),
      'registry scope "r.io/x" is present in multiple oci trust policy statements (in statements "a" and "b"), one registry scope value can only be associated with one statement',
    );
    expect(err.details).toMatchObject({ rule: 'unique-scope', scope: 'r.io/x', statement: 'b' });
  });

  test('a scope may not be listed twice in one statement', () => {
    invalid(
      withScopes('r.io/x', 'r.io/x'),
      'registry scope "r.io/x" is present in multiple oci trust policy statements (twice in statement "s")',
    );
  });

  test('scopes are compared exactly, with no normalisation', () => {
    expect(() =>
      parse(
        doc(
          ociStatement('a', { registryScopes: ['Example.com/rep'] }),
          ociStatement('b', { registryScopes: ['example.com/rep'] }),
        ),
      ),
    ).not.toThrow();
  });

  test('only one statement may use the global scope', () => {
    invalid(
      doc(
        ociStatement('a', { registryScopes: ['*'] }),
        ociStatement('b', { registryScopes: ['*'] }),
      ),
      'registry scope "*" is present in multiple oci trust policy statements',
    );
  });

  test('scope errors are reported after every statement passed its own checks (Go order)', () => {
    invalid(
      doc(ociStatement('a', { registryScopes: [] }), ociStatement('b', { trustStores: ['bad'] })),
      'malformed trust store value "bad"',
    );
  });
});

describe('skip cannot be used with the global scope (specification; Go allows it)', () => {
  test('a global skip statement is rejected', () => {
    const err = invalid(
      doc(
        ociStatement('everything', {
          registryScopes: ['*'],
          signatureVerification: { level: 'skip' },
          trustStores: undefined,
          trustedIdentities: undefined,
        }),
      ),
      'oci trust policy statement "everything" uses the global registry scope \'*\' with verification level "skip"',
      'list the repositories to skip',
    );
    expect(err.details.rule).toBe('global-skip');
  });

  test('skip with a specific scope, next to a global statement, is fine', () => {
    const p = parse(
      doc(
        ociStatement('unsigned', {
          signatureVerification: { level: 'skip' },
          trustStores: undefined,
          trustedIdentities: undefined,
        }),
        ociStatement('global', { registryScopes: ['*'] }),
      ),
    );
    expect(p.trustPolicies.map((s) => s.name)).toEqual(['unsigned', 'global']);
  });
});

describe('the parsed policy', () => {
  test('is frozen throughout', () => {
    const p = parse(
      doc(
        ociStatement('a', {
          signatureVerification: { level: 'strict', override: { expiry: 'log' } },
        }),
      ),
    );
    const s = p.trustPolicies[0]!;
    for (const o of [
      p,
      p.trustPolicies,
      s,
      s.registryScopes,
      s.trustStores,
      s.trustedIdentities,
      s.signatureVerification,
      s.signatureVerification.override,
    ]) {
      expect(Object.isFrozen(o)).toBe(true);
    }
  });

  test('shares no arrays with the input object', () => {
    const input = doc(ociStatement('a'));
    const p = parse(input);
    ((input.trustPolicies as Array<Record<string, string[]>>)[0]!.trustStores as string[]).push(
      'ca:evil',
    );
    expect(p.trustPolicies[0]!.trustStores).toEqual(['ca:acme-rockets']);
  });

  test('keeps statement order', () => {
    const p = parse(doc(ociStatement('c'), ociStatement('a'), ociStatement('b')));
    expect(p.trustPolicies.map((s) => s.name)).toEqual(['c', 'a', 'b']);
  });

  test('errors are PolicyError instances with the policy kind in details', () => {
    const err = invalid({ version: '9' }, 'unsupported');
    expect(err).toBeInstanceOf(PolicyError);
    expect(err.details.policy).toBe('oci');
  });
});
