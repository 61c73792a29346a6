/**
 * Registry scopes and policy selection (trust-store-trust-policy.md,
 * "OCI Trust Policy Constraints", "Selecting a trust policy to verify a
 * signed OCI artifact / blob"; DIGEST §2.5).
 *
 * Selection never scans the statements: each policy object gets a Map index
 * (scope → statement, name → statement) the first time it is used, kept in a
 * WeakMap. Parsed policies are frozen, so the index cannot go stale; a policy
 * object built by hand must not be changed after its first selection.
 */
import { ErrorCode, PolicyError, UsageError } from '../errors';
import type {
  BlobTrustPolicy,
  BlobTrustPolicyStatement,
  OciTrustPolicy,
  OciTrustPolicyStatement,
} from './types';

/** The global registry scope. */
export const WILDCARD_SCOPE = '*';

/**
 * notation-go's scope format (`validateRegistryScopeFormat`), adapted from the
 * distribution reference grammar: `domain[:port]/repository`, the repository
 * in lowercase path components.
 */
const DOMAIN =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const REPOSITORY =
  /^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;
/** OCI tag grammar (distribution spec). */
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** OCI digest grammar (image spec: `algorithm:encoded`). */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const SCOPE_HINT =
  'make sure it is a fully qualified repository without the scheme, protocol or tag. ' +
  'For example domain.com/my/repository or a local scope like local/my-oci-layout';

/**
 * Why `scope` is not a valid registry scope, or undefined when it is.
 * `*` alone is valid; a scope is `domain[:port]/repository` with no tag,
 * digest or wildcard (notation-go's messages).
 */
export function registryScopeProblem(scope: string): string | undefined {
  if (scope === WILDCARD_SCOPE) return undefined;
  const q = JSON.stringify(scope);
  if (scope.includes('*'))
    return `registry scope ${q} with wild card(s) is not valid, ${SCOPE_HINT}`;
  const slash = scope.indexOf('/');
  if (slash < 0) return `registry scope ${q} is not valid, ${SCOPE_HINT}`;
  const domain = scope.slice(0, slash);
  const repository = scope.slice(slash + 1);
  if (domain === '' || repository === '' || !DOMAIN.test(domain) || !REPOSITORY.test(repository)) {
    return `registry scope ${q} is not valid, ${SCOPE_HINT}`;
  }
  return undefined;
}

/**
 * The repository (`registry[:port]/path`) an artifact reference names: the
 * digest (`@…`) and tag (`:…` after the last `/`) are stripped. Throws
 * ERR_USAGE when the reference is not a fully qualified OCI reference.
 */
export function artifactRepository(artifactReference: string): string {
  const bad = (why: string): never => {
    throw new UsageError(
      `artifact URI ${JSON.stringify(artifactReference)} could not be parsed (${why}), make sure it is ` +
        'the fully qualified oci artifact URI without the scheme/protocol. e.g domain.com:80/my/repository@sha256:digest',
      { details: { artifact: artifactReference } },
    );
  };
  if (artifactReference.length > 4096) bad('longer than 4096 characters');
  let name = artifactReference;
  const at = name.lastIndexOf('@');
  if (at >= 0) {
    if (!DIGEST.test(name.slice(at + 1)))
      bad(`${JSON.stringify(name.slice(at + 1))} is not a digest`);
    name = name.slice(0, at);
  }
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    if (!TAG.test(name.slice(colon + 1)))
      bad(`${JSON.stringify(name.slice(colon + 1))} is not a tag`);
    name = name.slice(0, colon);
  }
  const problem = registryScopeProblem(name);
  if (problem !== undefined || name === WILDCARD_SCOPE) bad(problem ?? 'no repository');
  return name;
}

interface OciIndex {
  readonly byScope: ReadonlyMap<string, OciTrustPolicyStatement>;
  readonly global?: OciTrustPolicyStatement;
}

interface BlobIndex {
  readonly byName: ReadonlyMap<string, BlobTrustPolicyStatement>;
  readonly global?: BlobTrustPolicyStatement;
}

const ociIndexes = new WeakMap<OciTrustPolicy, OciIndex>();
const blobIndexes = new WeakMap<BlobTrustPolicy, BlobIndex>();

/** The scope index of an OCI policy, built once per policy object. */
export function ociIndex(policy: OciTrustPolicy): OciIndex {
  let index = ociIndexes.get(policy);
  if (!index) {
    const byScope = new Map<string, OciTrustPolicyStatement>();
    let global: OciTrustPolicyStatement | undefined;
    // A valid policy names each scope once; otherwise the last one wins, as in notation-go.
    for (const statement of policy.trustPolicies) {
      for (const scope of statement.registryScopes) {
        if (scope === WILDCARD_SCOPE) global = statement;
        else byScope.set(scope, statement);
      }
    }
    index = { byScope, global };
    ociIndexes.set(policy, index);
  }
  return index;
}

/** The name index of a blob policy, built once per policy object. */
export function blobIndex(policy: BlobTrustPolicy): BlobIndex {
  let index = blobIndexes.get(policy);
  if (!index) {
    const byName = new Map<string, BlobTrustPolicyStatement>();
    let global: BlobTrustPolicyStatement | undefined;
    // The first statement with a name (or the global flag) wins, as in notation-go.
    for (const statement of policy.trustPolicies) {
      if (!byName.has(statement.name)) byName.set(statement.name, statement);
      if (statement.globalPolicy === true && global === undefined) global = statement;
    }
    index = { byName, global };
    blobIndexes.set(policy, index);
  }
  return index;
}

/**
 * The statement that applies to an artifact: the one whose registryScopes
 * contain the artifact's repository exactly (no normalisation such as
 * `docker.io/library/…`), otherwise the global (`*`) statement. Tags and
 * digests are stripped; ports stay part of the repository
 * (`localhost:5000/app@sha256:…` → `localhost:5000/app`).
 *
 * Throws ERR_POLICY_NOT_FOUND when no statement applies, ERR_USAGE when the
 * reference cannot be parsed.
 */
export function selectOciPolicy(
  policy: OciTrustPolicy,
  artifactReference: string,
): OciTrustPolicyStatement {
  const repository = artifactRepository(artifactReference);
  const index = ociIndex(policy);
  const statement = index.byScope.get(repository) ?? index.global;
  if (statement) return statement;
  throw new PolicyError(
    ErrorCode.POLICY_NOT_FOUND,
    `artifact ${JSON.stringify(artifactReference)} has no applicable oci trust policy statement. ` +
      'Trust policy applicability for a given artifact is determined by registryScopes: add ' +
      `${JSON.stringify(repository)} to the registryScopes of a statement, or add a statement with registryScopes ["*"]`,
    { details: { artifact: artifactReference, repository } },
  );
}

/**
 * The blob statement with exactly this name, or the global statement
 * (`"globalPolicy": true`) when no name (or `''`) is given. Throws
 * ERR_POLICY_NOT_FOUND when there is none, ERR_USAGE for a name of only
 * white space.
 */
export function selectBlobPolicy(policy: BlobTrustPolicy, name?: string): BlobTrustPolicyStatement {
  const index = blobIndex(policy);
  if (name === undefined || name === '') {
    if (index.global) return index.global;
    throw new PolicyError(
      ErrorCode.POLICY_NOT_FOUND,
      'no global blob trust policy: pass a policy name, or mark one statement with "globalPolicy": true',
      { details: {} },
    );
  }
  if (name.trim() === '') {
    throw new UsageError('policy name cannot be empty', { details: { policyName: name } });
  }
  const statement = index.byName.get(name);
  if (statement) return statement;
  throw new PolicyError(
    ErrorCode.POLICY_NOT_FOUND,
    `no applicable blob trust policy with name ${JSON.stringify(name)}; names are case-sensitive`,
    { details: { policyName: name } },
  );
}
