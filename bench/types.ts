/**
 * The contract between the bench runner and each benchmark module: how big
 * to run (mode), and what a module hands back for the console summary and
 * docs/benchmarks.md (figures, goals with ratios, how it was measured).
 *
 * Goals are RATIOS against a baseline measured in the same run, on the same
 * machine, interleaved with it — never absolute times (docs/benchmarks.md).
 */

/** `full` (npm run bench), `quick` (BENCH_QUICK=1, ~30 s) or `smoke` (tests: tiny counts, numbers meaningless). */
export type BenchMode = 'full' | 'quick' | 'smoke';

/** What the runner gives every benchmark. */
export interface BenchContext {
  readonly mode: BenchMode;
  /** The repository root (where package.json is). */
  readonly repoRoot: string;
  /** The built `tuf-notary` entry (CommonJS) that cold-start measurements require. */
  readonly entry: string;
  /** The size for the current mode. */
  pick<T>(sizes: { readonly full: T; readonly quick: T; readonly smoke: T }): T;
  /** Progress output (stderr when run from the CLI, silent in tests). */
  log(line: string): void;
}

/** One measured number. */
export interface Figure {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** Digits after the decimal point when printed (default 2). */
  readonly digits?: number;
}

/** One goal of an issue and whether this run met it. */
export interface GoalResult {
  readonly label: string;
  /** The goal as written in the issue, e.g. `≤ 1.20×`. */
  readonly goal: string;
  /** What this run measured, e.g. `1.07× (8.1 ms / 7.6 ms)`. */
  readonly measured: string;
  /** The ratio, for goals that are ratios. */
  readonly ratio?: number;
  readonly pass: boolean;
}

/** What a benchmark module returns. */
export interface BenchResult {
  readonly figures: readonly Figure[];
  readonly goals: readonly GoalResult[];
  /** How it was measured (markdown bullet texts). */
  readonly method: readonly string[];
  /** Extra markdown (tables, series, request lists), printed after the figures. */
  readonly details: readonly string[];
}

/** A benchmark, registered in bench/registry.ts. */
export interface BenchmarkModule {
  /** Stable id (`trust-client-refresh`), also usable to select modules: `BENCH_ONLY=id,id`. */
  readonly id: string;
  /** The issue it measures, e.g. `Issue 2 — TrustClient`; docs group modules by it. */
  readonly issue: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}
