/**
 * Integrity (DIGEST §5.2 step 1, always enforced): algorithms, tampering,
 * the payload against the artifact, critical headers and the certificate
 * requirements checked without time.
 */
import type { VerifierTrust } from '../../src/trust/types';
import { Verifier } from '../../src/verify';
import type { VerificationOutcome } from '../../src/verify/types';
import { generateKey, KeyUsage, OID, type TestChain, type TestKeyType } from '../helpers/pki';
import { defaultTargetArtifact, signEnvelope, type SignOptions } from '../helpers/signer';
import {
  ARTIFACT,
  buildChain,
  check,
  KEY_INDEX,
  makeTrust,
  MEDIA_TYPES,
  REPOSITORY,
} from './fixtures';

let chain: TestChain;

beforeAll(async () => {
  chain = await buildChain({ name: 'Acme' });
});

function trustFor(c: TestChain, level: 'strict' | 'audit' = 'strict'): VerifierTrust {
  return makeTrust({ stores: { 'ca:acme': [c.root] }, statements: [{ level }] });
}

async function run(
  mediaType: (typeof MEDIA_TYPES)[number],
  opts: Partial<SignOptions> & { chain?: TestChain },
  extra: { artifact?: string; trust?: VerifierTrust; descriptor?: unknown } = {},
): Promise<VerificationOutcome> {
  const c = opts.chain ?? chain;
  const verifier = new Verifier(extra.trust ?? trustFor(c));
  return verifier.verify({
    artifact: extra.artifact ?? ARTIFACT,
    envelope: signEnvelope(mediaType, { ...opts, chain: c }),
    mediaType,
    ...(extra.descriptor
      ? { descriptor: extra.descriptor as Parameters<Verifier['verify']>[0]['descriptor'] & object }
      : {}),
  });
}

function expectIntegrityFailure(o: VerificationOutcome, code: string): void {
  expect(o.ok).toBe(false);
  expect(o.error?.code).toBe(code);
  expect(check(o, 'integrity')).toMatchObject({ result: 'failed', action: 'enforced' });
  expect(check(o, 'integrity').error?.code).toBe(code);
  // Nothing after an enforced failure ran.
  for (const name of ['authenticity', 'expiry', 'authenticTimestamp', 'revocation'] as const) {
    expect(check(o, name).result).toBe('skipped');
  }
}

const ALGORITHMS: [TestKeyType, string][] = [
  ['ec-p256', 'ECDSA-SHA-256'],
  ['ec-p384', 'ECDSA-SHA-384'],
  ['ec-p521', 'ECDSA-SHA-512'],
  ['rsa-2048', 'RSASSA-PSS-SHA-256'],
  ['rsa-3072', 'RSASSA-PSS-SHA-384'],
  ['rsa-4096', 'RSASSA-PSS-SHA-512'],
];

describe('every allowed algorithm verifies (signature specification, Algorithm Selection)', () => {
  const chains = new Map<TestKeyType, TestChain>();
  beforeAll(async () => {
    for (const [type] of ALGORITHMS) {
      chains.set(type, await buildChain({ name: 'Acme', leafKeyType: type }));
    }
  });
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test.each(ALGORITHMS)('a %s leaf signs with %s and verifies', async (type, algorithm) => {
      const c = chains.get(type)!;
      const o = await run(mediaType, { chain: c });
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
      expect(o.envelope?.algorithm).toBe(algorithm);
      expect(check(o, 'integrity')).toMatchObject({ result: 'passed', action: 'enforced' });
    });
  });
});

describe('a tampered envelope fails integrity, enforced at every level', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test.each(['payload', 'protected', 'signature'] as const)(
      'tampered %s under strict → ERR_SIGNATURE_INVALID',
      async (tamper) => {
        const o = await run(mediaType, { tamper });
        expectIntegrityFailure(o, 'ERR_SIGNATURE_INVALID');
      },
    );
    test.each(['payload', 'protected', 'signature'] as const)(
      'tampered %s under audit is still enforced',
      async (tamper) => {
        const o = await run(mediaType, { tamper }, { trust: trustFor(chain, 'audit') });
        expect(o.level).toBe('audit');
        expectIntegrityFailure(o, 'ERR_SIGNATURE_INVALID');
      },
    );
    test('signed with a key other than the leaf’s → ERR_SIGNATURE_INVALID', async () => {
      const other = await generateKey('ec-p256', KEY_INDEX.stranger);
      const o = await run(mediaType, { signingKey: other.privateKeyObject });
      expectIntegrityFailure(o, 'ERR_SIGNATURE_INVALID');
    });
  });
});

describe('the payload must describe the artifact (DIGEST §5.2 step 9)', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('another artifact digest → ERR_SIGNATURE_INVALID', async () => {
      const o = await run(mediaType, {}, { artifact: `${REPOSITORY}@sha256:${'ab'.repeat(32)}` });
      expectIntegrityFailure(o, 'ERR_SIGNATURE_INVALID');
      expect(o.error?.message).toContain('digest');
    });
    test('a tag before the digest is accepted (the digest decides)', async () => {
      const digest = String(defaultTargetArtifact().digest);
      const o = await run(mediaType, {}, { artifact: `${REPOSITORY}:1.0@${digest}` });
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
    });
    test('the matching descriptor verifies', async () => {
      const o = await run(mediaType, {}, { descriptor: defaultTargetArtifact() });
      expect(o.ok).toBe(true);
    });
    test('descriptor media type mismatch → ERR_SIGNATURE_INVALID', async () => {
      const o = await run(
        mediaType,
        {},
        {
          descriptor: {
            ...defaultTargetArtifact(),
            mediaType: 'application/vnd.oci.image.index.v1+json',
          },
        },
      );
      expectIntegrityFailure(o, 'ERR_SIGNATURE_INVALID');
      expect(o.error?.message).toContain('media type');
    });
    test('descriptor size mismatch → ERR_SIGNATURE_INVALID', async () => {
      const o = await run(mediaType, {}, { descriptor: { ...defaultTargetArtifact(), size: 1 } });
      expectIntegrityFailure(o, 'ERR_SIGNATURE_INVALID');
      expect(o.error?.message).toContain('size');
    });
    test('descriptor digest mismatch → ERR_SIGNATURE_INVALID', async () => {
      const o = await run(
        mediaType,
        {},
        { descriptor: { ...defaultTargetArtifact(), digest: `sha256:${'cd'.repeat(32)}` } },
      );
      expectIntegrityFailure(o, 'ERR_SIGNATURE_INVALID');
    });
  });
});

describe('critical headers (signature specification, "crit")', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('signingScheme missing from crit → ERR_ENVELOPE_INVALID', async () => {
      const o = await run(mediaType, { dropCrit: ['io.cncf.notary.signingScheme'] });
      expectIntegrityFailure(o, 'ERR_ENVELOPE_INVALID');
    });
    test('expiry present but not critical → ERR_ENVELOPE_INVALID', async () => {
      const o = await run(mediaType, {
        expiry: new Date(Date.now() + 86400_000),
        dropCrit: ['io.cncf.notary.expiry'],
      });
      expectIntegrityFailure(o, 'ERR_ENVELOPE_INVALID');
    });
    test('crit names a header that is absent (extra critical) → ERR_ENVELOPE_INVALID', async () => {
      const o = await run(mediaType, { extraCrit: ['io.cncf.notary.expiry'] });
      expectIntegrityFailure(o, 'ERR_ENVELOPE_INVALID');
    });
    test('signingTime marked critical (informational only) → ERR_ENVELOPE_INVALID', async () => {
      const o = await run(mediaType, { extraCrit: ['io.cncf.notary.signingTime'] });
      expectIntegrityFailure(o, 'ERR_ENVELOPE_INVALID');
    });
    test('unknown critical header → ERR_ENVELOPE_INVALID (spec: MUST fail)', async () => {
      const o = await run(mediaType, {
        extendedAttributes: { 'io.example.unknown': 'x' },
        extraCrit: ['io.example.unknown'],
      });
      expectIntegrityFailure(o, 'ERR_ENVELOPE_INVALID');
      expect(o.error?.message).toContain('io.example.unknown');
    });
    test('unknown non-critical header is accepted', async () => {
      const o = await run(mediaType, { extendedAttributes: { 'io.example.note': 'x' } });
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
    });
  });
});

describe('certificate requirements, checked in integrity without time (DIGEST §6.1)', () => {
  let caLeaf: TestChain;
  let noEku: TestChain;
  let serverAuth: TestChain;
  let rsa1024: TestChain;
  beforeAll(async () => {
    caLeaf = await buildChain({
      name: 'Acme',
      leaf: { basicConstraints: { ca: true }, keyUsage: KeyUsage.digitalSignature },
    });
    noEku = await buildChain({ name: 'Acme', leaf: { extKeyUsage: false } });
    serverAuth = await buildChain({ name: 'Acme', leaf: { extKeyUsage: [OID.serverAuth] } });
    rsa1024 = await buildChain({ name: 'Acme', leafKeyType: 'rsa-1024' });
  });
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('a leaf that is a CA → ERR_CERT_INVALID', async () => {
      const o = await run(mediaType, { chain: caLeaf });
      expectIntegrityFailure(o, 'ERR_CERT_INVALID');
    });
    test('a leaf without extended key usage is allowed (EKU is optional)', async () => {
      const o = await run(mediaType, { chain: noEku });
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
    });
    test('a leaf whose EKU lacks codeSigning → ERR_CERT_INVALID', async () => {
      const o = await run(mediaType, { chain: serverAuth });
      expectIntegrityFailure(o, 'ERR_CERT_INVALID');
    });
    test('an RSA-1024 leaf → ERR_ALGORITHM_UNSUPPORTED', async () => {
      const o = await run(mediaType, { chain: rsa1024 });
      expectIntegrityFailure(o, 'ERR_ALGORITHM_UNSUPPORTED');
    });
    test('a chain out of order (root first) → integrity fails', async () => {
      const o = await run(mediaType, {
        certificates: [chain.root, chain.intermediate, chain.leaf],
      });
      expect(o.ok).toBe(false);
      expect(check(o, 'integrity').result).toBe('failed');
    });
  });
});
