/**
 * `tuf-notary repo …`: the administrator's commands over a working trust
 * repository (DESIGN.md "CLI"). Filled in by the repository-administration
 * work; each entry is a {@link Command}.
 */
import type { Command } from './command';

/** The `repo` subcommands by name. */
export const repoCommands: Readonly<Record<string, Command>> = {};
