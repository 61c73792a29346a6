/**
 * Issue 2 (cold start): what `require('tuf-notary')` costs a fresh process,
 * against `require('tuf-js')`, each in its own child process (STACK.md §5:
 * process start varies ~100–150 ms run to run, so the hrtime around the
 * require inside the child is the reliable figure; wall time is reported too).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { formatRatio, interleave, median, nowMs, ratioGoal } from './measure';
import type { BenchContext, BenchmarkModule, BenchResult } from './types';

/** The cold-start goal of issue 2: ours ≤ 1.5 × tuf-js. */
const COLD_START_GOAL = 1.5;

interface ChildSample {
  requireMs: number;
  wallMs: number;
}

/** Runs `node -e` that requires `modulePath` (or nothing) between two hrtime reads. */
function requireInChild(cwd: string, modulePath: string | undefined): ChildSample {
  const script =
    modulePath === undefined
      ? 'process.stdout.write("0")'
      : `const t=process.hrtime.bigint();require(${JSON.stringify(modulePath)});` +
        'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
  const start = nowMs();
  const child = spawnSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' });
  const wallMs = nowMs() - start;
  if (child.status !== 0) {
    throw new Error(`bench: node -e require(${modulePath}) failed: ${child.stderr}`);
  }
  return { requireMs: Number(child.stdout), wallMs };
}

/** The built CommonJS entry of tuf-notary: build/src (npm run bench compiles it) or dist (npm run build). */
export function builtEntry(repoRoot: string): string {
  for (const candidate of ['build/src/index.js', 'dist/index.js']) {
    const file = path.join(repoRoot, candidate);
    if (existsSync(file)) return file;
  }
  throw new Error(
    `bench: no built tuf-notary in ${repoRoot} (build/src/index.js or dist/index.js); run "npm run build" or "npm run bench"`,
  );
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const runs = ctx.pick({ full: 21, quick: 11, smoke: 1 });
  const tufjs = require.resolve('tuf-js', { paths: [ctx.repoRoot] });
  const ours = ctx.entry;
  ctx.log(`  cold start: ${runs} interleaved child processes each`);
  const samples: Record<'ours' | 'tufjs' | 'empty', ChildSample[]> = {
    ours: [],
    tufjs: [],
    empty: [],
  };
  const record = (key: keyof typeof samples, modulePath: string | undefined) => () => {
    const s = requireInChild(ctx.repoRoot, modulePath);
    samples[key].push(s);
    return s.requireMs;
  };
  // One warm-up round fills the OS file cache for both module trees.
  await interleave(
    {
      ours: record('ours', ours),
      tufjs: record('tufjs', tufjs),
      empty: record('empty', undefined),
    },
    runs,
    1,
  );
  // interleave drops warm-up samples from its own result, not from ours: drop them here.
  for (const key of Object.keys(samples) as (keyof typeof samples)[]) samples[key].shift();
  const req = {
    ours: median(samples.ours.map((s) => s.requireMs)),
    tufjs: median(samples.tufjs.map((s) => s.requireMs)),
  };
  const wall = {
    ours: median(samples.ours.map((s) => s.wallMs)),
    tufjs: median(samples.tufjs.map((s) => s.wallMs)),
    empty: median(samples.empty.map((s) => s.wallMs)),
  };
  const wallRatio = (wall.ours - wall.empty) / (wall.tufjs - wall.empty);
  return {
    figures: [
      { label: "require('tuf-notary') in a fresh process", value: req.ours, unit: 'ms' },
      { label: "require('tuf-js') in a fresh process", value: req.tufjs, unit: 'ms' },
      { label: "whole process, node -e require('tuf-notary')", value: wall.ours, unit: 'ms' },
      { label: "whole process, node -e require('tuf-js')", value: wall.tufjs, unit: 'ms' },
      { label: 'whole process, node -e "" (process start alone)', value: wall.empty, unit: 'ms' },
    ],
    goals: [
      ratioGoal(
        "Cold start: require('tuf-notary') / require('tuf-js')",
        req.ours,
        req.tufjs,
        COLD_START_GOAL,
      ),
    ],
    method: [
      `tuf-notary = \`${path.relative(ctx.repoRoot, ours)}\` (compiled in the same run); tuf-js = \`${path.relative(ctx.repoRoot, tufjs)}\`.`,
      `Each sample is a fresh \`node -e\` child that reads \`process.hrtime.bigint()\` around the \`require()\`; medians of ${runs} runs per module after one warm-up round, the three kinds interleaved in rotating order.`,
      `Whole-process wall time (spawn to exit, measured by the parent) is reported for information: its ratio net of process start is ${formatRatio(wallRatio)} ((ours − empty) / (tuf-js − empty)), but process start varies more than the difference.`,
    ],
    details: [],
  };
}

/** Issue 2: cost of requiring the package, against tuf-js. */
export const coldStartBenchmark: BenchmarkModule = {
  id: 'cold-start',
  issue: 'Issue 2 — TrustClient',
  title: "Cold start: require('tuf-notary') against require('tuf-js')",
  run,
};
