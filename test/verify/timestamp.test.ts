/**
 * Certificate validity, the authentic timestamp and the expiry header
 * (DIGEST §5.2 steps 5–6, §5.3): with and without a `tsa` store,
 * `verifyTimestamp` always vs afterCertExpiry, the signing-authority scheme.
 */
import { Verifier } from '../../src/verify';
import type { VerificationOutcome } from '../../src/verify/types';
import type { TestChain } from '../helpers/pki';
import { nowSeconds, signEnvelope, type SignOptions } from '../helpers/signer';
import { createTestTsa, type TestTsa } from '../helpers/tsa';
import {
  ARTIFACT,
  buildChain,
  check,
  KEY_INDEX,
  makeTrust,
  MEDIA_TYPES,
  signatureOf,
  signTimestamped,
  withTimestamp,
  type StatementOptions,
} from './fixtures';

const DAY = 86400_000;
const ago = (days: number): Date => nowSeconds(-days * DAY);

let valid: TestChain;
let expired: TestChain;
let notYetValid: TestChain;
let tsa: TestTsa;
let otherTsa: TestTsa;

beforeAll(async () => {
  valid = await buildChain({ name: 'Acme' });
  expired = await buildChain({
    name: 'Acme',
    from: valid,
    leaf: { notBefore: ago(30), notAfter: ago(1) },
  });
  notYetValid = await buildChain({
    name: 'Acme',
    from: valid,
    leaf: { notBefore: ago(-1), notAfter: ago(-30) },
  });
  // TSA chains valid long enough in the past to timestamp the expired leaf's life.
  tsa = await createTestTsa(
    await buildChain({
      name: 'Test TSA',
      timeStamping: true,
      caKeyIndex: KEY_INDEX.tsa,
      leaf: { notBefore: ago(60) },
    }),
  );
  otherTsa = await createTestTsa(
    await buildChain({
      name: 'Other TSA',
      timeStamping: true,
      caKeyIndex: KEY_INDEX.otherTsa,
      leaf: { notBefore: ago(60) },
    }),
  );
});

type MediaType = (typeof MEDIA_TYPES)[number];

interface Case {
  chain?: TestChain;
  sign?: Partial<SignOptions>;
  /** Timestamp the signature at this time with `tsa` (or `withTsa`). */
  genTime?: Date;
  withTsa?: () => TestTsa;
  /** Policy: add store tsa:tsa holding this TSA's root. */
  tsaStore?: () => TestTsa;
  statement?: StatementOptions;
  now?: Date;
}

async function run(mediaType: MediaType, c: Case): Promise<VerificationOutcome> {
  const chain = c.chain ?? valid;
  const opts: SignOptions = { ...c.sign, chain };
  const envelope = c.genTime
    ? await signTimestamped(mediaType, opts, (c.withTsa ?? (() => tsa))(), c.genTime)
    : signEnvelope(mediaType, opts);
  const tsaStore = c.tsaStore?.();
  const stores: Record<string, TestChain['root'][]> = {
    [opts.signingScheme === 'notary.x509.signingAuthority' ? 'signingAuthority:acme' : 'ca:acme']: [
      chain.root,
    ],
  };
  if (tsaStore) stores['tsa:tsa'] = [tsaStore.chain.root];
  const trustStores = Object.keys(stores);
  const trust = makeTrust({ stores, statements: [{ trustStores, ...c.statement }] });
  const verifier = new Verifier(trust, c.now ? { now: () => c.now! } : {});
  return verifier.verify({ artifact: ARTIFACT, envelope, mediaType });
}

function expectTimestampFailure(o: VerificationOutcome, code: string, text?: string): void {
  expect(o.ok).toBe(false);
  expect(o.error?.code).toBe(code);
  const ts = check(o, 'authenticTimestamp');
  expect(ts).toMatchObject({ result: 'failed', action: 'enforced' });
  expect(ts.error?.code).toBe(code);
  if (text) expect(ts.error?.message).toContain(text);
  // Integrity, authenticity and expiry ran before and passed.
  expect(check(o, 'authenticity').result).toBe('passed');
  expect(check(o, 'revocation').result).toBe('skipped');
}

function expectOk(o: VerificationOutcome): void {
  expect(o.error).toBeUndefined();
  expect(o.ok).toBe(true);
  expect(check(o, 'authenticTimestamp')).toMatchObject({ result: 'passed', action: 'enforced' });
}

const useTsa = () => tsa;
const useOtherTsa = () => otherTsa;

describe('certificate validity without a tsa store (DIGEST §5.3 step 2)', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('a valid chain passes and says no tsa store was named', async () => {
      const o = await run(mediaType, {});
      expectOk(o);
      expect(check(o, 'authenticTimestamp').detail?.note).toContain('no tsa store');
    });
    test('an expired leaf → ERR_CERT_INVALID in authenticTimestamp', async () => {
      const o = await run(mediaType, { chain: expired });
      expectTimestampFailure(o, 'ERR_CERT_INVALID', 'expired');
    });
    test('a not-yet-valid leaf → ERR_CERT_INVALID in authenticTimestamp', async () => {
      const o = await run(mediaType, { chain: notYetValid });
      expectTimestampFailure(o, 'ERR_CERT_INVALID', 'will be valid from');
    });
    test('an expired leaf with a timestamp but no tsa store still fails (token ignored)', async () => {
      const o = await run(mediaType, { chain: expired, genTime: ago(5) });
      expectTimestampFailure(o, 'ERR_CERT_INVALID', 'expired');
    });
    test('the verifier clock decides: an expired leaf verifies at a time inside its validity', async () => {
      const o = await run(mediaType, { chain: expired, now: ago(5) });
      expectOk(o);
    });
  });
});

describe('verifyTimestamp "always" with a tsa store (DIGEST §5.3 step 3)', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('a valid chain timestamped now passes and the outcome carries the timestamp', async () => {
      const genTime = nowSeconds();
      const o = await run(mediaType, { genTime, tsaStore: useTsa });
      expectOk(o);
      expect(o.envelope?.timestamp?.genTime.toISOString()).toBe(genTime.toISOString());
    });
    test('a valid chain without a timestamp → ERR_TIMESTAMP_INVALID', async () => {
      const o = await run(mediaType, { tsaStore: useTsa });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'no timestamp countersignature');
    });
    test('an expired leaf timestamped inside its validity passes', async () => {
      const o = await run(mediaType, {
        chain: expired,
        sign: { signingTime: ago(5) },
        genTime: ago(5),
        tsaStore: useTsa,
      });
      expectOk(o);
    });
    test('a timestamp after the leaf expired → ERR_TIMESTAMP_INVALID', async () => {
      const o = await run(mediaType, { chain: expired, genTime: nowSeconds(), tsaStore: useTsa });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'timestamp can be after certificate');
    });
    test('a timestamp before the leaf was valid → ERR_TIMESTAMP_INVALID', async () => {
      const o = await run(mediaType, { chain: expired, genTime: ago(40), tsaStore: useTsa });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'timestamp can be before certificate');
    });
    test('a not-yet-valid leaf timestamped now → ERR_TIMESTAMP_INVALID', async () => {
      const o = await run(mediaType, {
        chain: notYetValid,
        genTime: nowSeconds(),
        tsaStore: useTsa,
      });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'timestamp can be before certificate');
    });
    test('a token from a TSA whose root is not in the tsa store → ERR_TIMESTAMP_INVALID', async () => {
      const o = await run(mediaType, {
        genTime: nowSeconds(),
        withTsa: useOtherTsa,
        tsaStore: useTsa,
      });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'does not chain to a trusted TSA root');
    });
    test('an explicit "always" behaves as the default', async () => {
      const o = await run(mediaType, {
        tsaStore: useTsa,
        statement: { verifyTimestamp: 'always' },
      });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'verifyTimestamp: always');
    });
  });
});

describe('verifyTimestamp "afterCertExpiry" (DIGEST §5.3 step 1)', () => {
  const after: StatementOptions = { verifyTimestamp: 'afterCertExpiry' };
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('a valid chain needs no timestamp', async () => {
      const o = await run(mediaType, { tsaStore: useTsa, statement: after });
      expectOk(o);
      expect(check(o, 'authenticTimestamp').detail?.note).toContain('not required');
    });
    test('a valid chain with a token from an untrusted TSA passes (token not even read)', async () => {
      const o = await run(mediaType, {
        genTime: nowSeconds(),
        withTsa: useOtherTsa,
        tsaStore: useTsa,
        statement: after,
      });
      expectOk(o);
      expect(o.envelope?.timestamp).toBeUndefined();
    });
    test('an expired leaf without a timestamp → ERR_TIMESTAMP_INVALID', async () => {
      const o = await run(mediaType, { chain: expired, tsaStore: useTsa, statement: after });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'afterCertExpiry');
    });
    test('an expired leaf timestamped inside its validity passes', async () => {
      const o = await run(mediaType, {
        chain: expired,
        genTime: ago(5),
        tsaStore: useTsa,
        statement: after,
      });
      expectOk(o);
      expect(o.envelope?.timestamp).toBeDefined();
    });
    test('an expired leaf timestamped after its expiry → ERR_TIMESTAMP_INVALID', async () => {
      const o = await run(mediaType, {
        chain: expired,
        genTime: nowSeconds(),
        tsaStore: useTsa,
        statement: after,
      });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'timestamp can be after certificate');
    });
    test('a not-yet-valid leaf is not "expired": validity now is checked → ERR_CERT_INVALID', async () => {
      const o = await run(mediaType, { chain: notYetValid, tsaStore: useTsa, statement: after });
      expectTimestampFailure(o, 'ERR_CERT_INVALID', 'will be valid from');
    });
  });
});

describe('signing-authority scheme: authenticSigningTime (DIGEST §5.3)', () => {
  const sa = (t: Date): Partial<SignOptions> => ({
    signingScheme: 'notary.x509.signingAuthority',
    authenticSigningTime: t,
  });
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('authenticSigningTime inside the validity passes', async () => {
      const o = await run(mediaType, { sign: sa(nowSeconds()) });
      expectOk(o);
      expect(check(o, 'authenticity').detail?.store).toBe('signingAuthority:acme');
    });
    test('an expired leaf with authenticSigningTime inside its validity passes', async () => {
      const o = await run(mediaType, { chain: expired, sign: sa(ago(5)) });
      expectOk(o);
    });
    test('authenticSigningTime before the leaf validity → ERR_TIMESTAMP_INVALID', async () => {
      const o = await run(mediaType, { sign: sa(ago(20)) });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'was not valid when');
    });
    test('authenticSigningTime after the leaf expired → ERR_TIMESTAMP_INVALID', async () => {
      const o = await run(mediaType, { chain: expired, sign: sa(nowSeconds()) });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID', 'was not valid when');
    });
    test('a signing-authority signature against a ca store only → ERR_UNTRUSTED_SIGNER', async () => {
      const envelope = signEnvelope(mediaType, { ...sa(nowSeconds()), chain: valid });
      const trust = makeTrust({ stores: { 'ca:acme': [valid.root] } });
      const o = await new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
      expect(check(o, 'authenticity').result).toBe('failed');
    });
    test('a notary.x509 signature against a signingAuthority store only → ERR_UNTRUSTED_SIGNER', async () => {
      const envelope = signEnvelope(mediaType, { chain: valid });
      const trust = makeTrust({
        stores: { 'signingAuthority:acme': [valid.root] },
        statements: [{ trustStores: ['signingAuthority:acme'] }],
      });
      const o = await new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
    });
  });
});

describe('expiry header (DIGEST §5.2 step 5)', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('an expiry in the future passes', async () => {
      const o = await run(mediaType, { sign: { expiry: nowSeconds(DAY) } });
      expectOk(o);
      expect(check(o, 'expiry')).toMatchObject({ result: 'passed', action: 'enforced' });
    });
    test('no expiry passes with a note', async () => {
      const o = await run(mediaType, {});
      expect(check(o, 'expiry').detail?.note).toBe('no expiry set');
    });
    test('an expiry in the past → ERR_SIGNATURE_EXPIRED, enforced under strict', async () => {
      const o = await run(mediaType, {
        sign: { signingTime: ago(2), expiry: ago(1) },
      });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_SIGNATURE_EXPIRED');
      expect(check(o, 'expiry')).toMatchObject({ result: 'failed', action: 'enforced' });
      expect(check(o, 'authenticTimestamp').result).toBe('skipped');
    });
    test('expiry reached exactly at verification time counts as expired', async () => {
      const expiry = nowSeconds(DAY);
      const o = await run(mediaType, { sign: { expiry }, now: expiry });
      expect(o.error?.code).toBe('ERR_SIGNATURE_EXPIRED');
    });
  });
});

describe('a TSA certificate that breaks the time-stamping requirements', () => {
  let badTsa: TestTsa;
  beforeAll(async () => {
    // The TSA leaf's timeStamping EKU must be critical (RFC 3161 §2.3).
    badTsa = await createTestTsa(
      await buildChain({
        name: 'Lax TSA',
        timeStamping: true,
        caKeyIndex: KEY_INDEX.otherTsa,
        leaf: { notBefore: ago(60), extKeyUsageCritical: false },
      }),
    );
  });

  test.each(MEDIA_TYPES)(
    '%s: fails authenticTimestamp with ERR_TIMESTAMP_INVALID',
    async (mediaType) => {
      const o = await run(mediaType, {
        genTime: ago(0.01),
        withTsa: () => badTsa,
        tsaStore: () => badTsa,
      });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID');
    },
  );

  test.each(MEDIA_TYPES)(
    '%s: a TSA certificate that cannot be parsed is reported as ERR_TIMESTAMP_INVALID, not a certificate error',
    async (mediaType) => {
      const envelope = signEnvelope(mediaType, { chain: valid });
      const token = Buffer.from(
        await tsa.timestamp(signatureOf(mediaType, envelope), { genTime: ago(0.01) }),
      );
      // Break the TSA leaf's notBefore (a UTCTime inside the token): the token
      // still parses, the certificate does not.
      const leaf = token.indexOf(tsa.chain.leaf.der);
      expect(leaf).toBeGreaterThan(0);
      const utc = token.indexOf(Buffer.from([0x17, 0x0d]), leaf);
      token[utc + 2] = 0x58; // 'X' is no digit
      const trust = makeTrust({
        stores: { 'ca:acme': [valid.root], 'tsa:tsa': [tsa.chain.root] },
        statements: [{ trustStores: ['ca:acme', 'tsa:tsa'] }],
      });
      const o = await new Verifier(trust).verify({
        artifact: ARTIFACT,
        envelope: withTimestamp(mediaType, envelope, token),
        mediaType,
      });
      expectTimestampFailure(o, 'ERR_TIMESTAMP_INVALID');
    },
  );
});
