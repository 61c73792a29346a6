/**
 * Verification levels and overrides (DIGEST §3): every failing check under
 * every level is enforced, logged or skipped as the level table says, every
 * allowed override changes the recorded action, and the outcome keeps its
 * shape (all five checks in order, signer, payload, warnings).
 */
import { CHECK_ORDER } from '../../src/policy';
import { levelTable } from '../../src/policy/levels';
import type { VerificationCheckName } from '../../src/policy/types';
import { Verifier } from '../../src/verify';
import type { VerificationOutcome } from '../../src/verify/types';
import type { TestChain } from '../helpers/pki';
import { nowSeconds, signEnvelope, type SignOptions } from '../helpers/signer';
import {
  ARTIFACT,
  buildChain,
  check,
  KEY_INDEX,
  makeTrust,
  MEDIA_TYPES,
  REPOSITORY,
  summary,
  type StatementOptions,
} from './fixtures';

const DAY = 86400_000;
type MediaType = (typeof MEDIA_TYPES)[number];
type Level = 'strict' | 'permissive' | 'audit';

let acme: TestChain;
let stranger: TestChain;
let expiredLeaf: TestChain;

beforeAll(async () => {
  acme = await buildChain({ name: 'Acme' });
  stranger = await buildChain({ name: 'Stranger', caKeyIndex: KEY_INDEX.other });
  expiredLeaf = await buildChain({
    name: 'Acme',
    from: acme,
    leaf: { notBefore: nowSeconds(-30 * DAY), notAfter: nowSeconds(-DAY) },
  });
});

/** How to make exactly one check fail. */
const FAILURES: Record<
  Exclude<VerificationCheckName, 'integrity'>,
  { code: string; chain: () => TestChain; sign?: Partial<SignOptions>; revokeLeaf?: boolean }
> = {
  authenticity: { code: 'ERR_UNTRUSTED_SIGNER', chain: () => stranger },
  expiry: {
    code: 'ERR_SIGNATURE_EXPIRED',
    chain: () => acme,
    sign: { signingTime: nowSeconds(-2 * DAY), expiry: nowSeconds(-DAY) },
  },
  authenticTimestamp: { code: 'ERR_CERT_INVALID', chain: () => expiredLeaf },
  revocation: { code: 'ERR_REVOKED', chain: () => acme, revokeLeaf: true },
};

async function run(
  mediaType: MediaType,
  failing: keyof typeof FAILURES | 'none',
  statement: StatementOptions,
): Promise<VerificationOutcome> {
  const f = failing === 'none' ? { chain: () => acme } : FAILURES[failing];
  const chain = f.chain();
  const trust = makeTrust({
    stores: { 'ca:acme': [acme.root] },
    statements: [statement],
    revocations: 'revokeLeaf' in f && f.revokeLeaf ? [chain.leaf.sha256] : [],
  });
  const envelope = signEnvelope(mediaType, { ...('sign' in f ? f.sign : {}), chain });
  return new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
}

const LEVELS: Level[] = ['strict', 'permissive', 'audit'];
const FAILING = Object.keys(FAILURES) as (keyof typeof FAILURES)[];
const TAKEN = { enforce: 'enforced', log: 'logged', skip: 'skipped' } as const;

/** Asserts the outcome of a signature whose only failing check is `failing`, under `action`. */
function expectActionTaken(
  o: VerificationOutcome,
  failing: keyof typeof FAILURES,
  action: 'enforce' | 'log' | 'skip',
): void {
  const c = check(o, failing);
  console.log(JSON.stringify(o.checks.map((x) => [x.check, x.result, x.action, x.error?.message])));
  expect(o.checks.map((x) => x.check)).toEqual([...CHECK_ORDER]);
  if (action === 'skip') {
    expect(o.ok).toBe(true);
    expect(c).toMatchObject({ result: 'skipped', action: 'skipped' });
    return;
  }
  expect(c.result).toBe('failed');
  expect(c.action).toBe(TAKEN[action]);
  expect(c.error?.code).toBe(FAILURES[failing].code);
  if (action === 'enforce') {
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe(FAILURES[failing].code);
    // Every later check was not reached.
    for (const later of CHECK_ORDER.slice(CHECK_ORDER.indexOf(failing) + 1)) {
      expect(check(o, later)).toMatchObject({ result: 'skipped', action: 'skipped' });
    }
  } else {
    expect(o.ok).toBe(true);
    expect(o.error).toBeUndefined();
    expect(o.warnings.some((w) => w.startsWith(`${failing} failed (logged`))).toBe(true);
    // Verification went on: every other check ran and passed.
    for (const other of CHECK_ORDER.filter((x) => x !== failing)) {
      expect(check(o, other).result).toBe('passed');
    }
  }
}

describe('level × failing check (trust-store-trust-policy.md, level table)', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    const cases = LEVELS.flatMap((level) =>
      FAILING.map((failing) => [level, failing, levelTable[level][failing]] as const),
    );
    test.each(cases)('%s with a failing %s → %s', async (level, failing, action) => {
      const o = await run(mediaType, failing, { level });
      expect(o.level).toBe(level);
      expectActionTaken(o, failing, action);
    });
    test.each(LEVELS)('%s: a tampered signature is enforced (integrity)', async (level) => {
      const trust = makeTrust({ stores: { 'ca:acme': [acme.root] }, statements: [{ level }] });
      const envelope = signEnvelope(mediaType, { chain: acme, tamper: 'signature' });
      const o = await new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(false);
      expect(check(o, 'integrity')).toMatchObject({ result: 'failed', action: 'enforced' });
    });
    test.each(LEVELS)('%s: a good signature passes with the level’s actions', async (level) => {
      const o = await run(mediaType, 'none', { level });
      expect(o.ok).toBe(true);
      expect(o.warnings).toEqual([]);
      expect(summary(o)).toEqual(
        CHECK_ORDER.map((c) => [c, 'passed', TAKEN[levelTable[level][c]]]),
      );
    });
    test('skip: nothing runs, even a tampered signature is accepted', async () => {
      const trust = makeTrust({
        stores: { 'ca:acme': [acme.root] },
        statements: [{ level: 'skip', registryScopes: [REPOSITORY] }],
      });
      const envelope = signEnvelope(mediaType, { chain: stranger, tamper: 'signature' });
      const o = await new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(true);
      expect(o.level).toBe('skip');
      expect(summary(o)).toEqual(CHECK_ORDER.map((c) => [c, 'skipped', 'skipped']));
      expect(o.warnings.join()).toContain('skips verification');
    });
  });
});

/** Every allowed override value (DIGEST §3 override table), on the level that differs most. */
const OVERRIDES: [keyof typeof FAILURES, 'enforce' | 'log' | 'skip', Level][] = [
  ['authenticity', 'log', 'strict'],
  ['authenticity', 'enforce', 'audit'],
  ['authenticTimestamp', 'log', 'strict'],
  ['authenticTimestamp', 'enforce', 'audit'],
  ['expiry', 'log', 'strict'],
  ['expiry', 'enforce', 'permissive'],
  ['revocation', 'log', 'strict'],
  ['revocation', 'enforce', 'audit'],
  ['revocation', 'skip', 'strict'],
  ['revocation', 'skip', 'permissive'],
];

describe('override (custom verification level)', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test.each(OVERRIDES)(
      'override %s: %s on %s is the recorded action',
      async (failing, action, level) => {
        const o = await run(mediaType, failing, { level, override: { [failing]: action } });
        expectActionTaken(o, failing, action);
      },
    );
    test('an override leaves the other checks at the level’s action', async () => {
      const o = await run(mediaType, 'none', { level: 'audit', override: { expiry: 'enforce' } });
      expect(summary(o)).toEqual([
        ['integrity', 'passed', 'enforced'],
        ['authenticity', 'passed', 'logged'],
        ['expiry', 'passed', 'enforced'],
        ['authenticTimestamp', 'passed', 'logged'],
        ['revocation', 'passed', 'logged'],
      ]);
    });
    test('several logged failures each give a warning and the outcome passes', async () => {
      const trust = makeTrust({
        stores: { 'ca:acme': [acme.root] },
        statements: [{ level: 'audit' }],
        revocations: [stranger.leaf.sha256],
      });
      const envelope = signEnvelope(mediaType, {
        chain: stranger,
        signingTime: nowSeconds(-2 * DAY),
        expiry: nowSeconds(-DAY),
      });
      const o = await new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(true);
      expect(summary(o)).toEqual([
        ['integrity', 'passed', 'enforced'],
        ['authenticity', 'failed', 'logged'],
        ['expiry', 'failed', 'logged'],
        ['authenticTimestamp', 'passed', 'logged'],
        ['revocation', 'failed', 'logged'],
      ]);
      expect(o.warnings).toHaveLength(3);
    });
  });
});

describe('outcome shape', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('a passing outcome lists five checks in order, signer, payload, policy and level', async () => {
      const o = await run(mediaType, 'none', { name: 'acme-prod' });
      expect(o.checks.map((c) => c.check)).toEqual([
        'integrity',
        'authenticity',
        'expiry',
        'authenticTimestamp',
        'revocation',
      ]);
      expect(o.policy).toBe('acme-prod');
      expect(o.level).toBe('strict');
      expect(o.signer).toMatchObject({
        subject: 'CN=Acme Signer,O=Acme,L=Seattle,ST=WA,C=US',
        fingerprint: acme.leaf.sha256,
        issuer: 'CN=Acme Intermediate,O=Acme,ST=WA,C=US',
      });
      expect(o.signer?.chain.map((c) => c.fingerprint)).toEqual([
        acme.leaf.sha256,
        acme.intermediate.sha256,
        acme.root.sha256,
      ]);
      expect(o.signer?.notAfter.getTime()).toBe(acme.leaf.cert.notAfter.getTime());
      expect(o.payload?.targetArtifact.digest).toBe(ARTIFACT.split('@')[1]);
      expect(o.envelope?.mediaType).toBe(mediaType);
      expect(check(o, 'authenticity').detail).toMatchObject({
        store: 'ca:acme',
        certificate: { fingerprint: acme.root.sha256 },
      });
      expect(o.warnings).toEqual([]);
    });
    test('an enforced failure lists five checks, the rest "not reached", and the signer', async () => {
      const o = await run(mediaType, 'authenticity', {});
      expect(o.checks.map((c) => c.check)).toEqual([...CHECK_ORDER]);
      expect(check(o, 'expiry').detail?.note).toBe('not reached');
      expect(o.signer?.fingerprint).toBe(stranger.leaf.sha256);
      expect(o.error).toBe(check(o, 'authenticity').error);
    });
    test('an envelope that cannot be decoded still lists five checks, without a signer', async () => {
      const trust = makeTrust({ stores: { 'ca:acme': [acme.root] } });
      const o = await new Verifier(trust).verify({
        artifact: ARTIFACT,
        envelope: new TextEncoder().encode('not an envelope'),
        mediaType,
      });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_ENVELOPE_INVALID');
      expect(o.checks.map((c) => c.check)).toEqual([...CHECK_ORDER]);
      expect(o.signer).toBeUndefined();
      expect(o.payload).toBeUndefined();
    });
  });
  test('an unsupported envelope media type fails integrity with ERR_ENVELOPE_INVALID', async () => {
    const trust = makeTrust({ stores: { 'ca:acme': [acme.root] } });
    const envelope = signEnvelope('application/jose+json', { chain: acme });
    const o = await new Verifier(trust).verify({
      artifact: ARTIFACT,
      envelope,
      mediaType: 'application/pgp-signature',
    });
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_ENVELOPE_INVALID');
  });
});
