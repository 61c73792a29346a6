/**
 * The Verifier's trust sources and arguments (DESIGN "Public API"): a
 * provider (`{ current() }`, a TrustClient) consulted on every call, frozen
 * snapshots (ERR_TRUST_EXPIRED), usage errors (ERR_USAGE), and the chain
 * cache that lets many signatures from one signer share validation work.
 */
import { ErrorCode, TrustError, TufNotaryError } from '../../src/errors';
import type { VerifierTrust } from '../../src/trust/types';
import { Verifier } from '../../src/verify';
import type { TestChain } from '../helpers/pki';
import { defaultTargetArtifact, signEnvelope } from '../helpers/signer';
import {
  ARTIFACT,
  buildChain,
  digestOf,
  KEY_INDEX,
  makeTrust,
  MEDIA_TYPES,
  REPOSITORY,
} from './fixtures';

const DAY = 86400_000;

let acme: TestChain;
let other: TestChain;

beforeAll(async () => {
  acme = await buildChain({ name: 'Acme' });
  other = await buildChain({ name: 'Other', caKeyIndex: KEY_INDEX.other });
});

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<TufNotaryError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TufNotaryError);
    return err as TufNotaryError;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

describe('trust from a provider ({ current() })', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('a provider whose current() throws ERR_TRUST_EXPIRED makes verify() throw it', async () => {
      const provider = {
        current(): VerifierTrust {
          throw new TrustError(ErrorCode.TRUST_EXPIRED, 'frozen');
        },
      };
      const envelope = signEnvelope(mediaType, { chain: acme });
      const verifier = new Verifier(provider);
      const err = await rejection(verifier.verify({ artifact: ARTIFACT, envelope, mediaType }));
      expect(err.code).toBe('ERR_TRUST_EXPIRED');
      const blobErr = await rejection(
        verifier.verifyBlob({ blob: new Uint8Array(1), envelope, mediaType }),
      );
      expect(blobErr.code).toBe('ERR_TRUST_EXPIRED');
    });
    test('the provider is asked on every call: new trust applies at once', async () => {
      let active = makeTrust({ stores: { 'ca:acme': [acme.root] } });
      const verifier = new Verifier({ current: () => active });
      const envelope = signEnvelope(mediaType, { chain: acme });
      expect((await verifier.verify({ artifact: ARTIFACT, envelope, mediaType })).ok).toBe(true);
      // The deployer removes Acme's root: the same verifier stops trusting it.
      active = makeTrust({
        stores: { 'ca:other': [other.root] },
        statements: [{ trustStores: ['ca:other'] }],
      });
      const o = await verifier.verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
    });
  });
});

describe('a frozen snapshot (provenance.expires passed) never verifies', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('verify() and verifyBlob() throw ERR_TRUST_EXPIRED', async () => {
      const trust = makeTrust({
        stores: { 'ca:acme': [acme.root] },
        expires: new Date(Date.now() - 1000),
      });
      const envelope = signEnvelope(mediaType, { chain: acme });
      const verifier = new Verifier(trust);
      const err = await rejection(verifier.verify({ artifact: ARTIFACT, envelope, mediaType }));
      expect(err.code).toBe('ERR_TRUST_EXPIRED');
      expect(err.message).toContain('refresh');
      const blobErr = await rejection(
        verifier.verifyBlob({ blob: new Uint8Array(1), envelope, mediaType }),
      );
      expect(blobErr.code).toBe('ERR_TRUST_EXPIRED');
    });
    test('an unexpired snapshot verifies, and the verifier clock decides', async () => {
      const expires = new Date(Date.now() + DAY);
      const trust = makeTrust({ stores: { 'ca:acme': [acme.root] }, expires });
      const envelope = signEnvelope(mediaType, { chain: acme });
      const o = await new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(true);
      const later = new Verifier(trust, { now: () => expires });
      const err = await rejection(later.verify({ artifact: ARTIFACT, envelope, mediaType }));
      expect(err.code).toBe('ERR_TRUST_EXPIRED');
    });
  });
});

describe('usage errors (ERR_USAGE)', () => {
  test.each([
    ['a tag reference', `${REPOSITORY}:1.0`],
    ['a bare repository', REPOSITORY],
    ['a malformed digest', `${REPOSITORY}@sha256:XYZ`],
  ])('a reference without a digest (%s) → ERR_USAGE thrown', async (_what, artifact) => {
    const trust = makeTrust({ stores: { 'ca:acme': [acme.root] } });
    const envelope = signEnvelope('application/jose+json', { chain: acme });
    const err = await rejection(
      new Verifier(trust).verify({ artifact, envelope, mediaType: 'application/jose+json' }),
    );
    expect(err.code).toBe('ERR_USAGE');
    expect(err.message).toContain('digest');
  });
  test('no trust → ERR_USAGE', () => {
    expect(() => new Verifier(undefined as unknown as VerifierTrust)).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE' }),
    );
  });
  test('an unknown revocation mode → ERR_USAGE', () => {
    const trust = makeTrust({ stores: { 'ca:acme': [acme.root] } });
    expect(() => new Verifier(trust, { revocation: 'sometimes' as unknown as 'online' })).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE' }),
    );
  });
});

describe('chain cache (validated chains keyed by fingerprints, never signature results)', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('the second verification of a signature from the same chain hits the cache', async () => {
      const verifier = new Verifier(makeTrust({ stores: { 'ca:acme': [acme.root] } }));
      const envelope = signEnvelope(mediaType, { chain: acme });
      await verifier.verify({ artifact: ARTIFACT, envelope, mediaType });
      const first = verifier.cacheStats;
      expect(first.misses).toBeGreaterThan(0);
      const o = await verifier.verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(true);
      const second = verifier.cacheStats;
      expect(second.hits).toBeGreaterThan(first.hits);
      expect(second.misses).toBe(first.misses);
    });
    test('a cached chain does not cache the signature: a tampered one still fails', async () => {
      const verifier = new Verifier(makeTrust({ stores: { 'ca:acme': [acme.root] } }));
      const good = signEnvelope(mediaType, { chain: acme });
      expect((await verifier.verify({ artifact: ARTIFACT, envelope: good, mediaType })).ok).toBe(
        true,
      );
      const bad = signEnvelope(mediaType, { chain: acme, tamper: 'signature' });
      const o = await verifier.verify({ artifact: ARTIFACT, envelope: bad, mediaType });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_SIGNATURE_INVALID');
    });
    test('a cached chain is still checked against the current trust', async () => {
      let active = makeTrust({ stores: { 'ca:acme': [acme.root] } });
      const verifier = new Verifier({ current: () => active });
      const envelope = signEnvelope(mediaType, { chain: acme });
      expect((await verifier.verify({ artifact: ARTIFACT, envelope, mediaType })).ok).toBe(true);
      active = makeTrust({ stores: { 'ca:acme': [acme.root] }, revocations: [acme.leaf.sha256] });
      const o = await verifier.verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.error?.code).toBe('ERR_REVOKED');
      active = makeTrust({
        stores: { 'ca:other': [other.root] },
        statements: [{ trustStores: ['ca:other'] }],
      });
      const o2 = await verifier.verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o2.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
    });
  });
});

describe('many signatures from one signer', () => {
  test('2,000 verifications in a row all pass and reuse one cached chain', async () => {
    const verifier = new Verifier(makeTrust({ stores: { 'ca:acme': [acme.root] } }));
    const mediaTypes = MEDIA_TYPES;
    let passed = 0;
    let missesAfterFirst = -1;
    for (let i = 0; i < 2000; i++) {
      const mediaType = mediaTypes[i % 2]!;
      // A distinct artifact (and so a distinct signature) every time.
      const artifactBytes = Buffer.from(`artifact ${i}`);
      const digest = digestOf(artifactBytes);
      const envelope = signEnvelope(mediaType, {
        chain: acme,
        targetArtifact: { ...defaultTargetArtifact(), digest },
      });
      const o = await verifier.verify({ artifact: `${REPOSITORY}@${digest}`, envelope, mediaType });
      if (o.ok) passed++;
      if (i === 0) missesAfterFirst = verifier.cacheStats.misses;
    }
    expect(passed).toBe(2000);
    const stats = verifier.cacheStats;
    // Only the first verification validated the chain in full.
    expect(stats.misses).toBe(missesAfterFirst);
    expect(stats.hits).toBeGreaterThanOrEqual(2 * 1999);
  });
});
