/**
 * Issue 3 (Verifier throughput): verifications per second for one JWS and
 * one COSE signature, ECDSA P-256 and RSA 3072 (RSASSA-PSS) leaves, chain of
 * three, policy `strict` without tsa, as a ratio to the bare `crypto.verify`
 * calls the same verification needs, measured in the same run.
 */
import { Verifier } from '../src/index';
import { clearParsedCertificates } from '../src/x509/certificate';
import { formatRatio, interleave, median, nowMs, ratioGoal } from './measure';
import {
  bareVerify,
  bareVerifyFromDer,
  createBenchEnvelopes,
  createBenchSigner,
  type BenchEnvelope,
  type BenchSigner,
} from './signatures';
import type { TestKeyType } from '../test/helpers/pki';
import type { TestEnvelopeMediaType } from '../test/helpers/signer';
import type { BenchContext, BenchmarkModule, BenchResult, Figure, GoalResult } from './types';

/** Goals of issue 3: a single verification ≤ 2.0 × its floor; one signer, many signatures ≤ 1.3 ×. */
const SINGLE_GOAL = 2.0;
const SHARED_GOAL = 1.3;
/** Operations per timed batch, and rounds (batches per variant). */
const BATCH = { full: 50, quick: 15, smoke: 2 } as const;
const ROUNDS = { full: 21, quick: 7, smoke: 1 } as const;

const KEYS: readonly { type: TestKeyType; label: string }[] = [
  { type: 'ec-p256', label: 'ECDSA P-256' },
  { type: 'rsa-3072', label: 'RSA 3072 (PS384)' },
];
const FORMATS: readonly { mediaType: TestEnvelopeMediaType; label: string }[] = [
  { mediaType: 'application/jose+json', label: 'JWS' },
  { mediaType: 'application/cose', label: 'COSE' },
];

/** Per-operation medians in milliseconds. */
interface CaseResult {
  readonly label: string;
  readonly single: number;
  readonly shared: number;
  readonly floor3: number;
  readonly floor4: number;
  readonly floor1: number;
  /** 3 bare verifies, each decoding its key from SPKI DER. */
  readonly floor3Der: number;
  /** The 4 verifies a cold verification needs (with the root's self-signature), keys from DER. */
  readonly floor4Der: number;
  readonly hits: number;
  readonly misses: number;
}

async function verifyOk(verifier: Verifier, e: BenchEnvelope): Promise<void> {
  const outcome = await verifier.verify(e.request);
  if (!outcome.ok) {
    throw new Error(
      `bench: verification failed: ${outcome.error?.code} ${outcome.error?.message ?? ''}`,
    );
  }
}

async function measureCase(
  ctx: BenchContext,
  label: string,
  signer: BenchSigner,
  envelopes: readonly BenchEnvelope[],
): Promise<CaseResult> {
  const batch = ctx.pick(BATCH);
  const rounds = ctx.pick(ROUNDS);
  const warmup = ctx.pick({ full: 2, quick: 1, smoke: 0 });
  const [link1, link2] = signer.links;
  const shared = new Verifier(signer.trust);
  await verifyOk(shared, envelopes[0]!); // the chain is validated once, then cached
  let i = 0;
  const next = (): BenchEnvelope => envelopes[i++ % envelopes.length]!;
  const perOp = (run: () => Promise<void> | void) => async () => {
    const start = nowMs();
    for (let k = 0; k < batch; k++) await run();
    return (nowMs() - start) / batch;
  };
  const s = await interleave(
    {
      // Cold: a fresh Verifier per signature and an empty parsed-certificate
      // cache, so every certificate is parsed and every link verified.
      single: perOp(() => {
        clearParsedCertificates();
        return verifyOk(new Verifier(signer.trust), next());
      }),
      // One Verifier, distinct envelopes from the same chain.
      shared: perOp(() => verifyOk(shared, next())),
      floor3: perOp(() => {
        bareVerify(next().signature);
        bareVerify(link1!);
        bareVerify(link2!);
      }),
      floor4: perOp(() => {
        bareVerify(next().signature);
        bareVerify(link1!);
        bareVerify(link2!);
        bareVerify(signer.rootSelf);
      }),
      floor1: perOp(() => bareVerify(next().signature)),
      floor3Der: perOp(() => {
        bareVerifyFromDer(next().signature);
        bareVerifyFromDer(link1!);
        bareVerifyFromDer(link2!);
      }),
      floor4Der: perOp(() => {
        bareVerifyFromDer(next().signature);
        bareVerifyFromDer(link1!);
        bareVerifyFromDer(link2!);
        bareVerifyFromDer(signer.rootSelf);
      }),
    },
    rounds,
    warmup,
  );
  return {
    label,
    single: median(s.single),
    shared: median(s.shared),
    floor3: median(s.floor3),
    floor4: median(s.floor4),
    floor1: median(s.floor1),
    floor3Der: median(s.floor3Der),
    floor4Der: median(s.floor4Der),
    ...shared.cacheStats,
  };
}

const perSecond = (ms: number): number => 1000 / ms;
const us = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;

async function run(ctx: BenchContext): Promise<BenchResult> {
  const poolSize = ctx.pick({ full: 64, quick: 32, smoke: 2 });
  const cases: CaseResult[] = [];
  for (const key of KEYS) {
    const signer = await createBenchSigner(`Bench ${key.type}`, key.type);
    for (const format of FORMATS) {
      const label = `${format.label}, ${key.label}`;
      ctx.log(`  verifier: ${label}`);
      const envelopes = createBenchEnvelopes(signer, format.mediaType, poolSize);
      cases.push(await measureCase(ctx, label, signer, envelopes));
    }
  }
  const figures: Figure[] = [];
  const goals: GoalResult[] = [];
  for (const c of cases) {
    figures.push(
      {
        label: `${c.label}: verifications/s, fresh Verifier each`,
        value: perSecond(c.single),
        unit: '/s',
        digits: 0,
      },
      {
        label: `${c.label}: verifications/s, one Verifier (shared signer)`,
        value: perSecond(c.shared),
        unit: '/s',
        digits: 0,
      },
      {
        label: `${c.label}: floor, 3 bare crypto.verify/s`,
        value: perSecond(c.floor3),
        unit: '/s',
        digits: 0,
      },
      {
        label: `${c.label}: floor, 1 bare crypto.verify/s`,
        value: perSecond(c.floor1),
        unit: '/s',
        digits: 0,
      },
    );
    goals.push(
      ratioGoal(
        `${c.label}: cold single verification / its 4 bare verifies (keys from DER)`,
        c.single,
        c.floor4Der,
        SINGLE_GOAL,
        us,
      ),
      ratioGoal(`${c.label}: shared signer / 1 bare verify`, c.shared, c.floor1, SHARED_GOAL, us),
    );
  }
  const rows = cases.map(
    (c) =>
      `| ${c.label} | ${us(c.single)} | ${us(c.floor3)} | ${formatRatio(c.single / c.floor3)} | ${formatRatio(c.single / c.floor4)} | ${formatRatio(c.single / c.floor3Der)} | ${formatRatio(c.single / c.floor4Der)} | ${us(c.shared)} | ${us(c.floor1)} | ${formatRatio(c.shared / c.floor1)} | ${formatRatio(c.shared / c.floor3)} | ${c.hits}/${c.misses} |`,
  );
  return {
    figures,
    goals,
    method: [
      "Chains: root → intermediate → leaf from test/helpers/pki.ts, every key of the leaf's type (P-256 chain signed with ECDSA-SHA256; RSA 3072 chain signed with RSASSA-PKCS1-SHA256, envelope signed RSASSA-PSS-SHA384 as Notary requires for a 3072-bit key). Envelopes from test/helpers/signer.ts, each over a distinct artifact digest; the envelope carries the whole chain.",
      'Trust: `parseOciTrustPolicy` + `createTrustStores` (public API) — one statement, level `strict`, store `ca:bench` holding the root, no tsa store, an `x509.subject` trusted identity; `verifier.verify({ artifact, envelope, mediaType })` must return `ok` or the run aborts.',
      'Single (cold) verification: a `new Verifier(trust)` per signature and the process-wide parsed-certificate cache emptied before each, so nothing is cached: every certificate is parsed and every signature checked. Its floor (the goal) = the 4 bare `crypto.verify` calls it needs — the envelope signature, leaf ← intermediate, intermediate ← root, and the root\'s self-signature (Notary certificate requirements: "a valid self-signed root") — each given its key as SubjectPublicKeyInfo DER, as a verification that starts from envelope bytes must (OpenSSL decodes every key). Ratios against 3 verifies (with and without DER decoding) and 4 prepared-key verifies are shown for information.',
      "Shared signer: one Verifier verifies distinct envelopes of the same chain; its chain-validation cache (keyed by the chain's fingerprints) skips the link checks after the first. Floor = 1 bare `crypto.verify` (the envelope signature): that is all a verification needs once the chain is known good, since the link verifies are paid once per chain and amortise to zero over many signatures. The ratio to the 3-verify floor is shown for information.",
      `Per-operation medians over batches of ${ctx.pick(BATCH)} operations, ${ctx.pick(ROUNDS)} rounds; all six variants run once per round in rotating order.`,
    ],
    details: [
      '| case | single | floor (3) | single / 3 | single / 4 | single / 3 DER | single / 4 DER | shared | floor (1) | shared / 1 | shared / 3 | cache hits/misses |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
    ],
  };
}

/** Issue 3: Verifier throughput against the bare crypto floor. */
export const verifierThroughputBenchmark: BenchmarkModule = {
  id: 'verifier-throughput',
  issue: 'Issue 3 — Verifier',
  title: 'Verifications per second against bare crypto.verify',
  run,
};
