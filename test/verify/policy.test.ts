/**
 * Policy in the Verifier: trusted identities against the leaf subject
 * (DIGEST §2.6), registry scope selection (§2.5), a missing policy, and blob
 * policies with the blob digest under the signature algorithm's hash (§5.4).
 */
import { createHash } from 'node:crypto';
import { CHECK_ORDER } from '../../src/policy';
import { Verifier } from '../../src/verify';
import type { VerificationOutcome } from '../../src/verify/types';
import type { TestChain } from '../helpers/pki';
import { signEnvelope } from '../helpers/signer';
import {
  ARTIFACT,
  buildChain,
  check,
  DEFAULT_DIGEST,
  KEY_INDEX,
  makeTrust,
  MEDIA_TYPES,
  REPOSITORY,
  type StatementOptions,
} from './fixtures';

type MediaType = (typeof MEDIA_TYPES)[number];

let acme: TestChain;
let escaped: TestChain;
let other: TestChain;

/** The escaped leaf's subject: a comma, a plus and quotes inside values. */
const ESCAPED_SUBJECT = 'C=US,ST=WA,O=Acme\\, Inc.,OU=R\\+D,CN=\\"Quoted\\" Signer';

beforeAll(async () => {
  acme = await buildChain({ name: 'Acme' });
  escaped = await buildChain({ name: 'Acme', from: acme, leaf: { subject: ESCAPED_SUBJECT } });
  other = await buildChain({ name: 'Other', caKeyIndex: KEY_INDEX.other });
});

describe('trusted identities against the leaf subject (DIGEST §2.6)', () => {
  async function withIdentities(
    mediaType: MediaType,
    trustedIdentities: string[],
    chain: TestChain = acme,
  ): Promise<VerificationOutcome> {
    const trust = makeTrust({
      stores: { 'ca:acme': [acme.root] },
      statements: [{ trustedIdentities }],
    });
    const envelope = signEnvelope(mediaType, { chain });
    return new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
  }
  function expectUntrusted(o: VerificationOutcome): void {
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
    expect(check(o, 'authenticity')).toMatchObject({ result: 'failed', action: 'enforced' });
    expect(o.error?.message).toContain('does not match the trusted identities');
  }
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('"*" trusts every signer of the stores', async () => {
      const o = await withIdentities(mediaType, ['*']);
      expect(o.ok).toBe(true);
    });
    test('the exact subject DN matches', async () => {
      const o = await withIdentities(mediaType, [
        'x509.subject: C=US, ST=WA, L=Seattle, O=Acme, CN=Acme Signer',
      ]);
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
    });
    test('a subset DN (C, ST, O) matches', async () => {
      const o = await withIdentities(mediaType, ['x509.subject: C=US, ST=WA, O=Acme']);
      expect(o.ok).toBe(true);
    });
    test('"S" is accepted for ST', async () => {
      const o = await withIdentities(mediaType, ['x509.subject: C=US, S=WA, O=Acme']);
      expect(o.ok).toBe(true);
    });
    test('one matching identity among several is enough', async () => {
      const o = await withIdentities(mediaType, [
        'x509.subject: C=US, ST=WA, O=Nobody',
        'x509.subject: C=US, ST=WA, O=Acme, CN=Acme Signer',
      ]);
      expect(o.ok).toBe(true);
    });
    test('a DN with another O does not match → ERR_UNTRUSTED_SIGNER', async () => {
      const o = await withIdentities(mediaType, ['x509.subject: C=US, ST=WA, O=Acme Corp']);
      expectUntrusted(o);
    });
    test('values are case-sensitive → ERR_UNTRUSTED_SIGNER', async () => {
      const o = await withIdentities(mediaType, ['x509.subject: C=US, ST=WA, O=acme']);
      expectUntrusted(o);
    });
    test('an identity with an attribute the leaf lacks does not match', async () => {
      const o = await withIdentities(mediaType, ['x509.subject: C=US, ST=WA, O=Acme, OU=Build']);
      expectUntrusted(o);
    });
    test('escaped comma, plus and quotes in the leaf subject match the escaped DN', async () => {
      const o = await withIdentities(
        mediaType,
        ['x509.subject: C=US, ST=WA, O=Acme\\, Inc., OU=R\\+D, CN=\\"Quoted\\" Signer'],
        escaped,
      );
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
      expect(o.signer?.subject).toBe('CN=\\"Quoted\\" Signer,OU=R\\+D,O=Acme\\, Inc.,ST=WA,C=US');
    });
    test('a subset of the escaped subject (O with a comma) matches', async () => {
      const o = await withIdentities(
        mediaType,
        ['x509.subject: C=US, ST=WA, O=Acme\\, Inc.'],
        escaped,
      );
      expect(o.ok).toBe(true);
    });
    test('the unescaped value ("Acme" before the comma) does not match', async () => {
      const o = await withIdentities(mediaType, ['x509.subject: C=US, ST=WA, O=Acme'], escaped);
      expectUntrusted(o);
    });
    test('under audit a non-matching identity is logged and the outcome passes', async () => {
      const trust = makeTrust({
        stores: { 'ca:acme': [acme.root] },
        statements: [{ level: 'audit', trustedIdentities: ['x509.subject: C=US, ST=WA, O=X'] }],
      });
      const envelope = signEnvelope(mediaType, { chain: acme });
      const o = await new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(true);
      expect(check(o, 'authenticity')).toMatchObject({ result: 'failed', action: 'logged' });
    });
  });
});

describe('registry scope selection (DIGEST §2.5)', () => {
  /** Global `*` trusts Other's root; the exact scope trusts Acme's. */
  const statements: StatementOptions[] = [
    { name: 'global', registryScopes: ['*'], trustStores: ['ca:other'] },
    { name: 'exact', registryScopes: [REPOSITORY], trustStores: ['ca:acme'] },
  ];
  function trust() {
    return makeTrust({ stores: { 'ca:acme': [acme.root], 'ca:other': [other.root] }, statements });
  }
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('the exact scope wins over the global one', async () => {
      const envelope = signEnvelope(mediaType, { chain: acme });
      const o = await new Verifier(trust()).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.policy).toBe('exact');
      expect(o.ok).toBe(true);
    });
    test('the exact scope does not trust the global scope’s signer', async () => {
      const envelope = signEnvelope(mediaType, { chain: other });
      const o = await new Verifier(trust()).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.policy).toBe('exact');
      expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
    });
    test('another repository falls back to the global scope', async () => {
      const envelope = signEnvelope(mediaType, { chain: other });
      const o = await new Verifier(trust()).verify({
        artifact: `registry.example.com/other@${DEFAULT_DIGEST}`,
        envelope,
        mediaType,
      });
      expect(o.policy).toBe('global');
      expect(o.ok).toBe(true);
    });
    test('no applicable policy → ERR_POLICY_NOT_FOUND outcome, no check ran', async () => {
      const t = makeTrust({
        stores: { 'ca:acme': [acme.root] },
        statements: [{ registryScopes: ['registry.example.com/elsewhere'] }],
      });
      const envelope = signEnvelope(mediaType, { chain: acme });
      const o = await new Verifier(t).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_POLICY_NOT_FOUND');
      expect(o.policy).toBeUndefined();
      expect(o.checks.map((c) => [c.check, c.result, c.action])).toEqual(
        CHECK_ORDER.map((c) => [c, 'skipped', 'skipped']),
      );
    });
    test('trust without an OCI policy → ERR_POLICY_NOT_FOUND outcome', async () => {
      const t = makeTrust({ stores: { 'ca:acme': [acme.root] }, statements: null });
      const envelope = signEnvelope(mediaType, { chain: acme });
      const o = await new Verifier(t).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_POLICY_NOT_FOUND');
    });
    test('a policy naming a store the trust lacks fails authenticity', async () => {
      const t = makeTrust({
        stores: { 'ca:acme': [acme.root] },
        statements: [{ trustStores: ['ca:acme', 'ca:missing'] }],
      });
      const envelope = signEnvelope(mediaType, { chain: acme });
      const o = await new Verifier(t).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
      expect(o.error?.message).toContain('ca:missing');
    });
  });
});

describe('blob policies (verifyBlob, DIGEST §5.4)', () => {
  const BLOB = new TextEncoder().encode('a release tarball, say');
  const BLOB_TYPE = 'application/octet-stream';
  const blobTarget = (hash: 'sha256' | 'sha384' | 'sha512', bytes = BLOB) => ({
    mediaType: BLOB_TYPE,
    digest: `${hash}:${createHash(hash).update(bytes).digest('hex')}`,
    size: bytes.byteLength,
  });
  let p384: TestChain;
  beforeAll(async () => {
    p384 = await buildChain({ name: 'Acme', from: acme, leafKeyType: 'ec-p384', leafKeyIndex: 0 });
  });
  function trust() {
    return makeTrust({
      stores: { 'ca:acme': [acme.root], 'ca:other': [other.root] },
      statements: null,
      blobStatements: [
        { name: 'releases', trustStores: ['ca:acme'] },
        { name: 'everything-else', trustStores: ['ca:other'], globalPolicy: true },
      ],
    });
  }
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('by name: the named statement applies', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: acme,
        targetArtifact: blobTarget('sha256'),
      });
      const o = await new Verifier(trust()).verifyBlob({
        blob: BLOB,
        envelope,
        mediaType,
        policyName: 'releases',
      });
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
      expect(o.policy).toBe('releases');
    });
    test('without a name: the global statement applies', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: other,
        targetArtifact: blobTarget('sha256'),
      });
      const o = await new Verifier(trust()).verifyBlob({ blob: BLOB, envelope, mediaType });
      expect(o.policy).toBe('everything-else');
      expect(o.ok).toBe(true);
    });
    test('an unknown name → ERR_POLICY_NOT_FOUND outcome', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: acme,
        targetArtifact: blobTarget('sha256'),
      });
      const o = await new Verifier(trust()).verifyBlob({
        blob: BLOB,
        envelope,
        mediaType,
        policyName: 'nope',
      });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_POLICY_NOT_FOUND');
    });
    test('trust without a blob policy → ERR_POLICY_NOT_FOUND outcome', async () => {
      const t = makeTrust({ stores: { 'ca:acme': [acme.root] } });
      const envelope = signEnvelope(mediaType, {
        chain: acme,
        targetArtifact: blobTarget('sha256'),
      });
      const o = await new Verifier(t).verifyBlob({ blob: BLOB, envelope, mediaType });
      expect(o.error?.code).toBe('ERR_POLICY_NOT_FOUND');
    });
    test('an ES384 signature needs the sha384 digest of the blob', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: p384,
        targetArtifact: blobTarget('sha384'),
      });
      const o = await new Verifier(trust()).verifyBlob({
        blob: BLOB,
        envelope,
        mediaType,
        policyName: 'releases',
      });
      expect(o.envelope?.algorithm).toBe('ECDSA-SHA-384');
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
    });
    test('an ES384 signature over the sha256 digest → ERR_SIGNATURE_INVALID', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: p384,
        targetArtifact: blobTarget('sha256'),
      });
      const o = await new Verifier(trust()).verifyBlob({
        blob: BLOB,
        envelope,
        mediaType,
        policyName: 'releases',
      });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_SIGNATURE_INVALID');
      expect(check(o, 'integrity').result).toBe('failed');
    });
    test('other blob bytes → ERR_SIGNATURE_INVALID (digest)', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: acme,
        targetArtifact: blobTarget('sha256'),
      });
      const o = await new Verifier(trust()).verifyBlob({
        blob: new TextEncoder().encode('a different tarball!!!'),
        envelope,
        mediaType,
        policyName: 'releases',
      });
      expect(o.error?.code).toBe('ERR_SIGNATURE_INVALID');
      expect(o.error?.message).toContain('digest');
    });
    test('size mismatch → ERR_SIGNATURE_INVALID (size)', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: acme,
        targetArtifact: { ...blobTarget('sha256'), size: BLOB.byteLength + 1 },
      });
      const o = await new Verifier(trust()).verifyBlob({
        blob: BLOB,
        envelope,
        mediaType,
        policyName: 'releases',
      });
      expect(o.error?.code).toBe('ERR_SIGNATURE_INVALID');
      expect(o.error?.message).toContain('size');
    });
    test('matching contentMediaType passes', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: acme,
        targetArtifact: blobTarget('sha256'),
      });
      const o = await new Verifier(trust()).verifyBlob({
        blob: BLOB,
        envelope,
        mediaType,
        policyName: 'releases',
        contentMediaType: BLOB_TYPE,
      });
      expect(o.ok).toBe(true);
    });
    test('contentMediaType mismatch → ERR_SIGNATURE_INVALID (media type)', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: acme,
        targetArtifact: blobTarget('sha256'),
      });
      const o = await new Verifier(trust()).verifyBlob({
        blob: BLOB,
        envelope,
        mediaType,
        policyName: 'releases',
        contentMediaType: 'text/plain',
      });
      expect(o.error?.code).toBe('ERR_SIGNATURE_INVALID');
      expect(o.error?.message).toContain('media type');
    });
    test('the blob statement’s stores decide trust: Acme under the global policy → untrusted', async () => {
      const envelope = signEnvelope(mediaType, {
        chain: acme,
        targetArtifact: blobTarget('sha256'),
      });
      const o = await new Verifier(trust()).verifyBlob({ blob: BLOB, envelope, mediaType });
      expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
    });
  });
});

describe('user metadata (signed annotations)', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    const signed = { annotations: { 'io.example.build': '42' } };
    test('present with the same value passes', async () => {
      const t = makeTrust({ stores: { 'ca:acme': [acme.root] } });
      const envelope = signEnvelope(mediaType, { chain: acme, targetArtifact: signed });
      const o = await new Verifier(t).verify({
        artifact: ARTIFACT,
        envelope,
        mediaType,
        userMetadata: { 'io.example.build': '42' },
      });
      expect(o.ok).toBe(true);
    });
    test('another value → ERR_SIGNATURE_INVALID', async () => {
      const t = makeTrust({ stores: { 'ca:acme': [acme.root] } });
      const envelope = signEnvelope(mediaType, { chain: acme, targetArtifact: signed });
      const o = await new Verifier(t).verify({
        artifact: ARTIFACT,
        envelope,
        mediaType,
        userMetadata: { 'io.example.build': '43' },
      });
      expect(o.error?.code).toBe('ERR_SIGNATURE_INVALID');
    });
  });
});
