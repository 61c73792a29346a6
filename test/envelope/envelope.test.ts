/**
 * parseEnvelope + verifyEnvelopeSignature on envelopes built by the test
 * signer: one describe per rule of the envelope specifications, both formats.
 */
import { parseEnvelope, verifyEnvelopeSignature, type SignatureEnvelope } from '../../src/envelope';
import { isTufNotaryError } from '../../src/errors';
import { createCodeSigningChain, type TestChain, type TestKeyType } from '../helpers/pki';
import {
  H,
  nowSeconds,
  signEnvelope,
  signJws,
  signCose,
  type SignOptions,
  type TestEnvelopeMediaType,
} from '../helpers/signer';

const JWS = 'application/jose+json';
const COSE = 'application/cose';
const FORMATS: TestEnvelopeMediaType[] = [JWS, COSE];

const chains = new Map<TestKeyType, TestChain>();
const chain = (t: TestKeyType = 'ec-p256'): TestChain => chains.get(t)!;

beforeAll(async () => {
  const types: TestKeyType[] = [
    'ec-p256',
    'ec-p384',
    'ec-p521',
    'rsa-2048',
    'rsa-3072',
    'rsa-4096',
    'rsa-1024',
  ];
  await Promise.all(
    types.map(async (t) => chains.set(t, await createCodeSigningChain({ leafKeyType: t }))),
  );
});

function build(mediaType: TestEnvelopeMediaType, opts: Partial<SignOptions> = {}): Uint8Array {
  return signEnvelope(mediaType, { chain: chain(), ...opts });
}

function parse(
  mediaType: TestEnvelopeMediaType,
  opts: Partial<SignOptions> = {},
): SignatureEnvelope {
  return parseEnvelope(build(mediaType, opts), mediaType);
}

/** Runs fn and returns the error it throws (fails the test when it does not throw). */
function thrown(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected an error, none was thrown');
}

function expectInvalid(
  mediaType: TestEnvelopeMediaType,
  opts: Partial<SignOptions>,
  text?: string | RegExp,
) {
  const err = thrown(() => parse(mediaType, opts));
  expect(err.code).toBe('ERR_ENVELOPE_INVALID');
  if (text) expect(err.message).toMatch(text);
}

function verifies(env: SignatureEnvelope): boolean {
  try {
    verifyEnvelopeSignature(env);
    return true;
  } catch (e) {
    if (isTufNotaryError(e, 'ERR_SIGNATURE_INVALID')) return false;
    throw e;
  }
}

describe('algorithm selection: the leaf key decides', () => {
  const cases: [TestKeyType, string][] = [
    ['rsa-2048', 'RSASSA-PSS-SHA-256'],
    ['rsa-3072', 'RSASSA-PSS-SHA-384'],
    ['rsa-4096', 'RSASSA-PSS-SHA-512'],
    ['ec-p256', 'ECDSA-SHA-256'],
    ['ec-p384', 'ECDSA-SHA-384'],
    ['ec-p521', 'ECDSA-SHA-512'],
  ];
  for (const mediaType of FORMATS) {
    it.each(cases)(`${mediaType}: a %s leaf signs and verifies as %s`, (keyType, algorithm) => {
      const env = parse(mediaType, { chain: chain(keyType) });
      expect(env.algorithm).toBe(algorithm);
      expect(env.certificateChain.map((c) => c.fingerprint)).toEqual([
        chain(keyType).leaf.sha256,
        chain(keyType).intermediate.sha256,
        chain(keyType).root.sha256,
      ]);
      expect(verifies(env)).toBe(true);
    });

    it(`${mediaType}: an RSA-1024 leaf is refused with ERR_ALGORITHM_UNSUPPORTED`, () => {
      const err = thrown(() => parse(mediaType, { chain: chain('rsa-1024') }));
      expect(err.code).toBe('ERR_ALGORITHM_UNSUPPORTED');
      expect(err.message).toMatch(/RSA 1024-bit/);
    });
  }

  it.each([
    [JWS, 'PS384', 'rsa-2048'],
    [JWS, 'ES256', 'rsa-2048'],
    [JWS, 'PS256', 'ec-p256'],
    [JWS, 'ES384', 'ec-p256'],
    [COSE, -38, 'rsa-2048'],
    [COSE, -7, 'rsa-2048'],
    [COSE, -37, 'ec-p256'],
    [COSE, -36, 'ec-p384'],
  ] as const)(
    '%s: alg %s on a %s key is an algorithm mismatch',
    (mediaType, algorithm, keyType) => {
      const err = thrown(() => parse(mediaType, { chain: chain(keyType), algorithm }));
      expect(err.code).toBe('ERR_ENVELOPE_INVALID');
      expect(err.message).toMatch(/requires/);
    },
  );

  it.each([
    [JWS, 'none'],
    [JWS, 'HS256'],
    [JWS, 'RS256'],
    [JWS, 'EdDSA'],
    [JWS, 'ps256'],
    [COSE, -257],
    [COSE, 5],
    [COSE, 'PS256'],
  ] as const)('%s: alg %s is not allowed', (mediaType, algorithm) => {
    expect(thrown(() => parse(mediaType, { algorithm })).code).toBe('ERR_ALGORITHM_UNSUPPORTED');
  });

  it.each(FORMATS)('%s: alg missing or of the wrong type is invalid', (mediaType) => {
    expectInvalid(mediaType, { omitHeaders: ['alg'] }, /alg/);
    expectInvalid(mediaType, { algorithm: [1] }, /alg/);
  });
});

describe('signing schemes and their time attributes', () => {
  it.each(FORMATS)('%s: notary.x509 carries signingTime', (mediaType) => {
    const t = nowSeconds(-60_000);
    const env = parse(mediaType, { signingTime: t });
    expect(env.signingScheme).toBe('notary.x509');
    expect(env.signingTime?.getTime()).toBe(t.getTime());
    expect(env.authenticSigningTime).toBeUndefined();
  });

  it.each(FORMATS)(
    '%s: notary.x509.signingAuthority carries a critical authenticSigningTime',
    (mediaType) => {
      const t = nowSeconds(-60_000);
      const env = parse(mediaType, {
        signingScheme: 'notary.x509.signingAuthority',
        authenticSigningTime: t,
      });
      expect(env.signingScheme).toBe('notary.x509.signingAuthority');
      expect(env.authenticSigningTime?.getTime()).toBe(t.getTime());
      expect(env.critical).toContain(H.authenticSigningTime);
      expect(verifies(env)).toBe(true);
    },
  );

  for (const mediaType of FORMATS) {
    it.each<[string, Partial<SignOptions>, RegExp]>([
      ['notary.x509 without signingTime', { signingTime: null }, /requires .*signingTime/],
      [
        'notary.x509 with authenticSigningTime',
        { authenticSigningTime: nowSeconds() },
        /not allowed/,
      ],
      [
        'signingAuthority without authenticSigningTime',
        { signingScheme: 'notary.x509.signingAuthority', authenticSigningTime: null },
        /requires .*authenticSigningTime/,
      ],
      [
        'signingAuthority with signingTime',
        { signingScheme: 'notary.x509.signingAuthority', signingTime: nowSeconds() },
        /not allowed/,
      ],
      ['an unknown scheme', { signingScheme: 'notary.x509.other' }, /not supported/],
      [
        'no scheme',
        { omitHeaders: [H.signingScheme], dropCrit: [H.signingScheme], extraCrit: [H.signingTime] },
        /./,
      ],
      [
        'a scheme that is not a string',
        { protectedHeaders: { [H.signingScheme]: 1 } },
        /must be a string/,
      ],
    ])(`${mediaType}: %s is invalid`, (_name, opts, text) => expectInvalid(mediaType, opts, text));
  }
});

describe('crit: required, exact, and never unknown', () => {
  for (const mediaType of FORMATS) {
    it.each<[string, Partial<SignOptions>, RegExp]>([
      ['crit missing', { omitHeaders: ['crit'] }, /crit/],
      ['crit empty', { crit: [] }, /crit/],
      ['crit not an array', { crit: H.signingScheme }, /crit/],
      ['crit with a non-string entry', { crit: [H.signingScheme, true] }, /crit/],
      [
        'signingScheme not critical',
        { expiry: nowSeconds(3600_000), dropCrit: [H.signingScheme] },
        /"io.cncf.notary.signingScheme" is present but not listed in "crit"/,
      ],
      [
        'expiry not critical',
        { expiry: nowSeconds(3600_000), dropCrit: [H.expiry] },
        /not listed in "crit"/,
      ],
      [
        'authenticSigningTime not critical',
        { signingScheme: 'notary.x509.signingAuthority', dropCrit: [H.authenticSigningTime] },
        /not listed in "crit"/,
      ],
      [
        'verificationPlugin not critical',
        { verificationPlugin: 'p', dropCrit: [H.verificationPlugin] },
        /not listed/,
      ],
      [
        'a critical header that is absent',
        { extraCrit: [H.expiry] },
        /marked critical but not present/,
      ],
      ['a header listed twice', { extraCrit: [H.signingScheme] }, /more than once/],
      ['signingTime marked critical', { extraCrit: [H.signingTime] }, /informational/],
      [
        'an unknown critical extended attribute',
        { extendedAttributes: { 'io.example.policy': 'x' }, extraCrit: ['io.example.policy'] },
        /unknown critical header "io.example.policy"/,
      ],
    ])(`${mediaType}: %s is invalid`, (_name, opts, text) => expectInvalid(mediaType, opts, text));

    it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
      `${mediaType}: a critical header named "%s" is unknown, not built in`,
      (name) => {
        expectInvalid(
          mediaType,
          { extendedAttributes: Object.fromEntries([[name, 'x']]), extraCrit: [name] },
          new RegExp(`unknown critical header "${name}"`),
        );
      },
    );

    it(`${mediaType}: a registered header in crit is invalid`, () => {
      expectInvalid(mediaType, { extraCrit: [mediaType === JWS ? 'alg' : 1] }, /registered/);
    });

    it(`${mediaType}: a non-critical extended attribute is kept`, () => {
      const env = parse(mediaType, { extendedAttributes: { 'io.example.note': 'hello' } });
      expect(env.extendedAttributes).toEqual([
        { key: 'io.example.note', value: 'hello', critical: false },
      ]);
    });

    it(`${mediaType}: an unknown critical attribute is kept for the named verification plugin`, () => {
      const env = parse(mediaType, {
        verificationPlugin: 'com.example.plugin',
        verificationPluginMinVersion: '1.2.3-rc.1',
        extendedAttributes: { 'io.example.policy': 'x' },
        extraCrit: ['io.example.policy'],
      });
      expect(env.verificationPlugin).toBe('com.example.plugin');
      expect(env.verificationPluginMinVersion).toBe('1.2.3-rc.1');
      expect(env.extendedAttributes).toEqual([
        { key: 'io.example.policy', value: 'x', critical: true },
      ]);
      expect(verifies(env)).toBe(true);
    });

    it.each<[string, Partial<SignOptions>]>([
      ['a min version without a plugin', { verificationPluginMinVersion: '1.0.0' }],
      [
        'a min version that is not SemVer',
        { verificationPlugin: 'p', verificationPluginMinVersion: '1.0' },
      ],
      ['a blank plugin name', { verificationPlugin: '  ' }],
      [
        'a plugin name that is not a string',
        { verificationPlugin: 'p', protectedHeaders: { [H.verificationPlugin]: 7 } },
      ],
    ])(`${mediaType}: %s is invalid`, (_name, opts) => expectInvalid(mediaType, opts));
  }
});

describe('content type', () => {
  for (const mediaType of FORMATS) {
    it.each<[string, Partial<SignOptions>]>([
      ['missing', { omitHeaders: ['cty'] }],
      ['another media type', { contentType: 'application/json' }],
      ['not text', { contentType: 50 }],
    ])(`${mediaType}: cty %s is invalid`, (_name, opts) =>
      expectInvalid(mediaType, opts, /cty|content type/),
    );
  }
});

describe('time values', () => {
  it.each([
    ['2024-13-01T00:00:00Z'],
    ['2024-02-30T00:00:00Z'],
    ['2024-01-01 00:00:00Z'],
    ['2024-01-01T00:00:00'],
    ['yesterday'],
  ])('JWS: signingTime "%s" is not RFC 3339', (value) => {
    expectInvalid(JWS, { signingTime: value }, /RFC 3339/);
  });

  it('JWS: a numeric signingTime is invalid', () => {
    expectInvalid(JWS, { protectedHeaders: { [H.signingTime]: 1700000000 } }, /RFC 3339/);
  });

  it('JWS: offsets and fractional seconds are read correctly', () => {
    const env = parse(JWS, { signingTime: '2023-03-14T16:10:02.5+08:00' });
    expect(env.signingTime?.toISOString()).toBe('2023-03-14T08:10:02.500Z');
  });

  it.each<[string, unknown]>([
    ['an untagged integer', 1700000000],
    ['an RFC 3339 string', '2024-01-01T00:00:00Z'],
  ])('COSE: signingTime as %s is invalid (tag 1 required)', (_name, value) => {
    expectInvalid(COSE, { protectedHeaders: { [H.signingTime]: value } }, /tag 1/);
  });

  for (const mediaType of FORMATS) {
    it(`${mediaType}: expiry after the signing time is kept`, () => {
      const expiry = nowSeconds(3600_000);
      expect(parse(mediaType, { expiry }).expiry?.getTime()).toBe(expiry.getTime());
    });
    it(`${mediaType}: expiry equal to or before the signing time is invalid`, () => {
      const t = nowSeconds();
      expectInvalid(mediaType, { signingTime: t, expiry: t }, /must be after/);
      expectInvalid(
        mediaType,
        { signingTime: t, expiry: new Date(t.getTime() - 1000) },
        /must be after/,
      );
    });
  }
});

describe('duplicate header keys', () => {
  it.each([
    ['alg', 'ES384'],
    [H.signingScheme, 'notary.x509.signingAuthority'],
    ['cty', 'x/y'],
  ])('JWS: a repeated "%s" in the protected header is invalid', (name, value) =>
    expectInvalid(JWS, { duplicateHeader: { name, value } }, /more than once/),
  );

  it('JWS: a repeat written with a JSON escape is still a repeat', () => {
    const bytes = build(JWS);
    const env = JSON.parse(Buffer.from(bytes).toString()) as Record<string, string>;
    const header = Buffer.from(env.protected!, 'base64url').toString();
    env.protected = Buffer.from(header.slice(0, -1) + ',"\\u0061lg":"ES384"}').toString(
      'base64url',
    );
    const err = thrown(() => parseEnvelope(Buffer.from(JSON.stringify(env)), JWS));
    expect(err.message).toMatch(/"alg" appears more than once/);
  });

  it('JWS: a repeated top-level member is invalid', () => {
    const text = Buffer.from(build(JWS)).toString();
    const dup = text.slice(0, -1) + ',"payload":"e30"}';
    expect(thrown(() => parseEnvelope(Buffer.from(dup), JWS)).message).toMatch(/more than once/);
  });

  it.each([
    ['alg', -35],
    [H.signingScheme, 'notary.x509.signingAuthority'],
  ])('COSE: a repeated "%s" label in the protected header is invalid', (name, value) =>
    expectInvalid(COSE, { duplicateHeader: { name, value } }, /duplicate CBOR map key/),
  );

  for (const mediaType of FORMATS) {
    it(`${mediaType}: a header in both the protected and unprotected buckets is invalid`, () => {
      const name = mediaType === JWS ? H.signingScheme : H.signingScheme;
      expectInvalid(mediaType, { unprotectedHeaders: { [name]: 'notary.x509' } }, /also appears/);
    });
  }
});

describe('payload', () => {
  for (const mediaType of FORMATS) {
    it(`${mediaType}: the descriptor is exposed with its annotations and the raw bytes`, () => {
      const env = parse(mediaType, {
        targetArtifact: {
          annotations: { 'io.example.build': '42' },
          artifactType: 'application/vnd.example+json',
        },
      });
      expect(env.payload.targetArtifact.annotations).toEqual({ 'io.example.build': '42' });
      expect(env.payload.targetArtifact.artifactType).toBe('application/vnd.example+json');
      expect(JSON.parse(Buffer.from(env.payloadBytes).toString())).toHaveProperty('targetArtifact');
    });

    it.each([['sha384:' + 'a'.repeat(96)], ['sha512:' + 'b'.repeat(128)]])(
      `${mediaType}: digest %s is accepted`,
      (digest) => {
        expect(parse(mediaType, { targetArtifact: { digest } }).payload.targetArtifact.digest).toBe(
          digest,
        );
      },
    );

    it.each<[string, Partial<SignOptions>]>([
      ['no targetArtifact', { payload: { other: 1 } }],
      [
        'an unknown top-level member',
        {
          payload: {
            targetArtifact: { mediaType: 'a/b', digest: 'sha256:' + '0'.repeat(64), size: 1 },
            extra: 1,
          },
        },
      ],
      ['not JSON', { payload: Buffer.from('not json') }],
      ['a JSON array', { payload: Buffer.from('[]') }],
      ['invalid UTF-8', { payload: Buffer.from([0x7b, 0xff, 0x7d]) }],
      ['no mediaType', { targetArtifact: { mediaType: undefined } }],
      ['a mediaType without a subtype', { targetArtifact: { mediaType: 'application' } }],
      ['no digest', { targetArtifact: { digest: undefined } }],
      ['an md5 digest', { targetArtifact: { digest: 'md5:' + '0'.repeat(32) } }],
      ['a short sha256 digest', { targetArtifact: { digest: 'sha256:' + '0'.repeat(63) } }],
      [
        'a sha256 digest with 96 hex digits',
        { targetArtifact: { digest: 'sha256:' + '0'.repeat(96) } },
      ],
      ['an uppercase digest', { targetArtifact: { digest: 'sha256:' + 'A'.repeat(64) } }],
      ['no size', { targetArtifact: { size: undefined } }],
      ['a negative size', { targetArtifact: { size: -1 } }],
      ['a fractional size', { targetArtifact: { size: 1.5 } }],
      ['a string size', { targetArtifact: { size: '12' } }],
      ['a non-string annotation', { targetArtifact: { annotations: { a: 1 } } }],
      ['annotations as an array', { targetArtifact: { annotations: ['a'] } }],
      ['urls that are not strings', { targetArtifact: { urls: [1] } }],
      [
        'a duplicate key',
        {
          payload: Buffer.from(
            '{"targetArtifact":{"mediaType":"a/b","digest":"sha256:' +
              '0'.repeat(64) +
              '","size":1,"size":2}}',
          ),
        },
      ],
    ])(`${mediaType}: a payload with %s is invalid`, (_name, opts) =>
      expectInvalid(mediaType, opts, /payload/),
    );
  }
});

describe('certificate chain and unsigned attributes', () => {
  for (const mediaType of FORMATS) {
    const chainName = mediaType === JWS ? 'x5c' : 'x5chain';
    it(`${mediaType}: a single self-signed certificate is a chain`, () => {
      const env = parse(mediaType, { certificates: [chain().leaf] });
      expect(env.certificateChain).toHaveLength(1);
    });
    it(`${mediaType}: a missing chain is invalid`, () => {
      expectInvalid(mediaType, { unprotectedHeaders: { [chainName]: undefined } }, /required/);
    });
    it(`${mediaType}: an empty chain is invalid`, () => {
      expectInvalid(mediaType, { certificates: [] }, /empty/);
    });
    it(`${mediaType}: more than 16 certificates is invalid`, () => {
      expectInvalid(mediaType, { certificates: Array(17).fill(chain().leaf) }, /16/);
    });
    it(`${mediaType}: a certificate that does not parse is invalid`, () => {
      expectInvalid(
        mediaType,
        { certificates: [chain().leaf, Buffer.from('not a certificate')] },
        /certificate 2/,
      );
    });
    it(`${mediaType}: the timestamp token and signing agent are carried`, () => {
      const token = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]);
      const env = parse(mediaType, { timestampToken: token, signingAgent: 'tuf-notary-test/1.0' });
      expect(Buffer.from(env.timestampToken!)).toEqual(token);
      expect(env.signingAgent).toBe('tuf-notary-test/1.0');
    });
    it(`${mediaType}: a timestamp token of the wrong type is invalid`, () => {
      expectInvalid(
        mediaType,
        { unprotectedHeaders: { [H.timestampSignature]: 12 } },
        /timestampSignature/,
      );
    });
    it(`${mediaType}: unknown unprotected headers are ignored`, () => {
      expect(
        parse(mediaType, { unprotectedHeaders: { 'io.cncf.notary.SigningAgent': 'x' } })
          .signingAgent,
      ).toBeUndefined();
    });
  }

  it('JWS: x5c that is not an array of base64 strings is invalid', () => {
    expectInvalid(JWS, { unprotectedHeaders: { x5c: 'MIIB' } }, /x5c/);
    expectInvalid(JWS, { unprotectedHeaders: { x5c: ['MII*'] } }, /base64/);
    expectInvalid(
      JWS,
      { unprotectedHeaders: { x5c: [chain().leaf.der.toString('base64url')] } },
      /base64/,
    );
  });

  it('COSE: x5chain as a single byte string is invalid', () => {
    expectInvalid(
      COSE,
      { unprotectedHeaders: { x5chain: chain().leaf.der } },
      /array of byte strings/,
    );
  });

  it('COSE: x5chain in the protected header is accepted (the spec allows it)', () => {
    const env = parse(COSE, {
      unprotectedHeaders: { x5chain: undefined },
      protectedHeaders: { '33': [chain().leaf.der, chain().intermediate.der, chain().root.der] },
    });
    expect(env.certificateChain).toHaveLength(3);
    expect(verifies(env)).toBe(true);
  });

  it('COSE: crit repeated in the unprotected header is invalid', () => {
    expectInvalid(
      COSE,
      { unprotectedHeaders: { '2': ['x'] } },
      /label 2 also appears in the protected header/,
    );
  });
});

describe('integrity: the signature covers payload and protected header', () => {
  for (const mediaType of FORMATS) {
    it.each(['rsa-2048', 'ec-p384'] as TestKeyType[])(
      `${mediaType}: an untouched %s envelope verifies`,
      (k) => {
        expect(verifies(parse(mediaType, { chain: chain(k) }))).toBe(true);
      },
    );
    it.each(['payload', 'protected', 'signature'] as const)(
      `${mediaType}: a tampered %s fails with ERR_SIGNATURE_INVALID`,
      (tamper) => {
        for (const k of ['rsa-2048', 'ec-p256'] as TestKeyType[]) {
          const env = parse(mediaType, { chain: chain(k), tamper });
          expect(verifies(env)).toBe(false);
        }
      },
    );
    it(`${mediaType}: a signature by another key fails`, () => {
      const env = parse(mediaType, {
        signingKey: chain('ec-p384').intermediateKey.privateKeyObject,
        chain: chain('ec-p384'),
      });
      expect(verifies(env)).toBe(false);
    });
    it(`${mediaType}: an RSA-PSS signature with a salt shorter than the hash fails`, () => {
      expect(verifies(parse(mediaType, { chain: chain('rsa-2048'), pssSaltLength: 0 }))).toBe(
        false,
      );
    });
    it(`${mediaType}: the error says what failed and what to suspect`, () => {
      const env = parse(mediaType, { tamper: 'signature' });
      const err = thrown(() => verifyEnvelopeSignature(env));
      expect(err.code).toBe('ERR_SIGNATURE_INVALID');
      expect(err.message).toMatch(/does not verify/);
    });
  }

  it('a hand-built envelope whose algorithm does not fit the key fails closed', () => {
    const env = parse(JWS, { chain: chain('ec-p256') });
    const forged: SignatureEnvelope = { ...env, algorithm: 'ECDSA-SHA-384' };
    expect(verifies(forged)).toBe(false);
  });

  it('a hand-built envelope without certificates fails closed', () => {
    const env = parse(JWS);
    expect(verifies({ ...env, certificateChain: [] })).toBe(false);
  });
});

describe('structure and bounds', () => {
  it('an unsupported media type is invalid', () => {
    const err = thrown(() => parseEnvelope(build(JWS), 'application/json'));
    expect(err.code).toBe('ERR_ENVELOPE_INVALID');
    expect(err.message).toMatch(/not supported/);
  });

  it.each(FORMATS)('%s: an empty envelope is invalid', (mediaType) => {
    expect(thrown(() => parseEnvelope(new Uint8Array(0), mediaType)).code).toBe(
      'ERR_ENVELOPE_INVALID',
    );
  });

  it.each(FORMATS)('%s: an envelope over 4 MiB is refused before parsing', (mediaType) => {
    const err = thrown(() => parseEnvelope(new Uint8Array(4 * 1024 * 1024 + 1), mediaType));
    expect(err.message).toMatch(/limit/);
  });

  it.each(FORMATS)('%s: more than 64 protected headers is invalid', (mediaType) => {
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`io.example.h${i}`, i]));
    expectInvalid(mediaType, { extendedAttributes: many }, /more than 64/);
  });

  it.each(FORMATS)('%s: deeply nested header values are invalid', (mediaType) => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expectInvalid(mediaType, { extendedAttributes: { 'io.example.deep': deep } }, /deeper|nested/);
  });

  it('JWS: the general serialization is invalid', () => {
    const env = JSON.parse(Buffer.from(build(JWS)).toString()) as Record<string, unknown>;
    const general = {
      payload: env.payload,
      signatures: [{ protected: env.protected, header: env.header, signature: env.signature }],
    };
    expect(thrown(() => parseEnvelope(Buffer.from(JSON.stringify(general)), JWS)).message).toMatch(
      /flattened/,
    );
  });

  it.each<[string, (e: Record<string, unknown>) => void]>([
    ['an unknown top-level member', (e) => (e.extra = 1)],
    ['no header', (e) => delete e.header],
    ['padded base64url payload', (e) => (e.payload = `${e.payload as string}=`)],
    [
      'standard base64 in the signature',
      (e) => (e.signature = (e.signature as string).replace(/-/g, '+') + '+'),
    ],
    ['an empty signature', (e) => (e.signature = '')],
    [
      'a protected header that is not JSON',
      (e) => (e.protected = Buffer.from('{"alg"').toString('base64url')),
    ],
    [
      'a protected header that is an array',
      (e) => (e.protected = Buffer.from('[]').toString('base64url')),
    ],
  ])('JWS: %s is invalid', (_name, mutate) => {
    const env = JSON.parse(Buffer.from(build(JWS)).toString()) as Record<string, unknown>;
    mutate(env);
    expect(thrown(() => parseEnvelope(Buffer.from(JSON.stringify(env)), JWS)).code).toBe(
      'ERR_ENVELOPE_INVALID',
    );
  });

  it('JWS: a top-level array is invalid', () => {
    expect(thrown(() => parseEnvelope(Buffer.from('[]'), JWS)).code).toBe('ERR_ENVELOPE_INVALID');
  });

  it('JWS: b64=false (unencoded payload) is refused', () => {
    expectInvalid(JWS, { protectedHeaders: { b64: false }, extraCrit: ['b64'] }, /b64/);
  });

  it('COSE: bytes that are not a tagged COSE_Sign1 are invalid', () => {
    const bytes = build(COSE);
    expect(thrown(() => parseEnvelope(bytes.subarray(1), COSE)).message).toMatch(/0xD2 0x84/);
  });

  it('COSE: trailing bytes are invalid', () => {
    const bytes = Buffer.concat([build(COSE), Buffer.from([0x00])]);
    expect(thrown(() => parseEnvelope(bytes, COSE)).message).toMatch(/trailing/);
  });

  it('COSE: a truncated message is invalid', () => {
    const bytes = build(COSE);
    expect(thrown(() => parseEnvelope(bytes.subarray(0, bytes.length - 10), COSE)).code).toBe(
      'ERR_ENVELOPE_INVALID',
    );
  });

  it('COSE: an indefinite-length item is invalid', () => {
    // Turn the unprotected map's head into an indefinite-length map head (0xBF).
    const bytes = Buffer.from(build(COSE));
    const protLen = readBstrLength(bytes, 2);
    const mapAt = 2 + protLen.header + protLen.length;
    const count = bytes[mapAt]! & 0x1f;
    expect(bytes[mapAt]! >> 5).toBe(5);
    expect(count).toBeLessThan(24);
    const indefinite = Buffer.concat([
      bytes.subarray(0, mapAt),
      Buffer.from([0xbf]),
      bytes.subarray(mapAt + 1),
    ]);
    expect(thrown(() => parseEnvelope(indefinite, COSE)).message).toMatch(/indefinite|CBOR/);
  });

  it('COSE: a tag other than 18 and 1 is refused before cbor-x sees it', () => {
    // Tag 27 (cbor-x: "construct a global by name") in the unprotected header.
    const bytes = signCose({ chain: chain(), signingAgent: 'x' });
    const agent = Buffer.from([0x61, 0x78]); // text "x"
    const at = Buffer.from(bytes).lastIndexOf(agent);
    const evil = Buffer.concat([
      Buffer.from(bytes.subarray(0, at)),
      Buffer.from([0xd8, 0x1b, 0x82, 0x65]),
      Buffer.from('Error'),
      Buffer.from([0x61, 0x78]),
      Buffer.from(bytes.subarray(at + 2)),
    ]);
    expect(thrown(() => parseEnvelope(evil, COSE)).message).toMatch(/tag 27 is not allowed/);
  });

  it('COSE: a detached (null) payload is invalid', () => {
    const bytes = Buffer.from(signCose({ chain: chain() }));
    // Replace the payload bstr by null: rebuild with cbor-x from the decoded parts.
    const { Decoder, Encoder, Tag } = jest.requireActual<typeof import('cbor-x')>('cbor-x');
    const msg = new Decoder({ mapsAsObjects: false }).decode(bytes) as InstanceType<typeof Tag>;
    const parts = msg.value as unknown[];
    const detached = new Encoder({
      mapsAsObjects: false,
      useRecords: false,
      tagUint8Array: false,
    }).encode(new Tag([parts[0], parts[1], null, parts[3]], 18));
    expect(thrown(() => parseEnvelope(detached, COSE)).message).toMatch(/detached/);
  });

  it('JWS: signJws output parses as JSON with exactly the four members', () => {
    const env = JSON.parse(Buffer.from(signJws({ chain: chain() })).toString()) as object;
    expect(Object.keys(env).sort()).toEqual(['header', 'payload', 'protected', 'signature']);
  });
});

function readBstrLength(buf: Buffer, at: number): { header: number; length: number } {
  const info = buf[at]! & 0x1f;
  if (info < 24) return { header: 1, length: info };
  if (info === 24) return { header: 2, length: buf[at + 1]! };
  if (info === 25) return { header: 3, length: buf.readUInt16BE(at + 1) };
  return { header: 5, length: buf.readUInt32BE(at + 1) };
}
