/**
 * HTTP for the registry client: make-fetch-happen (loaded on first use, no
 * HTTP cache, timeouts, bounded retries of idempotent requests), the
 * scheme rule (HTTPS unless loopback or `plainHttp`), the authentication
 * flow of the distribution spec (anonymous → 401 challenge → Basic, or a
 * Bearer token from the challenge's realm, cached per repository scope), a
 * request log for benchmarks, and bounded body reading.
 */
import { makeFetchHappen, type FetchedResponse, type NetworkOptions } from '../network';
import * as tls from 'node:tls';
import { RegistryError } from '../errors';
import {
  basicAuthorization,
  parseChallenge,
  type Challenge,
  type CredentialMap,
  type RegistryCredential,
} from './auth';
import { apiHost, isLoopbackRegistry } from './reference';

/** Network options shared with HttpSource (same names, so TrustClient's `http` options apply). */
export interface TransportOptions extends NetworkOptions {
  /** Use plain HTTP for every registry (default: only for localhost, 127.0.0.0/8 and [::1]). */
  readonly plainHttp?: boolean;
  /** Credentials by registry host. */
  readonly credentials?: CredentialMap;
}

/** One HTTP request the client made (token requests included). */
export interface RequestRecord {
  readonly method: string;
  readonly url: string;
  /** HTTP status, or 0 when no answer came (network error). */
  readonly status: number;
}

/** What a request needs. */
export interface RequestSpec {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST';
  readonly registry: string;
  readonly repository: string;
  /** A path starting with `/v2/`, or an absolute URL on the same registry (upload locations, Link pages). */
  readonly target: string;
  /** Needs push access (scope `pull,push`). */
  readonly push?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** The response parts the client uses. */
export type RegistryResponse = FetchedResponse;

/** Limits on small auxiliary bodies (tokens, error documents). */
const MAX_TOKEN_BYTES = 64 * 1024;
const MAX_ERROR_BYTES = 4 * 1024;
/** Tokens without `expires_in` live 60 s (distribution token spec default). */
const DEFAULT_TOKEN_SECONDS = 60;

interface CachedToken {
  readonly authorization: string;
  readonly expiresAt: number;
}

/** Sends registry requests with authentication, logging each one. */
export class RegistryTransport {
  /** Every request sent, in order. */
  readonly log: RequestRecord[] = [];
  private readonly tokens = new Map<string, CachedToken>();
  /** Registries that answered with a Basic challenge: send credentials pre-emptively. */
  private readonly basicRegistries = new Set<string>();

  constructor(private readonly options: TransportOptions = {}) {}

  /** `http` for loopback registries or with `plainHttp`, otherwise `https`. */
  scheme(registry: string): 'http' | 'https' {
    return this.options.plainHttp === true || isLoopbackRegistry(registry) ? 'http' : 'https';
  }

  /** The base URL of a registry's API (`https://host/`). */
  baseUrl(registry: string): string {
    return `${this.scheme(registry)}://${apiHost(registry)}`;
  }

  /**
   * Sends `spec`, answering one authentication challenge if the registry
   * sends one. A 401 after credentials (or a token) were presented is an
   * "authentication failed" RegistryError; other statuses are returned.
   */
  async send(spec: RequestSpec): Promise<RegistryResponse> {
    const url = this.resolveUrl(spec);
    const scope = `repository:${spec.repository}:${spec.push === true ? 'pull,push' : 'pull'}`;
    const tokenKey = `${spec.registry} ${scope}`;
    let authorization = this.cachedAuthorization(spec.registry, tokenKey);
    let response = await this.fetch(spec, url, authorization);
    if (response.status !== 401) return response;
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    response.body.destroy?.();
    const credential = this.credentialFor(spec.registry);
    // A cached token the registry no longer accepts (revoked, clock skew) is
    // dropped and the challenge answered afresh, once; refused Basic
    // credentials are final.
    const sentToken = authorization?.startsWith('Bearer ') === true;
    if (sentToken) {
      this.tokens.delete(tokenKey);
      authorization = undefined;
    }
    if (authorization !== undefined || challenge === undefined) {
      throw authFailed(
        spec.registry,
        credential,
        challenge === undefined ? 'no usable challenge' : 'credentials refused',
      );
    }
    if (challenge.scheme === 'basic') {
      if (!credential)
        throw authFailed(spec.registry, undefined, 'the registry requires credentials');
      this.basicRegistries.add(spec.registry);
      authorization = basicAuthorization(credential);
    } else if (challenge.scheme === 'bearer') {
      authorization = await this.fetchToken(spec, challenge, scope, tokenKey, credential);
    } else {
      throw authFailed(
        spec.registry,
        credential,
        `unsupported authentication scheme "${challenge.scheme}"`,
      );
    }
    response = await this.fetch(spec, url, authorization);
    if (response.status === 401) {
      response.body.destroy?.();
      throw authFailed(spec.registry, credential, 'credentials refused');
    }
    return response;
  }

  private resolveUrl(spec: RequestSpec): string {
    const base = this.baseUrl(spec.registry);
    const url = new URL(spec.target, `${base}/`);
    // Upload locations and Link pages are followed only on the same registry:
    // credentials and tokens are never sent elsewhere.
    if (url.origin !== new URL(base).origin) {
      throw new RegistryError(
        `registry ${spec.registry} pointed to ${url.origin}, another server; refusing to follow it`,
        { details: { registry: spec.registry, url: url.toString() } },
      );
    }
    return url.toString();
  }

  private credentialFor(registry: string): RegistryCredential | undefined {
    return this.options.credentials?.[registry];
  }

  private cachedAuthorization(registry: string, tokenKey: string): string | undefined {
    const token = this.tokens.get(tokenKey);
    if (token && token.expiresAt > Date.now()) return token.authorization;
    const credential = this.credentialFor(registry);
    if (credential && this.basicRegistries.has(registry)) return basicAuthorization(credential);
    return undefined;
  }

  /** Distribution token flow: GET realm?service=…&scope=… with Basic credentials when we have them. */
  private async fetchToken(
    spec: RequestSpec,
    challenge: Challenge,
    scope: string,
    tokenKey: string,
    credential: RegistryCredential | undefined,
  ): Promise<string> {
    const realm = challenge.params.realm;
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm ?? '');
    } catch {
      throw authFailed(spec.registry, credential, `the Bearer challenge has no valid realm URL`);
    }
    const realmHost = realmUrl.host;
    const plainOk = this.options.plainHttp === true || isLoopbackRegistry(realmHost);
    if (realmUrl.protocol !== 'https:' && !(realmUrl.protocol === 'http:' && plainOk)) {
      throw new RegistryError(
        `registry ${spec.registry} asks for a token from ${realmUrl.origin}: only HTTPS token services are used (plain HTTP only for loopback or with plainHttp)`,
        { details: { registry: spec.registry, realm: realmUrl.toString() } },
      );
    }
    if (challenge.params.service) realmUrl.searchParams.set('service', challenge.params.service);
    realmUrl.searchParams.set('scope', scope);
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent ?? 'tuf-notary',
      accept: 'application/json',
    };
    if (credential) headers.authorization = basicAuthorization(credential);
    const response = await this.rawFetch(
      'GET',
      realmUrl.toString(),
      headers,
      undefined,
      spec.registry,
    );
    if (response.status === 401 || response.status === 403) {
      response.body.destroy?.();
      throw authFailed(
        spec.registry,
        credential,
        `the token service ${realmUrl.origin} refused them (HTTP ${response.status})`,
      );
    }
    if (response.status !== 200) {
      response.body.destroy?.();
      throw new RegistryError(
        `token service ${realmUrl.origin} for ${spec.registry} answered HTTP ${response.status}`,
        { details: { registry: spec.registry, status: response.status } },
      );
    }
    const bytes = await readBounded(response, MAX_TOKEN_BYTES, `token from ${realmUrl.origin}`);
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof doc;
    } catch (err) {
      throw new RegistryError(`token service ${realmUrl.origin} answered invalid JSON`, {
        cause: err,
      });
    }
    const token = typeof doc.token === 'string' ? doc.token : doc.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError(`token service ${realmUrl.origin} answered without a token`);
    }
    const seconds =
      typeof doc.expires_in === 'number' && doc.expires_in > 0
        ? doc.expires_in
        : DEFAULT_TOKEN_SECONDS;
    const authorization = `Bearer ${token}`;
    // Refresh a little early so that a token never expires mid-request.
    this.tokens.set(tokenKey, {
      authorization,
      expiresAt: Date.now() + Math.max(1, seconds - 5) * 1000,
    });
    return authorization;
  }

  private fetch(
    spec: RequestSpec,
    url: string,
    authorization: string | undefined,
  ): Promise<RegistryResponse> {
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent ?? 'tuf-notary',
      ...spec.headers,
    };
    if (authorization) headers.authorization = authorization;
    return this.rawFetch(spec.method, url, headers, spec.body, spec.registry);
  }

  private async rawFetch(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    registry: string,
  ): Promise<RegistryResponse> {
    const o = this.options;
    const idempotent = method === 'GET' || method === 'HEAD';
    const record = { method, url, status: 0 };
    this.log.push(record);
    // `timeout` is an idle timeout: it never fires for a server that trickles
    // a byte at a time. The body gets a hard deadline of its own (below).
    const controller = new AbortController();
    try {
      const response = await makeFetchHappen()(url, {
        signal: controller.signal,
        method,
        headers,
        ...(body === undefined ? {} : { body: Buffer.from(body) }),
        cache: 'no-store',
        timeout: o.timeoutMs ?? 30_000,
        retry: idempotent
          ? {
              retries: o.retries ?? 2,
              factor: 2,
              minTimeout: o.minBackoffMs ?? 500,
              maxTimeout: 10_000,
            }
          : { retries: 0 },
        ...(o.ca === undefined
          ? {}
          : { ca: [...tls.rootCertificates, Buffer.from(o.ca).toString('utf8')] }),
        ...(o.proxy === undefined ? {} : { proxy: o.proxy }),
        ...(o.noProxy === undefined ? {} : { noProxy: o.noProxy }),
      });
      record.status = response.status;
      bodyDeadline(response, controller, o.timeoutMs ?? 30_000);
      return response;
    } catch (err) {
      throw new RegistryError(
        `cannot reach registry ${registry} (${method} ${url}): ${errorText(err)}`,
        {
          cause: err,
          details: { registry, url, unreachable: true },
        },
      );
    }
  }
}

/**
 * Aborts the response (its body reading then fails) when the body is not
 * complete within `timeoutMs` of the headers: the slow-retrieval guard. The
 * timer never keeps the process alive and stops when the body ends.
 */
function bodyDeadline(
  response: RegistryResponse,
  controller: AbortController,
  timeoutMs: number,
): void {
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  timer.unref();
  const body = response.body as { once?: (event: string, fn: () => void) => unknown };
  if (typeof body.once !== 'function') return;
  for (const event of ['end', 'close', 'error']) body.once(event, () => clearTimeout(timer));
}

function authFailed(
  registry: string,
  credential: RegistryCredential | undefined,
  why: string,
): RegistryError {
  const hint = credential
    ? `the credentials for user "${credential.username}" were refused`
    : 'no credentials are configured for it (pass `credentials` or a Docker config.json with an `auths` entry)';
  return new RegistryError(
    `authentication failed for ${registry}: check credentials (${why}; ${hint})`,
    {
      details: { registry, status: 401 },
    },
  );
}

/**
 * Reads a body of at most `max` bytes. A declared Content-Length above the
 * limit is refused before reading; otherwise reading stops (and the
 * connection is cut) as soon as the limit is passed.
 */
export async function readBounded(
  response: RegistryResponse,
  max: number,
  what: string,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    response.body.destroy?.();
    throw tooLarge(what, max);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > max) {
        response.body.destroy?.();
        throw tooLarge(what, max);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    throw new RegistryError(`reading ${what} failed: ${errorText(err)}`, {
      cause: err,
      details: { unreachable: true },
    });
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function tooLarge(what: string, max: number): RegistryError {
  return new RegistryError(
    `${what} is larger than the allowed ${max} bytes; refusing to read more`,
    {
      details: { limit: max, tooLarge: true },
    },
  );
}

/** A short error code for a registry error answer (distribution spec "Error Codes"), if the body has one. */
export async function errorCodeOf(response: RegistryResponse): Promise<string | undefined> {
  try {
    const bytes = await readBounded(response, MAX_ERROR_BYTES, 'error body');
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      errors?: { code?: unknown }[];
    };
    const code = doc.errors?.[0]?.code;
    return typeof code === 'string' ? code.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? err.message : `${code} ${err.message}`;
  }
  return String(err);
}
