import { makeFetchHappen, type FetchedResponse, type NetworkOptions } from '../../network';
import * as tls from 'node:tls';
import { SourceUnavailableError, TufNotaryError } from '../../errors';
import { BoundedBuffer, TufSourceNotFoundError, safeSegments, type TufSource } from './source';

/** Options of {@link HttpSource}. */
export interface HttpSourceOptions extends NetworkOptions {
  /** Repository base URL; metadata is under `<url>/metadata/`, targets under `<url>/targets/`. */
  readonly url?: string;
  /** Metadata base URL (overrides `url`). */
  readonly metadataUrl?: string;
  /** Targets base URL (overrides `url`). */
  readonly targetsUrl?: string;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Statuses that mean "this file does not exist" to TUF (client workflow 5.3.3 stops on them). */
const NOT_FOUND_STATUSES: ReadonlySet<number> = new Set([403, 404]);

/**
 * A TUF repository over HTTP(S), fetched with make-fetch-happen: timeouts,
 * retries with backoff, proxies from the environment, an optional extra CA
 * bundle. It never uses an HTTP cache (`cache: 'no-store'`): a cache would
 * answer for an unreachable server and hide that the client is offline; the
 * TrustClient keeps its own verified cache.
 */
export class HttpSource implements TufSource {
  readonly metadataUrl: string;
  readonly targetsUrl: string;
  private readonly options: HttpSourceOptions;

  constructor(options: HttpSourceOptions | string) {
    this.options = typeof options === 'string' ? { url: options } : options;
    const { url, metadataUrl, targetsUrl } = this.options;
    const meta = metadataUrl ?? (url === undefined ? undefined : `${withSlash(url)}metadata/`);
    const targets = targetsUrl ?? (url === undefined ? undefined : `${withSlash(url)}targets/`);
    if (meta === undefined || targets === undefined) {
      throw new SourceUnavailableError(
        'HttpSource needs `url`, or both `metadataUrl` and `targetsUrl`',
      );
    }
    for (const u of [meta, targets]) {
      const protocol = new URL(u).protocol;
      if (protocol !== 'https:' && protocol !== 'http:') {
        throw new SourceUnavailableError(
          `HttpSource cannot fetch ${u}: only http(s) URLs are supported`,
        );
      }
    }
    this.metadataUrl = withSlash(meta);
    this.targetsUrl = withSlash(targets);
  }

  /** Names the metadata URL. */
  describe(): string {
    return this.metadataUrl === new URL('../metadata/', this.targetsUrl).toString()
      ? new URL('..', this.metadataUrl).toString()
      : `${this.metadataUrl} (targets ${this.targetsUrl})`;
  }

  /** GET `<metadataUrl>/<name>`. */
  fetchMetadata(name: string, maxLength: number): Promise<Uint8Array> {
    return this.get(this.metadataUrl, name, maxLength);
  }

  /** GET `<targetsUrl>/<path>`. */
  fetchTarget(targetPath: string, maxLength: number): Promise<Uint8Array> {
    return this.get(this.targetsUrl, targetPath, maxLength);
  }

  /**
   * One GET with bounded retries. Each attempt has a hard deadline of
   * `timeoutMs` for the whole transfer (headers and body): an idle timeout
   * alone never fires for a server that trickles a byte at a time (slow
   * retrieval attack, TUF spec §1.5.2 "slow retrieval"; tuf-js has no
   * protection of its own once a custom fetcher is used).
   */
  private async get(base: string, relPath: string, maxLength: number): Promise<Uint8Array> {
    const segments = safeSegments(relPath);
    const url = new URL(segments.map(encodeURIComponent).join('/'), base).toString();
    const retries = Math.max(0, Math.floor(this.options.retries ?? 2));
    const minBackoff = this.options.minBackoffMs ?? 500;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.attempt(url, maxLength);
      } catch (err) {
        if (attempt >= retries || !RETRIABLE.has(err as object)) throw err;
      }
      await new Promise((r) => setTimeout(r, Math.min(minBackoff * 2 ** attempt, MAX_BACKOFF_MS)));
    }
  }

  /** One attempt: follows at most {@link MAX_REDIRECTS} same-origin redirects, reads the body bounded. */
  private async attempt(firstUrl: string, maxLength: number): Promise<Uint8Array> {
    const o = this.options;
    const timeoutMs = o.timeoutMs ?? 30_000;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const failure = (url: string, what: string, err: unknown): SourceUnavailableError =>
      retriable(
        new SourceUnavailableError(
          timedOut
            ? `${what} ${url} failed: no complete answer within ${timeoutMs} ms (slow or stalled server); raise http.timeoutMs if the server is just slow`
            : `${what} ${url} failed: ${errorText(err)}`,
          { cause: err, details: { url, ...(timedOut ? { timeoutMs } : {}) } },
        ),
      );
    try {
      let url = firstUrl;
      let response: FetchedResponse;
      for (let hops = 0; ; hops += 1) {
        try {
          response = await makeFetchHappen()(url, {
            cache: 'no-store',
            signal: controller.signal,
            timeout: timeoutMs,
            // Retries and redirects are handled here, per attempt and per origin.
            retry: { retries: 0 },
            redirect: 'manual',
            headers: { 'user-agent': o.userAgent ?? 'tuf-notary', accept: '*/*' },
            ...(o.ca === undefined
              ? {}
              : { ca: [...tls.rootCertificates, Buffer.from(o.ca).toString('utf8')] }),
            ...(o.proxy === undefined ? {} : { proxy: o.proxy }),
            ...(o.noProxy === undefined ? {} : { noProxy: o.noProxy }),
          });
        } catch (err) {
          throw failure(url, 'cannot reach', err);
        }
        if (!REDIRECT_STATUSES.has(response.status)) break;
        response.body.destroy?.();
        url = this.redirectTarget(url, response, hops);
      }
      if (NOT_FOUND_STATUSES.has(response.status)) {
        response.body.destroy?.();
        throw new TufSourceNotFoundError(url, { status: response.status });
      }
      if (response.status < 200 || response.status > 299) {
        response.body.destroy?.();
        const err = new SourceUnavailableError(`GET ${url} answered HTTP ${response.status}`, {
          details: { url, status: response.status },
        });
        throw RETRY_STATUSES.has(response.status) || response.status >= 500 ? retriable(err) : err;
      }
      const sink = new BoundedBuffer(url, maxLength);
      try {
        for await (const chunk of response.body) {
          sink.push(chunk);
        }
      } catch (err) {
        response.body.destroy?.();
        if (err instanceof TufNotaryError) throw err;
        throw failure(url, 'reading', err);
      }
      return sink.bytes();
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Where a 3xx answer points, when it stays on the same origin (scheme, host,
   * port) as the request. A redirect elsewhere is refused: the deployer chose
   * the trust source, and the client must not be steered to contact other
   * hosts (nor downgraded from https to http) by whoever answers for it.
   */
  private redirectTarget(url: string, response: FetchedResponse, hops: number): string {
    const location = response.headers?.get('location') ?? null;
    if (location === null || location === '') {
      throw new SourceUnavailableError(
        `GET ${url} answered HTTP ${response.status} without a Location`,
        {
          details: { url, status: response.status },
        },
      );
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch (err) {
      throw new SourceUnavailableError(`GET ${url} redirected to an invalid URL "${location}"`, {
        cause: err,
        details: { url },
      });
    }
    if (next.origin !== new URL(url).origin) {
      throw new SourceUnavailableError(
        `GET ${url} redirected to ${next.origin}, another server; tuf-notary follows redirects only within ${new URL(url).origin}. ` +
          'Configure the source with the final URL (or metadataUrl/targetsUrl) instead',
        { details: { url, location: next.toString(), redirectRefused: true } },
      );
    }
    if (hops + 1 > MAX_REDIRECTS) {
      throw new SourceUnavailableError(`GET ${url}: more than ${MAX_REDIRECTS} redirects`, {
        details: { url },
      });
    }
    return next.toString();
  }
}

/** Redirect statuses followed (same origin only). */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Statuses retried besides 5xx (as make-fetch-happen does). */
const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 420, 429]);
const MAX_REDIRECTS = 5;
const MAX_BACKOFF_MS = 10_000;

/** Failures worth another attempt (network, timeout, truncated body, 408/429/5xx). */
const RETRIABLE = new WeakSet<object>();
function retriable<T extends object>(err: T): T {
  RETRIABLE.add(err);
  return err;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? err.message : `${code} ${err.message}`;
  }
  return String(err);
}
