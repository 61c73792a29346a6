/**
 * Lazy access to @tufjs/models (and the canonical JSON it signs with), so that
 * requiring the package does not load them until a repository is built.
 *
 * `Role`, `DelegatedRole` and `Delegations` are not exported from the package
 * root (STACK.md §2), hence the deep import of `dist/role` and
 * `dist/delegations`; the package has no "exports" map, so these resolve.
 */
import type * as Models from '@tufjs/models';
import type * as RoleModule from '@tufjs/models/dist/role';
import type * as DelegationsModule from '@tufjs/models/dist/delegations';

/** The @tufjs/models classes the builder uses. */
export type TufModels = typeof Models &
  Pick<typeof RoleModule, 'Role' | 'DelegatedRole'> &
  Pick<typeof DelegationsModule, 'Delegations'>;

let cached: TufModels | undefined;
let canonicalize: ((value: unknown) => string) | undefined;

/** Loads @tufjs/models once (synchronously: the builder's API is synchronous). */
export function tufModels(): TufModels {
  if (!cached) {
    const models = require('@tufjs/models') as typeof Models;
    const role = require('@tufjs/models/dist/role') as typeof RoleModule;
    const delegations = require('@tufjs/models/dist/delegations') as typeof DelegationsModule;

    cached = {
      ...models,
      Role: role.Role,
      DelegatedRole: role.DelegatedRole,
      Delegations: delegations.Delegations,
    };
  }
  return cached;
}

/**
 * OLPC canonical JSON, the encoding TUF signs and hashes key ids over (TUF
 * spec §4.2). Uses the same library @tufjs/models signs with, so bytes match.
 */
export function canonicalJson(value: unknown): string {
  if (!canonicalize) {
    canonicalize = (require('@tufjs/canonical-json') as { canonicalize: (v: unknown) => string })
      .canonicalize;
  }
  return canonicalize(value);
}
