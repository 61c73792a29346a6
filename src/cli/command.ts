/**
 * The shape of a CLI command: its help, its flags, and what it runs. Command
 * groups (deployer, verify, repo, mirror) export records of these; main.ts
 * parses flags and dispatches.
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors';

/** node:util parseArgs option declarations. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed arguments handed to a command. */
export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly json: boolean;
  /** Prints `text` for people, or `json` (serialised) with --json. */
  out(text: string, json: unknown): void;
  /** A progress line on stderr (suppressed with --json). */
  progress(text: string): void;
}

/** One command. */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  /** A runnable example, shown by --help. */
  readonly example: string;
  readonly options: Options;
  /** Resolves to the exit code. */
  run(args: Parsed): Promise<number>;
}

/** The value of a required string flag, or a usage error naming it. */
export function need(args: Parsed, name: string): string {
  const v = args.values[name];
  if (typeof v !== 'string' || v === '') {
    throw new UsageError(`--${name} is required`);
  }
  return v;
}
