import { X509Certificate } from 'node:crypto';
import { ErrorCode } from '../../src/errors';
import {
  certificatesFor,
  createTrustStores,
  EMPTY_TRUST_STORES,
  toTrustedCertificate,
} from '../../src/trust/stores';
import type { TrustedCertificate } from '../../src/trust/types';
import { parseCertificate } from '../../src/x509/certificate';
import {
  createCertificate,
  createCodeSigningChain,
  generateKey,
  KeyUsage,
  type TestCert,
} from '../helpers/pki';

async function root(cn: string): Promise<TestCert> {
  const key = await generateKey('ec-p256', 0);
  return createCertificate({
    subject: `C=US,O=Acme,CN=${cn}`,
    key,
    basicConstraints: { ca: true },
    keyUsage: KeyUsage.keyCertSign,
  });
}

function trusted(cert: TestCert): TrustedCertificate {
  return toTrustedCertificate(parseCertificate(cert.der));
}

let a: TrustedCertificate;
let b: TrustedCertificate;
let c: TrustedCertificate;

beforeAll(async () => {
  [a, b, c] = (await Promise.all([root('A'), root('B'), root('C')])).map(trusted) as [
    TrustedCertificate,
    TrustedCertificate,
    TrustedCertificate,
  ];
});

describe('toTrustedCertificate', () => {
  test('keeps fingerprint, RFC 4514 subject, expiry, PEM and a copy of the DER', async () => {
    const chain = await createCodeSigningChain({ name: 'Wabbit' });
    const parsed = parseCertificate(chain.root.der);
    const t = toTrustedCertificate(parsed);
    expect(t.fingerprint).toBe(chain.root.sha256);
    expect(t.subject).toBe('CN=Wabbit Root,O=Wabbit,ST=WA,C=US');
    expect(t.notAfter.getTime()).toBe(parsed.notAfter.getTime());
    expect(new X509Certificate(t.pem).raw.equals(chain.root.der)).toBe(true);
    expect(Buffer.from(t.der).equals(chain.root.der)).toBe(true);
    expect(t.der.buffer).not.toBe(parsed.der.buffer);
    expect(Object.isFrozen(t)).toBe(true);
  });
});

describe('createTrustStores: lookup and listing', () => {
  test('get returns the certificates of a type:name and undefined for an unknown store', () => {
    const stores = createTrustStores([
      { type: 'ca', name: 'acme', certificates: [a, b] },
      { type: 'tsa', name: 'acme', certificates: [c] },
    ]);
    expect(stores.get('ca', 'acme')?.map((x) => x.fingerprint)).toEqual([
      a.fingerprint,
      b.fingerprint,
    ]);
    expect(stores.get('tsa', 'acme')).toEqual([c]);
    expect(stores.get('signingAuthority', 'acme')).toBeUndefined();
    expect(stores.get('ca', 'other')).toBeUndefined();
    expect(stores.get('ca', '__proto__')).toBeUndefined();
  });

  test('list is sorted by type (ca, signingAuthority, tsa) then by name', () => {
    const stores = createTrustStores([
      { type: 'tsa', name: 'a', certificates: [c] },
      { type: 'ca', name: 'zeta', certificates: [a] },
      { type: 'signingAuthority', name: 'm', certificates: [b] },
      { type: 'ca', name: 'Alpha', certificates: [b] },
      { type: 'ca', name: 'alpha', certificates: [c] },
    ]);
    expect(stores.list().map((s) => `${s.type}:${s.name}`)).toEqual([
      'ca:Alpha',
      'ca:alpha',
      'ca:zeta',
      'signingAuthority:m',
      'tsa:a',
    ]);
  });

  test('an empty list of stores is allowed', () => {
    expect(createTrustStores([]).list()).toEqual([]);
    expect(EMPTY_TRUST_STORES.get('ca', 'x')).toBeUndefined();
  });
});

describe('createTrustStores: immutability', () => {
  test('the list, each store, its certificates and each certificate are frozen', () => {
    const input = [a, b];
    const stores = createTrustStores([{ type: 'ca', name: 'acme', certificates: input }]);
    const list = stores.list();
    expect(Object.isFrozen(list)).toBe(true);
    expect(Object.isFrozen(list[0])).toBe(true);
    expect(Object.isFrozen(list[0]?.certificates)).toBe(true);
    expect(Object.isFrozen(stores.get('ca', 'acme')?.[0])).toBe(true);
    expect(Object.isFrozen(stores)).toBe(true);
    expect(() => (list as unknown as unknown[]).push({})).toThrow(TypeError);
  });

  test('changing the input array afterwards does not change the store', () => {
    const input = [a];
    const stores = createTrustStores([{ type: 'ca', name: 'acme', certificates: input }]);
    input.push(b);
    expect(stores.get('ca', 'acme')).toHaveLength(1);
  });

  test('unfrozen certificate objects are copied and frozen', () => {
    const loose = { ...a };
    const stores = createTrustStores([{ type: 'ca', name: 'acme', certificates: [loose] }]);
    const stored = stores.get('ca', 'acme')?.[0];
    expect(Object.isFrozen(stored)).toBe(true);
    expect(stored?.fingerprint).toBe(a.fingerprint);
  });
});

describe('createTrustStores: deduplication', () => {
  test('the same certificate twice in a store is kept once, first position', () => {
    const stores = createTrustStores([{ type: 'ca', name: 'acme', certificates: [b, a, b] }]);
    expect(stores.get('ca', 'acme')?.map((x) => x.fingerprint)).toEqual([
      b.fingerprint,
      a.fingerprint,
    ]);
  });
});

describe('createTrustStores: invalid input', () => {
  test.each([
    ['a space', 'acme rockets'],
    ['a slash', 'acme/rockets'],
    ['an empty name', ''],
    ['a colon', 'ca:acme'],
  ])('a store name with %s is ERR_TRUST_INCOMPLETE', (_, name) => {
    expect(() => createTrustStores([{ type: 'ca', name, certificates: [a] }])).toThrow(
      expect.objectContaining({
        code: ErrorCode.TRUST_INCOMPLETE,
        message: expect.stringContaining('trust store name needs to follow [a-zA-Z0-9_.-]+ format'),
      }),
    );
  });

  test('an unknown or wrongly cased store type is ERR_TRUST_INCOMPLETE', () => {
    for (const type of ['CA', 'signingauthority', 'x509']) {
      expect(() =>
        createTrustStores([{ type: type as 'ca', name: 'acme', certificates: [a] }]),
      ).toThrow(
        expect.objectContaining({
          code: ErrorCode.TRUST_INCOMPLETE,
          message: expect.stringContaining(`unsupported trust store type: ${type}`),
        }),
      );
    }
  });

  test('a store without certificates is ERR_TRUST_INCOMPLETE', () => {
    expect(() => createTrustStores([{ type: 'tsa', name: 'empty', certificates: [] }])).toThrow(
      expect.objectContaining({
        code: ErrorCode.TRUST_INCOMPLETE,
        message: expect.stringContaining(
          'no x509 certificates were found in trust store "empty" of type "tsa"',
        ),
      }),
    );
  });

  test('the same type:name twice is ERR_USAGE', () => {
    expect(() =>
      createTrustStores([
        { type: 'ca', name: 'acme', certificates: [a] },
        { type: 'ca', name: 'acme', certificates: [b] },
      ]),
    ).toThrow(expect.objectContaining({ code: ErrorCode.USAGE }));
  });
});

describe('certificatesFor: the union of the referenced stores of one type', () => {
  test('unions stores of the requested type, deduplicated, in reference order', () => {
    const stores = createTrustStores([
      { type: 'ca', name: 'one', certificates: [a, b] },
      { type: 'ca', name: 'two', certificates: [b, c] },
      { type: 'tsa', name: 'one', certificates: [c] },
    ]);
    const got = certificatesFor(
      stores,
      [
        { type: 'ca', name: 'two' },
        { type: 'tsa', name: 'one' },
        { type: 'ca', name: 'one' },
      ],
      'ca',
    );
    expect(got.certificates.map((x) => x.fingerprint)).toEqual([
      b.fingerprint,
      c.fingerprint,
      a.fingerprint,
    ]);
    expect(got.missing).toEqual([]);
  });

  test('references of other types are skipped, not reported missing', () => {
    const stores = createTrustStores([{ type: 'ca', name: 'one', certificates: [a] }]);
    const got = certificatesFor(stores, [{ type: 'signingAuthority', name: 'nope' }], 'ca');
    expect(got).toEqual({ certificates: [], missing: [] });
  });

  test('a referenced store that does not exist is reported once in missing', () => {
    const stores = createTrustStores([{ type: 'tsa', name: 'ts', certificates: [c] }]);
    const got = certificatesFor(
      stores,
      [
        { type: 'tsa', name: 'gone' },
        { type: 'tsa', name: 'ts' },
        { type: 'tsa', name: 'gone' },
      ],
      'tsa',
    );
    expect(got.certificates).toEqual([c]);
    expect(got.missing).toEqual([{ type: 'tsa', name: 'gone' }]);
  });

  test('store names are case-sensitive', () => {
    const stores = createTrustStores([{ type: 'ca', name: 'Acme', certificates: [a] }]);
    const got = certificatesFor(stores, [{ type: 'ca', name: 'acme' }], 'ca');
    expect(got.missing).toEqual([{ type: 'ca', name: 'acme' }]);
  });
});
