/**
 * HTTP options shared by every network client (the TUF HttpSource, the
 * registry client; the revocation fetcher takes the proxy/CA subset), so one
 * set of settings configures them all.
 */
export interface NetworkOptions {
  /** Time limit of one request attempt in milliseconds, headers and whole body included (default 30 000). */
  readonly timeoutMs?: number;
  /** Retries of a failed request (network error, timeout, cut body, 408/429/5xx) with exponential backoff (default 2). */
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

/** The slice of a make-fetch-happen response every client reads. */
export interface FetchedResponse {
  readonly status: number;
  readonly url: string;
  readonly headers: {
    get(name: string): string | null;
    forEach(cb: (value: string, key: string) => void): void;
  };
  readonly body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => void };
}

/** make-fetch-happen's fetch, as the clients call it. */
export type FetchFunction = (
  url: string,
  options: Record<string, unknown>,
) => Promise<FetchedResponse>;

let fetchFunction: FetchFunction | undefined;

/** make-fetch-happen costs about 100 ms to load: every client loads it here, on first use. */
export function makeFetchHappen(): FetchFunction {
  fetchFunction ??= require('make-fetch-happen') as FetchFunction;
  return fetchFunction;
}
