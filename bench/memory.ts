/**
 * Issue 3 (Verifier memory): heap after forced GC while one Verifier checks
 * 10,000 signatures in a row; a verifier that keeps per-signature state would
 * grow. Goal: flat (last / first ≤ 1.1).
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Verifier } from '../src/index';
import { formatRatio } from './measure';
import { createBenchEnvelopes, createBenchSigner, type BenchEnvelope } from './signatures';
import type { BenchContext, BenchmarkModule, BenchResult } from './types';

const MEMORY_GOAL = 1.1;

/** The V8 `gc()` function, exposed at run time when node was not started with --expose-gc. */
export function forcedGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc(); // a second pass collects what the first one's finalizers released
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(2)} MB`;

async function run(ctx: BenchContext): Promise<BenchResult> {
  const total = ctx.pick({ full: 10_000, quick: 2_000, smoke: 20 });
  const every = ctx.pick({ full: 1_000, quick: 200, smoke: 10 });
  const gc = forcedGc();
  const signer = await createBenchSigner('Bench memory', 'ec-p256');
  const pool: BenchEnvelope[] = [
    ...createBenchEnvelopes(
      signer,
      'application/jose+json',
      ctx.pick({ full: 100, quick: 100, smoke: 2 }),
      1,
    ),
    ...createBenchEnvelopes(
      signer,
      'application/cose',
      ctx.pick({ full: 100, quick: 100, smoke: 2 }),
      2,
    ),
  ];
  const verifier = new Verifier(signer.trust);
  ctx.log(`  memory: ${total} verifications, heap sampled every ${every}`);
  const before = heapAfterGc(gc);
  const series: { count: number; heap: number }[] = [];
  for (let n = 1; n <= total; n++) {
    const e = pool[n % pool.length]!;
    const outcome = await verifier.verify(e.request);
    if (!outcome.ok) throw new Error(`bench: verification failed: ${outcome.error?.message}`);
    if (n % every === 0) series.push({ count: n, heap: heapAfterGc(gc) });
  }
  const first = series[0]!.heap;
  const last = series[series.length - 1]!.heap;
  const ratio = last / first;
  return {
    figures: [
      { label: 'heap before the first verification', value: before / 1048576, unit: 'MB' },
      { label: `heap after ${series[0]!.count} verifications`, value: first / 1048576, unit: 'MB' },
      { label: `heap after ${total} verifications`, value: last / 1048576, unit: 'MB' },
    ],
    goals: [
      {
        label: `Memory: heap after ${total} / after ${series[0]!.count} verifications (one Verifier)`,
        goal: `≤ ${MEMORY_GOAL.toFixed(2)}× (flat)`,
        measured: `${formatRatio(ratio)} (${mb(last)} / ${mb(first)})`,
        ratio,
        pass: ratio <= MEMORY_GOAL,
      },
    ],
    method: [
      `One Verifier (strict, ECDSA P-256 chain of three, no tsa) verifies ${total} signatures in a row, cycling through ${pool.length} distinct envelopes (half JWS, half COSE) built before the first sample.`,
      `Every ${every} verifications: two forced GCs (\`v8.setFlagsFromString('--expose-gc')\` + \`vm.runInNewContext('gc')\`), then \`process.memoryUsage().heapUsed\`. The ratio compares the last sample with the first (taken after ${every} verifications, once lazy modules and JIT are warm); the heap before any verification is shown for information.`,
    ],
    details: [
      '| verifications | heapUsed after GC |',
      '|---|---|',
      `| 0 | ${mb(before)} |`,
      ...series.map((s) => `| ${s.count} | ${mb(s.heap)} |`),
    ],
  };
}

/** Issue 3: heap stays flat over many verifications. */
export const verifierMemoryBenchmark: BenchmarkModule = {
  id: 'verifier-memory',
  issue: 'Issue 3 — Verifier',
  title: 'Memory over 10,000 verifications with one Verifier',
  run,
};
