/**
 * `x509.subject` distinguished names (trust-store-trust-policy.md "Trusted
 * Identities Constraints"; DIGEST §2.6): parsing with go-ldap's RFC 4514
 * rules and notation's checks, and matching against a leaf subject.
 */
import fc from 'fast-check';
import { ErrorCode } from '../../src/errors';
import { matchesTrustedIdentities, parseDistinguishedName } from '../../src/policy';
import { formatName, parseCertificate, type NameAttribute } from '../../src/x509/certificate';
import { createCertificate, generateKey } from '../helpers/pki';
import { expectError } from './fixtures';

const dn = (s: string) => Object.fromEntries(parseDistinguishedName(s));
const bad = (s: string, ...parts: string[]) =>
  expectError(() => parseDistinguishedName(s), ErrorCode.POLICY_INVALID, ...parts);

/** Leaf subject attributes in certificate order (most significant first). */
function subject(...pairs: Array<[string, string]>): NameAttribute[] {
  return pairs.map(([type, value]) => ({ type, oid: '', value }));
}

describe('DN syntax (RFC 4514 as go-ldap reads it)', () => {
  test('RDNs separated by "," or ";", in order', () => {
    expect(dn('C=US,ST=WA,O=Acme')).toEqual({ C: 'US', ST: 'WA', O: 'Acme' });
    expect(dn('C=US;ST=WA;O=Acme')).toEqual({ C: 'US', ST: 'WA', O: 'Acme' });
    expect([...parseDistinguishedName('O=Acme, C=US, ST=WA').keys()]).toEqual(['O', 'C', 'ST']);
  });

  test('spaces around types and values are trimmed; inner spaces are kept', () => {
    expect(dn('  C = US ,  ST=WA,O=  My.  Org  ')).toEqual({ C: 'US', ST: 'WA', O: 'My.  Org' });
  });

  test('escaped specials: \\, \\; \\+ \\" \\\\ \\< \\> \\= \\# and "\\ "', () => {
    expect(dn('C=US,ST=WA,O=a\\,b\\;c\\+d\\"e\\\\f\\<g\\>h\\=i\\#j')).toMatchObject({
      O: 'a,b;c+d"e\\f<g>h=i#j',
    });
    expect(dn('C=US,ST=WA,O=My "special" Org \\, \\; \\\\ others').O).toBe(
      'My "special" Org , ; \\ others',
    );
  });

  test('leading and trailing spaces are kept only when escaped', () => {
    expect(dn('C=US,ST=WA,O=\\ Acme\\ ').O).toBe(' Acme ');
    expect(dn('C=US,ST=WA,O=Acme\\  ').O).toBe('Acme ');
    expect(dn('C=US,ST=WA,O=Acme\\\\ ').O).toBe('Acme\\'); // "\\\\" is a backslash; the space after it is not escaped
  });

  test('hex escapes, several bytes forming UTF-8', () => {
    expect(dn('C=US,ST=WA,O=\\41cme').O).toBe('Acme');
    expect(dn('C=US,ST=WA,O=Caf\\C3\\A9').O).toBe('Café');
    expect(dn('C=US,ST=WA,O=Café').O).toBe('Café');
  });

  test('an unescaped "=" in a value is part of it (go-ldap ≥ 3.4.5)', () => {
    expect(dn('C=US,ST=WA,O=a=b').O).toBe('a=b');
  });

  test('types keep their case and are not restricted', () => {
    expect(dn('C=US,ST=WA,O=Acme,CustomRDN=CustomValue,1.2.3.4=x')).toMatchObject({
      CustomRDN: 'CustomValue',
      '1.2.3.4': 'x',
    });
    bad('c=US,ST=WA,O=Acme', 'has no mandatory RDN attribute for "C"');
  });

  test('"S" is "ST"; "emailAddress" is "E"', () => {
    expect(dn('C=US,S=California,O=Notary Project')).toEqual({
      C: 'US',
      ST: 'California',
      O: 'Notary Project',
    });
    expect(dn('C=US,ST=WA,O=Acme,emailAddress=a@acme.io')).toMatchObject({ E: 'a@acme.io' });
  });

  test('type names such as __proto__ are ordinary keys', () => {
    expect(parseDistinguishedName('C=US,ST=WA,O=Acme,__proto__=x').get('__proto__')).toBe('x');
  });

  test.each([
    [',,,', 'incomplete type, value pair'],
    ['invalid', 'DN ended with incomplete type, value pair'],
    ['C=US,', 'DN ended with incomplete type, value pair'],
    ['C=US,ST', 'DN ended with incomplete type, value pair'],
    ['=US,ST=WA,O=x', 'an attribute type is empty'],
    ['C=US,ST=WA,O=x\\', 'got corrupted escaped character'],
    ['C=US,ST=WA,O=x\\zz', 'failed to decode escaped character'],
    ['C=US,ST=WA,O=x\\4', 'failed to decode escaped character'],
    ['C=US,ST=WA,O=x\\é1', 'failed to decode escaped character'],
    ['C=US,ST=WA,O=\\C3', 'not valid UTF-8'],
  ])('malformed %j: %s', (input, reason) => {
    bad(
      input,
      `parsing distinguished name (DN) ${JSON.stringify(input)} failed with err: `,
      reason,
      'follow RFC 4514 standard',
    );
  });

  test('hex-encoded values ("=#") are not supported', () => {
    bad(
      'C=US,ST=California,O=Notary Project=#',
      'notation does not support x509.subject identities containing "=#"',
    );
    bad('C=US,ST=WA,O=#04024869', 'containing "=#"');
  });

  test(`longer than 4096 characters`, () => {
    bad(`C=US,ST=WA,O=${'x'.repeat(5000)}`, 'character limit');
  });
});

describe('DN rules of notation', () => {
  test('multi-valued RDNs are rejected', () => {
    bad(
      'OU=Sales+CN=J.  Smith,DC=example,DC=net',
      'has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported',
    );
    bad('C=US+ST=WA,O=MyOrg', 'multi-valued');
  });

  test('an attribute type may occur once (S and ST are the same type)', () => {
    bad(
      'C=US,C=IN',
      'distinguished name (DN) "C=US,C=IN" has duplicate RDN attribute for "C", DN can only have unique RDN attributes',
    );
    bad('C=US,ST=California,O=Notary Project,S=California', 'duplicate RDN attribute for "ST"');
    bad('C=US,ST=WA,O=x,OU=,OU=y', 'duplicate RDN attribute for "OU"');
  });

  test('C, ST (or S) and O are mandatory and non-empty, checked in that order', () => {
    bad(
      'C=US,ST=California',
      "has no mandatory RDN attribute for \"O\", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum",
    );
    bad('C=US,O=Notary Project', 'for "ST"');
    bad('O=x', 'for "C"');
    bad('C=US,ST=,O=x', 'for "ST"');
    bad('', 'distinguished name (DN) "" has no mandatory RDN attribute for "C"');
    bad('   ', 'for "C"');
  });

  test('an empty optional attribute is allowed', () => {
    expect(dn('C=US,ST=WA,O=x,OU=')).toMatchObject({ OU: '' });
  });

  test('round trip: values escaped by the certificate model parse back unchanged', () => {
    const specials = fc.constantFrom(
      ',',
      '+',
      ';',
      '\\',
      ' ',
      '#',
      '=',
      '"',
      '<',
      '>',
      'a',
      'é',
      '😀',
    );
    const value = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
      fc.string({ unit: specials, minLength: 1, maxLength: 12 }),
    );
    fc.assert(
      fc.property(value, value, value, value, (c, st, o, cn) => {
        const text = formatName(subject(['C', c], ['ST', st], ['O', o], ['CN', cn]));
        fc.pre(!text.includes('=#')); // notation rejects "=#" anywhere in the DN
        expect(Object.fromEntries(parseDistinguishedName(text))).toEqual({
          CN: cn,
          O: o,
          ST: st,
          C: c,
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('matching a leaf subject', () => {
  const leaf = subject(
    ['C', 'US'],
    ['ST', 'WA'],
    ['L', 'Seattle'],
    ['O', 'acme-rockets.io'],
    ['OU', 'Finance'],
    ['CN', 'SecureBuilder'],
  );

  test('"*" trusts any leaf', () => {
    expect(matchesTrustedIdentities(['*'], leaf)).toBe(true);
    expect(matchesTrustedIdentities(['*'], [])).toBe(true);
  });

  test('the full subject, or any subset that has C, ST and O', () => {
    expect(
      matchesTrustedIdentities(
        ['x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Finance, CN=SecureBuilder'],
        leaf,
      ),
    ).toBe(true);
    expect(
      matchesTrustedIdentities(
        ['x509.subject: CN=SecureBuilder, O=acme-rockets.io, S=WA, C=US'],
        leaf,
      ),
    ).toBe(true);
    expect(matchesTrustedIdentities(['x509.subject:C=US,ST=WA,O=acme-rockets.io'], leaf)).toBe(
      true,
    );
  });

  test('an attribute the leaf lacks, or with another value, does not match', () => {
    expect(
      matchesTrustedIdentities(['x509.subject:C=US,ST=WA,O=acme-rockets.io,OU=Security'], leaf),
    ).toBe(false);
    expect(
      matchesTrustedIdentities(['x509.subject:C=US,ST=WA,O=acme-rockets.io,T=Boss'], leaf),
    ).toBe(false);
    expect(
      matchesTrustedIdentities(['x509.subject:C=US,ST=WA,O=acme-rockets.io,OU='], leaf.slice(0, 4)),
    ).toBe(false);
  });

  test('values and types are compared case-sensitively', () => {
    expect(matchesTrustedIdentities(['x509.subject:C=US,ST=WA,O=Acme-Rockets.io'], leaf)).toBe(
      false,
    );
    expect(
      matchesTrustedIdentities(
        ['x509.subject:C=US,ST=WA,O=acme-rockets.io,cn=SecureBuilder'],
        leaf,
      ),
    ).toBe(false);
  });

  test('any matching identity is enough', () => {
    expect(
      matchesTrustedIdentities(
        [
          'x509.subject:C=US,ST=WA,O=wabbit',
          'x509.subject:C=US,ST=WA,O=acme-rockets.io,CN=SecureBuilder',
        ],
        leaf,
      ),
    ).toBe(true);
  });

  test('identities with other prefixes are ignored; with no x509.subject identity nobody is trusted', () => {
    expect(matchesTrustedIdentities(['plugin:anything'], leaf)).toBe(false);
    expect(
      matchesTrustedIdentities(
        ['plugin:anything', 'x509.subject:C=US,ST=WA,O=acme-rockets.io'],
        leaf,
      ),
    ).toBe(true);
    expect(matchesTrustedIdentities([], leaf)).toBe(false);
  });

  test('a leaf that repeats an attribute type matches no x509.subject identity (as in Go)', () => {
    const twoOus = subject(['C', 'US'], ['ST', 'WA'], ['O', 'acme'], ['OU', 'a'], ['OU', 'b']);
    expect(matchesTrustedIdentities(['x509.subject:C=US,ST=WA,O=acme'], twoOus)).toBe(false);
    expect(matchesTrustedIdentities(['*'], twoOus)).toBe(true);
  });

  test('an invalid x509.subject identity throws ERR_POLICY_INVALID', () => {
    expectError(
      () => matchesTrustedIdentities(['x509.subject:C=US'], leaf),
      ErrorCode.POLICY_INVALID,
      'has no mandatory RDN attribute',
    );
  });

  test('the parse of a frozen identity list is cached; an unfrozen list is re-read', () => {
    const ids = ['x509.subject:C=US,ST=WA,O=acme-rockets.io'];
    expect(matchesTrustedIdentities(ids, leaf)).toBe(true);
    ids[0] = 'x509.subject:C=US,ST=WA,O=other';
    expect(matchesTrustedIdentities(ids, leaf)).toBe(false);
  });
});

describe('matching real certificates', () => {
  test('subject attributes from the certificate model, including ones Go has no name for', async () => {
    const key = await generateKey('ec-p256', 0);
    const cert = await createCertificate({
      subject: 'C=US, ST=WA, L=Seattle, O=acme\\, inc., OU=Build, CN=Signer, E=build@acme.io',
      key,
    });
    const parsed = parseCertificate(cert.der);
    const attrs = parsed.subjectAttributes;
    expect(attrs.map((a) => a.type)).toEqual(['C', 'ST', 'L', 'O', 'OU', 'CN', 'E']);
    expect(matchesTrustedIdentities(['x509.subject: C=US, ST=WA, O=acme\\, inc.'], attrs)).toBe(
      true,
    );
    expect(
      matchesTrustedIdentities(
        ['x509.subject: C=US, ST=WA, O=acme\\, inc., emailAddress=build@acme.io'],
        attrs,
      ),
    ).toBe(true);
    expect(
      matchesTrustedIdentities(
        ['x509.subject: C=US, ST=WA, O=acme\\, inc., E=other@acme.io'],
        attrs,
      ),
    ).toBe(false);
    // the certificate's own RFC 4514 subject string is a valid identity that matches it
    expect(matchesTrustedIdentities([`x509.subject:${parsed.subject}`], attrs)).toBe(true);
  });
});
