/**
 * Verification plugins (plugin-extensibility.md; DIGEST §5.2 steps 2 and 8):
 * registered async functions by name; a TRUSTED_IDENTITY failure counts as
 * authenticity, a REVOCATION_CHECK failure as revocation, each with its level
 * action; anything inconclusive fails closed with ERR_PLUGIN_REQUIRED.
 */
import { CHECK_ORDER } from '../../src/policy';
import { Verifier } from '../../src/verify';
import type {
  PluginCapability,
  PluginRequest,
  PluginResponse,
  VerificationOutcome,
  VerificationPlugin,
} from '../../src/verify/types';
import type { TestChain } from '../helpers/pki';
import { signEnvelope, type SignOptions } from '../helpers/signer';
import {
  ARTIFACT,
  buildChain,
  check,
  makeTrust,
  MEDIA_TYPES,
  type StatementOptions,
} from './fixtures';

type MediaType = (typeof MEDIA_TYPES)[number];
const PLUGIN = 'com.example.verifier';
const BOTH: PluginCapability[] = [
  'SIGNATURE_VERIFIER.TRUSTED_IDENTITY',
  'SIGNATURE_VERIFIER.REVOCATION_CHECK',
];

let acme: TestChain;

beforeAll(async () => {
  acme = await buildChain({ name: 'Acme' });
});

/** A plugin that answers `response` (merged over a full success) and records its requests. */
function plugin(response: Partial<PluginResponse> = {}): VerificationPlugin & {
  calls: PluginRequest[];
} {
  const calls: PluginRequest[] = [];
  const fn = async (request: PluginRequest): Promise<PluginResponse> => {
    calls.push(request);
    return {
      version: '1.2.0',
      capabilities: BOTH,
      verificationResults: {
        'SIGNATURE_VERIFIER.TRUSTED_IDENTITY': { success: true },
        'SIGNATURE_VERIFIER.REVOCATION_CHECK': { success: true },
      },
      processedAttributes: request.criticalAttributes,
      ...response,
    };
  };
  return Object.assign(fn, { calls });
}

async function run(
  mediaType: MediaType,
  plugins: Record<string, VerificationPlugin> | undefined,
  opts: { sign?: Partial<SignOptions>; statement?: StatementOptions } = {},
): Promise<VerificationOutcome> {
  const trust = makeTrust({
    stores: { 'ca:acme': [acme.root] },
    statements: [{ ...opts.statement }],
  });
  const envelope = signEnvelope(mediaType, {
    chain: acme,
    verificationPlugin: PLUGIN,
    ...opts.sign,
  });
  return new Verifier(trust, plugins ? { plugins } : {}).verify({
    artifact: ARTIFACT,
    envelope,
    mediaType,
  });
}

function expectFiveChecks(o: VerificationOutcome): void {
  expect(o.checks.map((c) => c.check)).toEqual([...CHECK_ORDER]);
}

function expectInconclusive(o: VerificationOutcome, text: string): void {
  expect(o.ok).toBe(false);
  expect(o.error?.code).toBe('ERR_PLUGIN_REQUIRED');
  expect(o.error?.message).toContain(text);
  expectFiveChecks(o);
}

describe('verification plugins', () => {
  describe.each(MEDIA_TYPES)('%s', (mediaType) => {
    test('no plugin registered for the named one → ERR_PLUGIN_REQUIRED before any trust decision', async () => {
      const o = await run(mediaType, undefined);
      expectInconclusive(o, 'is not registered');
      expect(check(o, 'integrity').result).toBe('passed');
      expect(check(o, 'authenticity').result).toBe('skipped');
    });
    test('a plugin registered under another name does not count', async () => {
      const o = await run(mediaType, { 'com.example.other': plugin() });
      expectInconclusive(o, 'is not registered');
    });
    test('a registered plugin that succeeds: verification passes and it saw the request', async () => {
      const p = plugin();
      const o = await run(mediaType, { [PLUGIN]: p });
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
      expectFiveChecks(o);
      expect(p.calls).toHaveLength(1);
      expect(p.calls[0]).toMatchObject({
        pluginName: PLUGIN,
        capabilities: BOTH,
        trustedIdentities: ['*'],
        criticalAttributes: [],
      });
      expect(p.calls[0]!.envelope.verificationPlugin).toBe(PLUGIN);
    });
    test('plugin failing TRUSTED_IDENTITY under strict → authenticity enforced, ERR_UNTRUSTED_SIGNER', async () => {
      const o = await run(mediaType, {
        [PLUGIN]: plugin({
          verificationResults: {
            'SIGNATURE_VERIFIER.TRUSTED_IDENTITY': { success: false, reason: 'not ours' },
            'SIGNATURE_VERIFIER.REVOCATION_CHECK': { success: true },
          },
        }),
      });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
      expect(o.error?.message).toContain('not ours');
      expectFiveChecks(o);
      expect(check(o, 'authenticity')).toMatchObject({
        result: 'failed',
        action: 'enforced',
        detail: { method: 'plugin' },
      });
    });
    test('plugin failing TRUSTED_IDENTITY under audit → authenticity logged, outcome passes', async () => {
      const o = await run(
        mediaType,
        {
          [PLUGIN]: plugin({
            verificationResults: {
              'SIGNATURE_VERIFIER.TRUSTED_IDENTITY': { success: false },
              'SIGNATURE_VERIFIER.REVOCATION_CHECK': { success: true },
            },
          }),
        },
        { statement: { level: 'audit' } },
      );
      expect(o.ok).toBe(true);
      expectFiveChecks(o);
      expect(check(o, 'authenticity')).toMatchObject({ result: 'failed', action: 'logged' });
      expect(o.warnings.join()).toContain('authenticity failed');
    });
    test('plugin failing REVOCATION_CHECK under strict → revocation enforced, ERR_REVOKED', async () => {
      const o = await run(mediaType, {
        [PLUGIN]: plugin({
          verificationResults: {
            'SIGNATURE_VERIFIER.TRUSTED_IDENTITY': { success: true },
            'SIGNATURE_VERIFIER.REVOCATION_CHECK': { success: false, reason: 'revoked' },
          },
        }),
      });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_REVOKED');
      expectFiveChecks(o);
      expect(check(o, 'revocation')).toMatchObject({
        result: 'failed',
        action: 'enforced',
        detail: { method: 'plugin' },
      });
    });
    test('plugin failing REVOCATION_CHECK under permissive → revocation logged', async () => {
      const o = await run(
        mediaType,
        {
          [PLUGIN]: plugin({
            verificationResults: {
              'SIGNATURE_VERIFIER.TRUSTED_IDENTITY': { success: true },
              'SIGNATURE_VERIFIER.REVOCATION_CHECK': { success: false },
            },
          }),
        },
        { statement: { level: 'permissive' } },
      );
      expect(o.ok).toBe(true);
      expectFiveChecks(o);
      expect(check(o, 'revocation')).toMatchObject({ result: 'failed', action: 'logged' });
    });
    test('revocation skipped by override: the plugin is not asked for REVOCATION_CHECK', async () => {
      const p = plugin();
      const o = await run(
        mediaType,
        { [PLUGIN]: p },
        {
          statement: { override: { revocation: 'skip' } },
        },
      );
      expect(o.ok).toBe(true);
      expect(p.calls[0]!.capabilities).toEqual(['SIGNATURE_VERIFIER.TRUSTED_IDENTITY']);
    });
    test('an extended critical attribute processed by the plugin passes', async () => {
      const p = plugin();
      const o = await run(
        mediaType,
        { [PLUGIN]: p },
        {
          sign: {
            extendedAttributes: { 'io.example.policy': 'p1' },
            extraCrit: ['io.example.policy'],
          },
        },
      );
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
      expect(p.calls[0]!.criticalAttributes).toEqual(['io.example.policy']);
    });
    test('plugin not processing an extended critical attribute → ERR_PLUGIN_REQUIRED', async () => {
      const o = await run(
        mediaType,
        { [PLUGIN]: plugin({ processedAttributes: [] }) },
        {
          sign: {
            extendedAttributes: { 'io.example.policy': 'p1' },
            extraCrit: ['io.example.policy'],
          },
        },
      );
      expectInconclusive(o, 'did not process extended critical attribute "io.example.policy"');
    });
    test('plugin throwing → fails closed with ERR_PLUGIN_REQUIRED', async () => {
      const o = await run(mediaType, {
        [PLUGIN]: async () => {
          throw new Error('plugin crashed');
        },
      });
      expectInconclusive(o, 'plugin crashed');
    });
    test('plugin older than the envelope’s minimum version → ERR_PLUGIN_REQUIRED', async () => {
      const o = await run(
        mediaType,
        { [PLUGIN]: plugin({ version: '1.2.0' }) },
        {
          sign: { verificationPluginMinVersion: '2.0.0' },
        },
      );
      expectInconclusive(o, 'requires 2.0.0 or later');
    });
    test('plugin at the minimum version passes', async () => {
      const o = await run(
        mediaType,
        { [PLUGIN]: plugin({ version: '2.0.0' }) },
        {
          sign: { verificationPluginMinVersion: '2.0.0' },
        },
      );
      expect(o.ok).toBe(true);
    });
    test('plugin with a version that is not SemVer → ERR_PLUGIN_REQUIRED', async () => {
      const o = await run(
        mediaType,
        { [PLUGIN]: plugin({ version: 'latest' }) },
        {
          sign: { verificationPluginMinVersion: '1.0.0' },
        },
      );
      expectInconclusive(o, 'not SemVer');
    });
    test('plugin without signature-verifier capabilities → ERR_PLUGIN_REQUIRED', async () => {
      const o = await run(mediaType, { [PLUGIN]: plugin({ capabilities: [] }) });
      expectInconclusive(o, 'has none of the signature verifier capabilities');
    });
    test('plugin without a result for a capability it has → ERR_PLUGIN_REQUIRED', async () => {
      const o = await run(mediaType, {
        [PLUGIN]: plugin({
          verificationResults: { 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY': { success: true } },
        }),
      });
      expectInconclusive(o, 'returned no result for SIGNATURE_VERIFIER.REVOCATION_CHECK');
    });
  });
});
