/**
 * Registry credentials and the `WWW-Authenticate` challenge (RFC 7235 §4.1,
 * RFC 6750 §3, and the distribution "token authentication" flow:
 * `Bearer realm="…",service="…",scope="repository:<name>:pull"`).
 *
 * Credentials come from options or from a Docker `config.json` (`auths`
 * entries with `auth` = base64 "user:password", or `username`/`password`).
 * Credential helpers (`credsStore`, `credHelpers`) are not run: tuf-notary
 * never executes programs named by a configuration file.
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors';

/** A user name and password (or token used as password) for one registry. */
export interface RegistryCredential {
  readonly username: string;
  readonly password: string;
}

/** Credentials by registry host (`registry.example.com`, `127.0.0.1:5000`, `docker.io`). */
export type CredentialMap = Readonly<Record<string, RegistryCredential>>;

/** A parsed authentication challenge. */
export interface Challenge {
  /** Lower-case scheme: `basic` or `bearer` (others are refused). */
  readonly scheme: string;
  /** Auth-params, names lower-cased (`realm`, `service`, `scope`, `error`). */
  readonly params: Readonly<Record<string, string>>;
}

/** Bounds the header we parse. */
const MAX_CHALLENGE = 4096;
/** config.json larger than this is refused before parsing. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Parses a `WWW-Authenticate` header. Only the first challenge is used
 * (registries send one); auth-params are `name=token` or `name="quoted"`.
 */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (!header || header.length > MAX_CHALLENGE) return undefined;
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const paramRe = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*,?\s*/gy;
  const rest = match[2] ?? '';
  paramRe.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (paramRe.lastIndex < rest.length && (m = paramRe.exec(rest)) !== null) {
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    params[(m[1] ?? '').toLowerCase()] = value;
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}

/** The `Authorization: Basic` value of a credential (RFC 7617). */
export function basicAuthorization(cred: RegistryCredential): string {
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`, 'utf8').toString('base64')}`;
}

/** The registry key of a config.json `auths` entry: `https://index.docker.io/v1/` → `docker.io`, `http://h:5000/x` → `h:5000`. */
export function normaliseRegistryKey(key: string): string {
  let host = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  host = host.split('/')[0] ?? host;
  host = host.toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** Where Docker keeps config.json: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
export function defaultDockerConfigPath(): string {
  const dir = process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

/**
 * Reads the `auths` of a Docker `config.json` into a {@link CredentialMap}.
 * A missing file gives no credentials; an unreadable or malformed one throws a
 * UsageError (a typo must not silently mean "anonymous"). Entries holding only
 * an `identitytoken`, and credential helpers, are ignored (documented).
 */
export function loadDockerConfig(file: string = defaultDockerConfigPath()): CredentialMap {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read Docker config ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new UsageError(`Docker config ${file} is larger than ${MAX_CONFIG_BYTES} bytes`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new UsageError(`Docker config ${file} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const auths = (doc as { auths?: unknown } | null)?.auths;
  if (auths === undefined) return {};
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) {
    throw new UsageError(`Docker config ${file}: "auths" must be an object`);
  }
  const out: Record<string, RegistryCredential> = {};
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    const cred = credentialOf(entry, `${file} auths["${key}"]`);
    if (cred) out[normaliseRegistryKey(key)] = cred;
  }
  return out;
}

function credentialOf(entry: unknown, where: string): RegistryCredential | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as { auth?: unknown; username?: unknown; password?: unknown };
  if (typeof e.auth === 'string' && e.auth !== '') {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new UsageError(`Docker config ${where}: "auth" is not base64 of "user:password"`);
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof e.username === 'string' && typeof e.password === 'string' && e.username !== '') {
    return { username: e.username, password: e.password };
  }
  return undefined;
}
