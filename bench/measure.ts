/**
 * Measurement helpers shared by the benchmarks: medians, interleaved trials
 * (so that machine noise hits both sides of a ratio alike), formatting and
 * ratio goals.
 */
import { performance } from 'node:perf_hooks';
import type { GoalResult } from './types';

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function nowMs(): number {
  return performance.now();
}

/** One side of a comparison: runs once and returns the milliseconds it measured itself. */
export type Trial = () => Promise<number> | number;

/**
 * Runs every trial once per round for `rounds` rounds (after `warmup`
 * unrecorded rounds), rotating the order each round so neither side always
 * runs first, and returns each trial's samples in milliseconds.
 */
export async function interleave<K extends string>(
  trials: Readonly<Record<K, Trial>>,
  rounds: number,
  warmup = 1,
): Promise<Record<K, number[]>> {
  const names = Object.keys(trials) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < warmup + rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      const ms = await trials[name]();
      if (round >= warmup) samples[name].push(ms);
    }
  }
  return samples;
}

/** Times `fn` (sync or async) in milliseconds. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

/** `1.234` → `1.23×`. */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

/** Milliseconds with a sensible precision. */
export function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

/** A goal `ours / baseline ≤ max`. */
export function ratioGoal(
  label: string,
  ours: number,
  baseline: number,
  max: number,
  format: (v: number) => string = formatMs,
): GoalResult {
  const ratio = ours / baseline;
  return {
    label,
    goal: `≤ ${max.toFixed(2)}×`,
    measured: `${formatRatio(ratio)} (${format(ours)} / ${format(baseline)})`,
    ratio,
    pass: Number.isFinite(ratio) && ratio <= max,
  };
}
