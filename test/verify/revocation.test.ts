/**
 * Revocation from the TUF deny list (`revocations.json`, DESIGN "Trust
 * repository conventions"): any certificate of the signing chain or of the
 * TSA chain that is listed fails with ERR_REVOKED, method `denylist`.
 */
import { Verifier } from '../../src/verify';
import type { VerificationOutcome } from '../../src/verify/types';
import type { TestCert, TestChain } from '../helpers/pki';
import { nowSeconds, signEnvelope } from '../helpers/signer';
import { createTestTsa, type TestTsa } from '../helpers/tsa';
import {
  ARTIFACT,
  buildChain,
  check,
  KEY_INDEX,
  makeTrust,
  MEDIA_TYPES,
  signTimestamped,
  type StatementOptions,
} from './fixtures';

type MediaType = (typeof MEDIA_TYPES)[number];

let acme: TestChain;
let tsa: TestTsa;

beforeAll(async () => {
  acme = await buildChain({ name: 'Acme' });
  tsa = await createTestTsa(
    await buildChain({ name: 'Test TSA', timeStamping: true, caKeyIndex: KEY_INDEX.tsa }),
  );
});

async function run(
  mediaType: MediaType,
  revoked: TestCert[],
  opts: { timestamped?: boolean; statement?: StatementOptions } = {},
): Promise<VerificationOutcome> {
  const stores: Record<string, TestCert[]> = { 'ca:acme': [acme.root] };
  if (opts.timestamped) stores['tsa:tsa'] = [tsa.chain.root];
  const trust = makeTrust({
    stores,
    statements: [{ trustStores: Object.keys(stores), ...opts.statement }],
    // Upper case must match too: fingerprints are compared case-insensitively.
    revocations: revoked.map((c, i) => (i % 2 ? c.sha256.toUpperCase() : c.sha256)),
  });
  const envelope = opts.timestamped
    ? await signTimestamped(mediaType, { chain: acme }, tsa, nowSeconds())
    : signEnvelope(mediaType, { chain: acme });
  return new Verifier(trust).verify({ artifact: ARTIFACT, envelope, mediaType });
}

/**
 * The signing chain's revocation is the `revocation` check; the TSA chain's is
 * part of `authenticTimestamp` (DIGEST §5.3 step 9): a revoked TSA makes the
 * timestamp unusable.
 */
function expectRevoked(o: VerificationOutcome, cert: TestCert, chain: string): void {
  expect(o.ok).toBe(false);
  expect(o.error?.code).toBe('ERR_REVOKED');
  const where = chain === 'timestamping' ? 'authenticTimestamp' : 'revocation';
  const r = check(o, where);
  expect(r).toMatchObject({ result: 'failed', action: 'enforced' });
  expect(r.detail).toMatchObject({
    method: 'denylist',
    status: 'revoked',
    certificate: { fingerprint: cert.sha256 },
  });
  expect(r.error?.message).toContain(`${chain} certificate`);
  // Every earlier check passed.
  const before = ['integrity', 'authenticity', 'expiry', 'authenticTimestamp'] as const;
  for (const name of before.slice(
    0,
    before.indexOf(where as never) >= 0 ? before.indexOf(where as never) : 4,
  )) {
    expect(check(o, name).result).toBe('passed');
  }
}

describe('deny-list revocation (revocations.json)', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('no listed certificate: passes, method denylist, status good', async () => {
      const o = await run(mediaType, [tsa.chain.leaf]);
      expect(o.ok).toBe(true);
      expect(check(o, 'revocation')).toMatchObject({
        result: 'passed',
        action: 'enforced',
        detail: { method: 'denylist', status: 'good' },
      });
      expect(check(o, 'revocation').detail?.note).toContain(
        'no signing certificate carries OCSP or CRL',
      );
    });
    test('a revoked leaf → ERR_REVOKED', async () => {
      expectRevoked(await run(mediaType, [acme.leaf]), acme.leaf, 'signing');
    });
    test('a revoked intermediate → ERR_REVOKED', async () => {
      expectRevoked(await run(mediaType, [acme.intermediate]), acme.intermediate, 'signing');
    });
    test('a revoked root → ERR_REVOKED', async () => {
      expectRevoked(await run(mediaType, [acme.root]), acme.root, 'signing');
    });
    test('a fingerprint listed in upper case still revokes', async () => {
      // run() upper-cases every second entry.
      expectRevoked(await run(mediaType, [tsa.chain.root, acme.leaf]), acme.leaf, 'signing');
    });
    test('a revoked TSA leaf → ERR_REVOKED', async () => {
      const o = await run(mediaType, [tsa.chain.leaf], { timestamped: true });
      expectRevoked(o, tsa.chain.leaf, 'timestamping');
    });
    test('a revoked TSA intermediate → ERR_REVOKED', async () => {
      const o = await run(mediaType, [tsa.chain.intermediate], { timestamped: true });
      expectRevoked(o, tsa.chain.intermediate, 'timestamping');
    });
    test('a revoked TSA root → ERR_REVOKED', async () => {
      const o = await run(mediaType, [tsa.chain.root], { timestamped: true });
      expectRevoked(o, tsa.chain.root, 'timestamping');
    });
    test('under permissive a revoked leaf is logged and the outcome passes', async () => {
      const o = await run(mediaType, [acme.leaf], { statement: { level: 'permissive' } });
      expect(o.ok).toBe(true);
      expect(check(o, 'revocation')).toMatchObject({ result: 'failed', action: 'logged' });
      expect(o.warnings.join()).toContain('revocation failed');
    });
    test('override revocation: skip never consults the deny list', async () => {
      const o = await run(mediaType, [acme.leaf], {
        statement: { override: { revocation: 'skip' } },
      });
      expect(o.ok).toBe(true);
      expect(check(o, 'revocation')).toMatchObject({ result: 'skipped', action: 'skipped' });
    });
  });
});
