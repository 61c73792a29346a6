/**
 * Runs the built `tuf-notary` command (`node dist/cli/main.js …`) as a real
 * child process, for end-to-end tests that drive the administrator and the
 * deployer sides exactly as people and pipelines do.
 *
 * `npm test` builds `dist/` before jest runs. When `dist/cli/main.js` is
 * missing or older than a file under `src/` (a local run after an edit),
 * {@link ensureBuilt} rebuilds it once with `tsc -p tsconfig.build.json`,
 * guarded by a lock directory so that parallel jest workers build only once.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** The repository root. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The built CLI entry point. */
export const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** What one CLI run produced. */
export interface CliResult {
  /** The exit code (a signal counts as -1). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The command line, for failure messages. */
  readonly command: string;
}

/** Options of {@link runCli}. */
export interface CliOptions {
  /** Extra environment variables (e.g. TUF_NOTARY_PASSPHRASE). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Kill the child after this long (default 60 s): a hung CLI fails the test instead of the run. */
  readonly timeoutMs?: number;
}

/** Newest modification time of any file below `dir` (ms). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.isFile()) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  return (
    existsSync(CLI_MAIN) && statSync(CLI_MAIN).mtimeMs >= newestMtime(path.join(REPO_ROOT, 'src'))
  );
}

let checked = false;

/**
 * Makes sure `dist/cli/main.js` exists and is not older than `src/`; builds
 * it otherwise. Throws with what to do when the build leaves no CLI behind.
 */
export async function ensureBuilt(): Promise<void> {
  if (checked || isFresh()) {
    checked = true;
    return;
  }
  const lock = path.join(REPO_ROOT, 'node_modules', '.cache', 'tuf-notary-e2e-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let i = 0; i < 1200; i += 1) {
    try {
      mkdirSync(lock);
    } catch {
      // Another worker is building: wait for it (up to ~2 minutes), then re-check.
      // A lock older than 5 minutes was left by a killed run: take it over.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
      if (isFresh()) break;
      continue;
    }
    try {
      if (!isFresh()) {
        const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
        const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
          cwd: REPO_ROOT,
          encoding: 'utf8',
        });
        if (!existsSync(CLI_MAIN)) {
          throw new Error(
            `the CLI is not built (${CLI_MAIN} is missing) and \`tsc -p tsconfig.build.json\` did not produce it; ` +
              `run \`npm run build\` and fix what it reports:\n${run.stdout}${run.stderr}`,
          );
        }
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
    break;
  }
  if (!existsSync(CLI_MAIN)) {
    throw new Error(`the CLI is not built: ${CLI_MAIN} is missing; run \`npm run build\` first`);
  }
  checked = true;
}

/** Runs `tuf-notary ...args` as a child process and collects its output and exit code. */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(CLI_MAIN)) {
    return Promise.reject(
      new Error(`the CLI is not built: ${CLI_MAIN} is missing; run \`npm run build\` first`),
    );
  }
  const command = `tuf-notary ${args.join(' ')}`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_MAIN, ...args],
      {
        cwd: opts.cwd ?? REPO_ROOT,
        env: { ...process.env, ...opts.env, NO_COLOR: '1' },
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const code =
          err === null
            ? 0
            : typeof (err as { code?: unknown }).code === 'number'
              ? ((err as { code: number }).code as number)
              : -1;
        resolve({ code, stdout, stderr, command });
      },
    );
  });
}

/**
 * Runs the command and requires exit code `expected` (default 0); the error
 * shows the command line and both streams, so a failing scenario says why.
 */
export async function cliExpect(
  args: readonly string[],
  expected = 0,
  opts: CliOptions = {},
): Promise<CliResult> {
  const result = await runCli(args, opts);
  if (result.code !== expected) {
    throw new Error(
      `\`${result.command}\` exited ${result.code}, expected ${expected}\n` +
        `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return result;
}

/** Runs the command with `--json`, requires exit code `expected` and parses stdout. */
export async function cliJson<T = Record<string, unknown>>(
  args: readonly string[],
  expected = 0,
  opts: CliOptions = {},
): Promise<T> {
  const result = await cliExpect([...args, '--json'], expected, opts);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`\`${result.command} --json\` printed no JSON:\n${result.stdout}`);
  }
}
