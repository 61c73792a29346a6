/**
 * `npm run bench`: runs every registered benchmark, prints a summary table
 * and rewrites docs/benchmarks.md.
 *
 * Environment: BENCH_QUICK=1 (~30 s, fewer samples), BENCH_ONLY=id,id (some
 * modules; docs are then not rewritten unless BENCH_OUT is set),
 * BENCH_OUT=file (where to write the markdown), BENCH_STRICT=1 (exit 1 when
 * a goal is missed).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { builtEntry } from './coldStart';
import { nowMs } from './measure';
import { selectBenchmarks } from './registry';
import { machineInfo, renderMarkdown, summaryTable, type ModuleOutcome } from './report';
import type { BenchContext, BenchMode } from './types';

/** The repository root: build/bench/run.js → ../.. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** A context for `mode`, logging to stderr. */
export function benchContext(
  mode: BenchMode,
  log: (line: string) => void = () => {},
): BenchContext {
  return {
    mode,
    repoRoot: REPO_ROOT,
    entry: builtEntry(REPO_ROOT),
    pick: (sizes) => sizes[mode],
    log,
  };
}

/** Formats like `npm run format` would, so that `prettier --check .` accepts the generated file. */
async function prettierMarkdown(md: string, file: string): Promise<string> {
  const prettier = require('prettier') as typeof import('prettier');
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(md, { ...config, parser: 'markdown' });
}

async function main(): Promise<number> {
  const mode: BenchMode = process.env.BENCH_QUICK === '1' ? 'quick' : 'full';
  const modules = selectBenchmarks(process.env.BENCH_ONLY);
  const ctx = benchContext(mode, (line) => process.stderr.write(`${line}\n`));
  const started = nowMs();
  const outcomes: ModuleOutcome[] = [];
  for (const module of modules) {
    process.stderr.write(`[${module.id}] ${module.title}\n`);
    const t = nowMs();
    try {
      const result = await module.run(ctx);
      outcomes.push({ module, result, seconds: (nowMs() - t) / 1000 });
      for (const f of result.figures) {
        process.stderr.write(`  ${f.label}: ${f.value.toFixed(f.digits ?? 2)} ${f.unit}\n`);
      }
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`  FAILED: ${error}\n`);
      outcomes.push({ module, error, seconds: (nowMs() - t) / 1000 });
    }
  }
  const seconds = (nowMs() - started) / 1000;
  console.log(`\nBenchmarks (${mode}, ${seconds.toFixed(0)} s)\n`);
  console.log(summaryTable(outcomes));
  const out =
    process.env.BENCH_OUT ??
    (process.env.BENCH_ONLY ? undefined : path.join(REPO_ROOT, 'docs', 'benchmarks.md'));
  if (out) {
    const md = renderMarkdown(outcomes, {
      mode,
      date: new Date(),
      machine: machineInfo(),
      seconds,
    });
    writeFileSync(out, await prettierMarkdown(md, out));
    console.log(`\nwrote ${path.relative(process.cwd(), out) || out}`);
  }
  const failed = outcomes.some((o) => o.error !== undefined);
  const missed = outcomes.some((o) => o.result?.goals.some((g) => !g.pass));
  if (failed) return 2;
  return missed && process.env.BENCH_STRICT === '1' ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
