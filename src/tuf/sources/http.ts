import * as tls from 'node:tls';
import { SourceUnavailableError } from '../../errors';
import { BoundedBuffer, TufSourceNotFoundError, safeSegments, type TufSource } from './source';

/** Options of {@link HttpSource}. */
export interface HttpSourceOptions {
  /** Repository base URL; metadata is under `<url>/metadata/`, targets under `<url>/targets/`. */
  readonly url?: string;
  /** Metadata base URL (overrides `url`). */
  readonly metadataUrl?: string;
  /** Targets base URL (overrides `url`). */
  readonly targetsUrl?: string;
  /** Time limit of one request in milliseconds (default 30 000). */
  readonly timeoutMs?: number;
  /** Retries of a failed request (network error, 408/429/5xx) with exponential backoff (default 2). */
  readonly retries?: number;
  /** First backoff delay in milliseconds (default 500); doubles per retry. */
  readonly minBackoffMs?: number;
  /** Extra PEM CA certificates trusted in addition to Node's bundled roots (corporate CAs). */
  readonly ca?: string | Uint8Array;
  /** Proxy URL; by default `HTTPS_PROXY`/`HTTP_PROXY` and `NO_PROXY` from the environment apply. */
  readonly proxy?: string;
  /** Hosts that bypass the proxy (default `NO_PROXY`). */
  readonly noProxy?: string;
  /** User-Agent header (default `tuf-notary`). */
  readonly userAgent?: string;
}

/** Minimal view of make-fetch-happen's response that we use. */
interface FetchResponse {
  readonly status: number;
  readonly body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => void };
}
type FetchFn = (url: string, options: Record<string, unknown>) => Promise<FetchResponse>;

let fetchImpl: FetchFn | undefined;
/** make-fetch-happen is heavy (≈100 ms to load): load it on first use only. */
function loadFetch(): FetchFn {
  fetchImpl ??= require('make-fetch-happen') as FetchFn;
  return fetchImpl;
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

  private async get(base: string, relPath: string, maxLength: number): Promise<Uint8Array> {
    const segments = safeSegments(relPath);
    const url = new URL(segments.map(encodeURIComponent).join('/'), base).toString();
    const o = this.options;
    const fetch = loadFetch();
    let response: FetchResponse;
    try {
      response = await fetch(url, {
        cache: 'no-store',
        timeout: o.timeoutMs ?? 30_000,
        retry: {
          retries: o.retries ?? 2,
          factor: 2,
          minTimeout: o.minBackoffMs ?? 500,
          maxTimeout: 10_000,
        },
        headers: { 'user-agent': o.userAgent ?? 'tuf-notary', accept: '*/*' },
        ...(o.ca === undefined
          ? {}
          : { ca: [...tls.rootCertificates, Buffer.from(o.ca).toString('utf8')] }),
        ...(o.proxy === undefined ? {} : { proxy: o.proxy }),
        ...(o.noProxy === undefined ? {} : { noProxy: o.noProxy }),
      });
    } catch (err) {
      throw new SourceUnavailableError(`cannot reach ${url}: ${errorText(err)}`, {
        cause: err,
        details: { url },
      });
    }
    if (NOT_FOUND_STATUSES.has(response.status)) {
      response.body.destroy?.();
      throw new TufSourceNotFoundError(url, { status: response.status });
    }
    if (response.status < 200 || response.status > 299) {
      response.body.destroy?.();
      throw new SourceUnavailableError(`GET ${url} answered HTTP ${response.status}`, {
        details: { url, status: response.status },
      });
    }
    const sink = new BoundedBuffer(url, maxLength);
    try {
      for await (const chunk of response.body) {
        sink.push(chunk);
      }
    } catch (err) {
      response.body.destroy?.();
      if (
        err instanceof SourceUnavailableError ||
        (err as { code?: string }).code === 'ERR_TUF_METADATA'
      ) {
        throw err;
      }
      throw new SourceUnavailableError(`reading ${url} failed: ${errorText(err)}`, { cause: err });
    }
    return sink.bytes();
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? err.message : `${code} ${err.message}`;
  }
  return String(err);
}
