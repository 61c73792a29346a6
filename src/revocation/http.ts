/**
 * Transport of the revocation stage. The built-in fetcher uses
 * make-fetch-happen (loaded on first use) with no HTTP cache — the stage
 * keeps its own cache bounded by each response's nextUpdate — and no retries
 * (notation-go makes one attempt per URL). Every fetcher, built-in or the
 * caller's, runs under {@link fetchBounded}: a timeout that aborts the
 * request and a size limit, enforced while streaming for the built-in one.
 */
import { makeFetchHappen } from '../network';
import * as tls from 'node:tls';
import type {
  RevocationFetcher,
  RevocationFetchRequest,
  RevocationFetchResponse,
  RevocationHttpOptions,
} from './types';

/** A response larger than the limit. */
export class ResponseTooLargeError extends Error {}

/** The built-in fetcher: make-fetch-happen with the proxy/CA options of the TUF HttpSource. */
export function httpFetcher(options: RevocationHttpOptions = {}): RevocationFetcher {
  return async (url: string, req: RevocationFetchRequest): Promise<RevocationFetchResponse> => {
    const response = await makeFetchHappen()(url, {
      method: req.method,
      headers: { 'user-agent': options.userAgent ?? 'tuf-notary', ...req.headers },
      ...(req.body === undefined ? {} : { body: Buffer.from(req.body) }),
      cache: 'no-store',
      retry: false,
      redirect: 'manual',
      timeout: req.timeoutMs,
      signal: req.signal,
      ...(options.ca === undefined
        ? {}
        : { ca: [...tls.rootCertificates, Buffer.from(options.ca).toString('utf8')] }),
      ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
      ...(options.noProxy === undefined ? {} : { noProxy: options.noProxy }),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    if (response.status !== 200) {
      // The body is not needed: notation-core-go only accepts HTTP 200.
      response.body.destroy?.();
      return { status: response.status, body: new Uint8Array(0), headers };
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > req.maxBytes) {
      response.body.destroy?.();
      throw new ResponseTooLargeError(
        `${url} declares ${declared} bytes, more than the ${req.maxBytes}-byte limit`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > req.maxBytes) {
          throw new ResponseTooLargeError(`${url} sent more than the ${req.maxBytes}-byte limit`);
        }
        chunks.push(Buffer.from(chunk));
      }
    } catch (err) {
      response.body.destroy?.();
      throw err;
    }
    return { status: response.status, body: Buffer.concat(chunks, size), headers };
  };
}

/**
 * Runs `fetcher` with a timeout (the request is aborted when it fires) and
 * checks the size of what it returned. Rejects on any failure; the caller
 * turns the rejection into an `unknown` result.
 */
export async function fetchBounded(
  fetcher: RevocationFetcher,
  url: string,
  request: Omit<RevocationFetchRequest, 'signal'>,
): Promise<RevocationFetchResponse> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`no complete answer from ${url} within ${request.timeoutMs} ms`);
      controller.abort(err);
      reject(err);
    }, request.timeoutMs);
  });
  try {
    const response = await Promise.race([
      fetcher(url, { ...request, signal: controller.signal }),
      timeout,
    ]);
    if (response.body.byteLength > request.maxBytes) {
      throw new ResponseTooLargeError(
        `${url} returned ${response.body.byteLength} bytes, more than the ${request.maxBytes}-byte limit`,
      );
    }
    return response;
  } finally {
    clearTimeout(timer);
    // A fetcher that ignores the signal may still settle later; nothing waits for it.
    timeout.catch(() => undefined);
  }
}
