/**
 * 1,000 concurrent verifications in one process (Promise.all over one
 * Verifier, mixed good and bad JWS and COSE envelopes) give exactly the
 * results of the same inputs verified one after another: the Verifier holds
 * no per-call state that concurrent calls could share or corrupt.
 */
import { Verifier } from '../../src/verify';
import type { VerificationOutcome } from '../../src/verify/types';
import { generateKey, type TestChain } from '../helpers/pki';
import { signEnvelope, type TestEnvelopeMediaType } from '../helpers/signer';
import {
  ARTIFACT,
  buildChain,
  KEY_INDEX,
  makeTrust,
  MEDIA_TYPES,
  summary,
} from '../verify/fixtures';

const COUNT = 1000;
const DAY = 86_400_000;

interface Input {
  readonly kind: string;
  readonly mediaType: TestEnvelopeMediaType;
  readonly envelope: Uint8Array;
  readonly artifact: string;
}

let verifier: Verifier;
let inputs: Input[];

beforeAll(async () => {
  const acme = await buildChain({ name: 'Acme', caKeyIndex: KEY_INDEX.acme });
  const revoked = await buildChain({ name: 'Acme', from: acme, leafKeyIndex: 1 });
  const stranger: TestChain = await buildChain({
    name: 'Stranger',
    caKeyIndex: KEY_INDEX.stranger,
  });
  const otherKey = await generateKey('ec-p256', 3);
  verifier = new Verifier(
    makeTrust({ stores: { 'ca:acme': [acme.root] }, revocations: [revoked.leaf.sha256] }),
  );
  const kinds: Record<string, (m: TestEnvelopeMediaType) => Omit<Input, 'kind' | 'mediaType'>> = {
    good: (m) => ({ envelope: signEnvelope(m, { chain: acme }), artifact: ARTIFACT }),
    badSignature: (m) => ({
      envelope: signEnvelope(m, { chain: acme, signingKey: otherKey.privateKeyObject }),
      artifact: ARTIFACT,
    }),
    untrusted: (m) => ({ envelope: signEnvelope(m, { chain: stranger }), artifact: ARTIFACT }),
    otherArtifact: (m) => ({
      envelope: signEnvelope(m, { chain: acme }),
      artifact: `registry.example.com/app@sha256:${'ab'.repeat(32)}`,
    }),
    expired: (m) => ({
      envelope: signEnvelope(m, {
        chain: acme,
        signingTime: new Date(Math.floor((Date.now() - 2 * DAY) / 1000) * 1000),
        expiry: new Date(Math.floor((Date.now() - DAY) / 1000) * 1000),
      }),
      artifact: ARTIFACT,
    }),
    revoked: (m) => ({ envelope: signEnvelope(m, { chain: revoked }), artifact: ARTIFACT }),
    garbage: () => ({ envelope: Buffer.from('{"not":"an envelope"}'), artifact: ARTIFACT }),
  };
  const variants: Input[] = [];
  for (const [kind, make] of Object.entries(kinds)) {
    for (const mediaType of MEDIA_TYPES) variants.push({ kind, mediaType, ...make(mediaType) });
  }
  // Stride 3 (coprime to the 14 variants) interleaves every kind and format.
  inputs = Array.from({ length: COUNT }, (_, i) => variants[(i * 3) % variants.length]!);
});

/** What must be identical between runs: verdict, error code, every check, signer. */
function fingerprint(o: VerificationOutcome): unknown {
  return {
    ok: o.ok,
    error: o.error?.code,
    checks: summary(o),
    checkErrors: o.checks.map((c) => c.error?.code),
    signer: o.signer?.fingerprint,
  };
}

function verify(input: Input): Promise<VerificationOutcome> {
  return verifier.verify({
    artifact: input.artifact,
    envelope: input.envelope,
    mediaType: input.mediaType,
  });
}

describe('1,000 concurrent verifications over one Verifier', () => {
  test('results are identical to sequential runs, input by input', async () => {
    const sequential: unknown[] = [];
    for (const input of inputs) sequential.push(fingerprint(await verify(input)));
    const concurrent = (await Promise.all(inputs.map(verify))).map(fingerprint);
    expect(concurrent).toEqual(sequential);
    // A second concurrent round (caches warm) agrees as well.
    expect((await Promise.all(inputs.map(verify))).map(fingerprint)).toEqual(sequential);
  });

  test('the mix really is mixed: good ones pass, each bad kind fails with its own code', async () => {
    const byKind = new Map<string, Set<string>>();
    const outcomes = await Promise.all(inputs.map(verify));
    outcomes.forEach((o, i) => {
      const kind = inputs[i]!.kind;
      const set = byKind.get(kind) ?? new Set<string>();
      set.add(o.ok ? 'ok' : (o.error?.code ?? 'no code'));
      byKind.set(kind, set);
    });
    expect(Object.fromEntries([...byKind].map(([k, v]) => [k, [...v]]))).toEqual({
      good: ['ok'],
      badSignature: ['ERR_SIGNATURE_INVALID'],
      untrusted: ['ERR_UNTRUSTED_SIGNER'],
      otherArtifact: ['ERR_SIGNATURE_INVALID'],
      expired: ['ERR_SIGNATURE_EXPIRED'],
      revoked: ['ERR_REVOKED'],
      garbage: ['ERR_ENVELOPE_INVALID'],
    });
  });
});
