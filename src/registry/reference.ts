/**
 * Artifact references parsed the way the container ecosystem does
 * (docker/distribution `reference` grammar, as used by docker, oras and
 * notation):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component { "/" path-component }
 *   domain     := host [ ":" port ]       (host: DNS name, IPv4 or "[IPv6]")
 *
 * The first component is a registry only when it contains "." or ":", or is
 * "localhost" (or has upper-case letters, which a repository path never has);
 * otherwise the registry is Docker Hub (`docker.io`) and a single-component
 * name gets the `library/` prefix (`alpine` → `docker.io/library/alpine`).
 */
import { UsageError } from '../errors';
import { parseDigest } from './digest';

/** A parsed reference. `tag` and `digest` may both be present (`name:tag@digest`: the digest wins). */
export interface Reference {
  /** Registry host with optional port, normalised (`docker.io` for Docker Hub). */
  readonly registry: string;
  /** Repository path inside the registry (`library/alpine`, `team/app`). */
  readonly repository: string;
  /** Tag, when one was given. */
  readonly tag?: string;
  /** Digest (`sha256:<hex>`), when one was given. */
  readonly digest?: string;
}

/** docker/distribution limits: whole name ≤ 255 characters, tag ≤ 128. */
const LIMITS = { name: 255, input: 1024 } as const;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_NAME =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Docker Hub's names: all of them mean the same registry. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
]);
/** Where Docker Hub's registry API actually lives. */
const DOCKER_HUB_API = 'registry-1.docker.io';

/** True when `tag` is a valid tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/**
 * Parses `input` (`registry.example.com:5000/team/app:1.4`,
 * `alpine@sha256:…`, `localhost/app:tag@sha256:…`). Throws a UsageError
 * naming the part that breaks the grammar. An `oci://` prefix is accepted.
 */
export function parseReference(input: string): Reference {
  if (typeof input !== 'string' || input.length === 0 || input.length > LIMITS.input) {
    throw invalid(String(input), 'it is empty or longer than 1024 characters');
  }
  let rest = input.replace(/^oci:\/\//i, '');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      parseDigest(digest);
    } catch (err) {
      throw invalid(input, (err as Error).message);
    }
  }
  let tag: string | undefined;
  // A tag follows the last ":" that comes after the last "/" (a ":" before it is a port).
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalid(input, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
    }
  }
  const { registry, repository } = splitName(input, rest);
  if (registry.length + 1 + repository.length > LIMITS.name) {
    throw invalid(input, `the name is longer than ${LIMITS.name} characters`);
  }
  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

function splitName(input: string, name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain =
    slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  let registry = isDomain ? first : 'docker.io';
  let repository = isDomain ? name.slice(slash + 1) : name;
  if (isDomain) checkDomain(input, registry);
  if (DOCKER_HUB_ALIASES.has(registry.toLowerCase())) {
    registry = 'docker.io';
    // Docker Hub's official images live under library/ (docker/distribution NormalizeName).
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  const components = repository.split('/');
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(
        input,
        `repository component "${component}" must be lower-case letters and digits separated by ".", "_", "__" or "-"`,
      );
    }
  }
  return { registry, repository };
}

function checkDomain(input: string, domain: string): void {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const end = domain.indexOf(']');
    host = domain.slice(0, end + 1);
    const after = domain.slice(end + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw invalid(input, `registry "${domain}" is not host[:port]`);
      port = after.slice(1);
    }
    if (!IPV6.test(host)) throw invalid(input, `registry "${domain}" is not a valid IPv6 address`);
  } else {
    const colon = domain.indexOf(':');
    if (colon >= 0) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (!DOMAIN_NAME.test(host))
      throw invalid(input, `registry "${domain}" is not a valid host name`);
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw invalid(input, `registry port "${port}" must be a number from 1 to 65535`);
  }
}

/** The canonical text of a reference: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  return (
    `${ref.registry}/${ref.repository}` +
    (ref.tag === undefined ? '' : `:${ref.tag}`) +
    (ref.digest === undefined ? '' : `@${ref.digest}`)
  );
}

/** `registry/repository`: the scope trust policies match (`registryScopes`). */
export function repositoryOf(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The host the registry API is served from (Docker Hub's API is at registry-1.docker.io). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? DOCKER_HUB_API : registry;
}

/** True for loopback registries (`localhost`, `127.x.x.x`, `[::1]`, any port), which may use plain HTTP. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[')
    ? registry.slice(0, registry.indexOf(']') + 1)
    : (registry.split(':')[0] ?? '');
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function invalid(input: string, why: string): UsageError {
  return new UsageError(`invalid artifact reference "${input}": ${why}`, {
    details: { reference: input },
  });
}
