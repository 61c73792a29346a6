/**
 * Every benchmark `npm run bench` runs, in order. Later issues (revocation,
 * registry, scale) add theirs here: a module exporting a {@link BenchmarkModule}
 * whose `issue` names the issue; docs/benchmarks.md groups sections by it.
 */
import { coldStartBenchmark } from './coldStart';
import { verifierMemoryBenchmark } from './memory';
import { registryRequestsBenchmark } from './registryRequests';
import { revocationBenchmark } from './revocation';
import { scaleBenchmark } from './scale';
import { trustClientRefreshBenchmark } from './trustClient';
import type { BenchmarkModule } from './types';
import { verifierThroughputBenchmark } from './verifier';

/** The registered benchmarks. */
export const BENCHMARKS: readonly BenchmarkModule[] = [
  trustClientRefreshBenchmark,
  coldStartBenchmark,
  verifierThroughputBenchmark,
  verifierMemoryBenchmark,
  revocationBenchmark,
  registryRequestsBenchmark,
  scaleBenchmark,
];

/** The benchmarks whose ids are listed in `only` (comma-separated), or all of them. */
export function selectBenchmarks(only: string | undefined): readonly BenchmarkModule[] {
  if (!only) return BENCHMARKS;
  const ids = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !BENCHMARKS.some((b) => b.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark id(s) ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.id).join(', ')}`,
    );
  }
  return BENCHMARKS.filter((b) => ids.includes(b.id));
}
