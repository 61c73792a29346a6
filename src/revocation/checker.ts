/**
 * The revocation stage: checks every certificate of a chain the caller has
 * already validated, as trust-store-trust-policy.md "Certificate Revocation
 * Evaluation" and notation-core-go `revocation.ValidateContext` define
 * (DIGEST §8):
 *
 * 1. the TUF deny list first (works with no network);
 * 2. the root is never checked (`nonRevokable`);
 * 3. every other certificate, in parallel: OCSP when it names responders;
 *    an `unknown` OCSP result falls back to its CRLs; CRLs alone otherwise;
 *    no revocation information → `nonRevokable`;
 * 4. the chain is `revoked` if any certificate is, else `unknown` if any is,
 *    else `good`.
 *
 * Network problems never throw: they make the certificate `unknown` with the
 * reason. Usage errors throw {@link UsageError}.
 */
import { denyListSet } from '../trust/revocations';
import { UsageError } from '../errors';
import type { Certificate } from '../x509/certificate';
import { DiskCache, ExpiringCache, InFlight } from './cache';
import {
  CrlError,
  lookupSerial,
  parseCrl,
  type ParsedCrl,
  validateCrl,
  validateDelta,
} from './crl';
import { crlUrls, hasFreshestCrl, isHttpUrl, ocspUrls } from './extensions';
import { fetchBounded, httpFetcher } from './http';
import {
  buildOcspRequest,
  evaluateOcspResponse,
  type OcspAnswer,
  OcspError,
  ocspGetUrl,
  revokedAtSigningTime,
} from './ocsp';
import type {
  CertRevocationResult,
  ChainRevocationResult,
  RevocationCheckOptions,
  RevocationFetcher,
  RevocationOptions,
} from './types';

/** Defaults (notation-go: 2 s OCSP timeout; notation-core-go: 20 KiB OCSP, 32 MiB CRL limits). */
export const REVOCATION_DEFAULTS = {
  timeoutMs: 2000,
  maxResponderCalls: 8,
  maxOcspResponseBytes: 20 * 1024,
  maxCrlBytes: 32 * 1024 * 1024,
  maxCacheBytes: 64 * 1024 * 1024,
} as const;

/** Most certificates one chain may hold (Go has no limit; real chains have 2–4). */
const MAX_CHAIN_LENGTH = 16;

/** Severity order used to put the problematic certificates first. */
const SEVERITY: Readonly<Record<CertRevocationResult['status'], number>> = {
  revoked: 0,
  unknown: 1,
  good: 2,
  nonRevokable: 2,
};

/** State of one `check` call. */
interface CheckContext {
  readonly now: Date;
  readonly signingTime?: Date;
  calls: number;
}

/** A verified OCSP answer and where it came from. */
interface OcspResult {
  readonly answer: OcspAnswer;
  readonly source: string;
}

/** OCSP and CRL locations of each certificate, read once (certificates are cached objects). */
const locations = new WeakMap<Certificate, { ocsp: readonly string[]; crl: readonly string[] }>();

function locationsOf(cert: Certificate): { ocsp: readonly string[]; crl: readonly string[] } {
  let found = locations.get(cert);
  if (!found) {
    found = { ocsp: ocspUrls(cert), crl: crlUrls(cert) };
    locations.set(cert, found);
  }
  return found;
}

/** Until when each definite per-certificate answer holds (its OCSP or CRL nextUpdate). */
const answerValidity = new WeakMap<CertRevocationResult, number>();

function holdsUntil<R extends CertRevocationResult>(r: R, until: Date | undefined): R {
  if (until !== undefined) answerValidity.set(r, until.getTime());
  return r;
}

/** Memo key of a chain check: purpose, signing time and every certificate. */
function chainMemoKey(chain: readonly Certificate[], opts: RevocationCheckOptions): string {
  return `${opts.purpose}|${opts.authenticSigningTime?.getTime() ?? '-'}|${chain.map((c) => c.fingerprint).join(',')}`;
}

/** Most chain answers kept (least recently used dropped first). */
const MAX_CHAIN_ANSWERS = 1000;

/** An answer that could not be obtained. */
class Unavailable extends Error {}

/** Checks the revocation status of certificate chains (OCSP, CRL, deny list) with caching. */
export class RevocationChecker {
  private readonly mode: 'online' | 'offline';
  private readonly timeoutMs: number;
  private readonly maxCalls: number;
  private readonly maxOcspBytes: number;
  private readonly maxCrlBytes: number;
  private readonly fetcher: RevocationFetcher;
  private readonly clock: () => Date;
  private readonly disk?: DiskCache;
  private readonly ocspCache = new ExpiringCache<OcspResult>();
  private readonly crlCache = new ExpiringCache<ParsedCrl>();
  private readonly ocspFlight = new InFlight<OcspResult>();
  private readonly crlFlight = new InFlight<ParsedCrl>();
  private readonly chainAnswers = new Map<
    string,
    { result: ChainRevocationResult; until: number }
  >();

  constructor(options: RevocationOptions) {
    if (
      options === null ||
      typeof options !== 'object' ||
      !['online', 'offline'].includes(options.mode)
    ) {
      throw new UsageError(
        `revocation mode must be "online" or "offline", not ${JSON.stringify((options as { mode?: unknown } | null)?.mode)}`,
      );
    }
    const positive = (name: string, value: number | undefined, fallback: number): number => {
      if (value === undefined) return fallback;
      if (!Number.isInteger(value) || value <= 0) {
        throw new UsageError(`revocation option ${name} must be a positive integer, not ${value}`);
      }
      return value;
    };
    this.mode = options.mode;
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, REVOCATION_DEFAULTS.timeoutMs);
    this.maxCalls = positive(
      'maxResponderCalls',
      options.maxResponderCalls,
      REVOCATION_DEFAULTS.maxResponderCalls,
    );
    this.maxOcspBytes = positive(
      'maxOcspResponseBytes',
      options.maxOcspResponseBytes,
      REVOCATION_DEFAULTS.maxOcspResponseBytes,
    );
    this.maxCrlBytes = positive(
      'maxCrlBytes',
      options.maxCrlBytes,
      REVOCATION_DEFAULTS.maxCrlBytes,
    );
    this.fetcher = options.fetch ?? httpFetcher(options.http);
    this.clock = options.now ?? (() => new Date());
    if (options.cacheDir !== undefined) {
      this.disk = new DiskCache(
        options.cacheDir,
        positive('maxCacheBytes', options.maxCacheBytes, REVOCATION_DEFAULTS.maxCacheBytes),
      );
    }
  }

  /** Checks `chain` (leaf first, ending at its root, already validated by the caller). */
  async check(
    chain: readonly Certificate[],
    opts: RevocationCheckOptions,
  ): Promise<ChainRevocationResult> {
    if (!Array.isArray(chain) || chain.length === 0 || chain.length > MAX_CHAIN_LENGTH) {
      throw new UsageError(
        `revocation check needs a chain of 1 to ${MAX_CHAIN_LENGTH} certificates`,
      );
    }
    if (opts?.purpose !== 'codeSigning' && opts?.purpose !== 'timestamping') {
      throw new UsageError(
        `revocation purpose must be "codeSigning" or "timestamping", not ${JSON.stringify(opts?.purpose)}`,
      );
    }
    chain.forEach((cert, i) => {
      const issuer = chain[i + 1];
      if (issuer && !cert.issuerDer.equals(issuer.subjectDer)) {
        throw new UsageError(
          `revocation check: certificate "${cert.subject}" is not issued by the next certificate "${issuer.subject}"; pass the chain leaf first`,
        );
      }
    });
    const deny = denyListSet(opts.denyList ?? []);
    const ctx: CheckContext = {
      now: this.clock(),
      ...(opts.authenticSigningTime === undefined
        ? {}
        : { signingTime: opts.authenticSigningTime }),
      calls: 0,
    };
    // A chain whose every answer is still within its nextUpdate is answered
    // again without re-walking each certificate (the deny list is always
    // consulted first, above, since it can change with every TUF refresh).
    const memoKey = chainMemoKey(chain, opts);
    const listed = chain.some((c) => deny.has(c.fingerprint));
    const memo = listed ? undefined : this.chainAnswers.get(memoKey);
    if (memo && ctx.now.getTime() < memo.until) {
      this.chainAnswers.delete(memoKey);
      this.chainAnswers.set(memoKey, memo);
      return memo.result;
    }
    const results = await Promise.all(
      chain.map((cert, i) => {
        if (deny.has(cert.fingerprint)) return Promise.resolve(denied(cert));
        const issuer = chain[i + 1];
        // The root (last certificate) is never checked (Go: NonRevokable).
        if (!issuer)
          return Promise.resolve(result(cert, { status: 'nonRevokable', method: 'none' }));
        return this.checkCertificate(cert, issuer, ctx);
      }),
    );
    const status = results.some((r) => r.status === 'revoked')
      ? 'revoked'
      : results.some((r) => r.status === 'unknown')
        ? 'unknown'
        : 'good';
    const certificates = results
      .map((r, i) => ({ r, i }))
      .sort((a, b) => SEVERITY[a.r.status] - SEVERITY[b.r.status] || a.i - b.i)
      .map(({ r }) => r);
    const answer: ChainRevocationResult = { status, certificates };
    if (!listed && status !== 'unknown') this.remember(memoKey, answer);
    return answer;
  }

  /** Keeps a definite chain answer until its earliest nextUpdate, served as `cache`. */
  private remember(key: string, answer: ChainRevocationResult): void {
    let until = Infinity;
    for (const r of answer.certificates) {
      if (r.status === 'nonRevokable') continue;
      const holds = answerValidity.get(r);
      if (holds === undefined) return; // no known lifetime: never reuse
      until = Math.min(until, holds);
    }
    // Frozen: the same object answers every later check of this chain.
    const cached: ChainRevocationResult = Object.freeze({
      status: answer.status,
      certificates: Object.freeze(
        answer.certificates.map((r) =>
          Object.freeze<CertRevocationResult>(
            r.method === 'ocsp' || r.method === 'crl' ? { ...r, method: 'cache' } : r,
          ),
        ),
      ),
    });
    this.chainAnswers.set(key, { result: cached, until });
    if (this.chainAnswers.size > MAX_CHAIN_ANSWERS) {
      const oldest = this.chainAnswers.keys().next().value;
      if (oldest !== undefined) this.chainAnswers.delete(oldest);
    }
  }

  /** Forgets every cached answer held in memory (the disk cache stays). */
  clearMemoryCache(): void {
    this.ocspCache.clear();
    this.crlCache.clear();
    this.chainAnswers.clear();
  }

  private async checkCertificate(
    cert: Certificate,
    issuer: Certificate,
    ctx: CheckContext,
  ): Promise<CertRevocationResult> {
    let ocsp: readonly string[];
    let crl: readonly string[];
    try {
      ({ ocsp, crl } = locationsOf(cert));
    } catch (err) {
      return result(cert, { status: 'unknown', method: 'none', error: (err as Error).message });
    }
    if (ocsp.length > 0) {
      const viaOcsp = await this.checkOcsp(cert, issuer, ocsp, ctx);
      if (viaOcsp.status !== 'unknown' || crl.length === 0) return viaOcsp;
      // Spec and Go: OCSP could not decide → fall back to the CRLs.
      const viaCrl = await this.checkCrl(cert, issuer, crl, ctx);
      return viaCrl.status === 'unknown'
        ? {
            ...viaCrl,
            error: `OCSP: ${viaOcsp.error ?? 'unknown'}; CRL: ${viaCrl.error ?? 'unknown'}`,
          }
        : viaCrl;
    }
    if (crl.length > 0) return this.checkCrl(cert, issuer, crl, ctx);
    return result(cert, { status: 'nonRevokable', method: 'none' });
  }

  // ---- OCSP ----------------------------------------------------------------

  private async checkOcsp(
    cert: Certificate,
    issuer: Certificate,
    urls: readonly string[],
    ctx: CheckContext,
  ): Promise<CertRevocationResult> {
    const key = `${issuer.fingerprint}:${cert.serialNumber}`;
    let fromCache = true;
    let found =
      this.ocspCache.get(key, ctx.now) ?? (await this.ocspFromDisk(key, cert, issuer, ctx));
    if (!found) {
      if (this.mode === 'offline') {
        return result(cert, {
          status: 'unknown',
          method: 'none',
          error: 'offline mode: no cached OCSP response for this certificate',
        });
      }
      fromCache = false;
      try {
        found = await this.ocspFlight.run(key, () =>
          this.queryResponders(key, cert, issuer, urls, ctx),
        );
      } catch (err) {
        return result(cert, { status: 'unknown', method: 'ocsp', error: (err as Error).message });
      }
    }
    const { answer, source } = found;
    const method = fromCache ? 'cache' : 'ocsp';
    if (
      answer.status === 'good' ||
      (answer.status === 'revoked' && !revokedAtSigningTime(answer, ctx.signingTime))
    ) {
      return holdsUntil(result(cert, { status: 'good', method, source }), answer.nextUpdate);
    }
    if (answer.status === 'unknown') {
      return result(cert, {
        status: 'unknown',
        method,
        source,
        error: `OCSP responder ${source} does not know the certificate`,
      });
    }
    return holdsUntil(
      result(cert, {
        status: 'revoked',
        method,
        source,
        ...(answer.revokedAt === undefined ? {} : { revokedAt: answer.revokedAt }),
        ...(answer.reason === undefined ? {} : { reason: answer.reason }),
      }),
      answer.nextUpdate,
    );
  }

  private async ocspFromDisk(
    key: string,
    cert: Certificate,
    issuer: Certificate,
    ctx: CheckContext,
  ): Promise<OcspResult | undefined> {
    const stored = await this.disk?.read('ocsp', key, this.maxOcspBytes);
    if (!stored) return undefined;
    try {
      const answer = evaluateOcspResponse(stored, cert, issuer, ctx.now);
      const found = { answer, source: 'disk cache' };
      this.ocspCache.set(key, found, answer.nextUpdate);
      return found;
    } catch {
      return undefined; // stale or damaged: ignore it
    }
  }

  /** Tries the responders in order; the first definite answer wins (Go). */
  private async queryResponders(
    key: string,
    cert: Certificate,
    issuer: Certificate,
    urls: readonly string[],
    ctx: CheckContext,
  ): Promise<OcspResult> {
    const errors: string[] = [];
    const request = await buildOcspRequest(cert, issuer);
    for (const url of urls) {
      try {
        if (!isHttpUrl(url))
          throw new Unavailable(`OCSP responder ${url}: only http URLs are supported`);
        const getUrl = ocspGetUrl(url, request);
        const body = await this.fetchWithBudget(ctx, getUrl ?? url, this.maxOcspBytes, {
          method: getUrl ? 'GET' : 'POST',
          ...(getUrl ? {} : { body: request }),
          headers: getUrl
            ? { accept: 'application/ocsp-response' }
            : { accept: 'application/ocsp-response', 'content-type': 'application/ocsp-request' },
        });
        const answer = evaluateOcspResponse(body, cert, issuer, ctx.now);
        const found = { answer, source: url };
        this.ocspCache.set(key, found, answer.nextUpdate);
        await this.disk?.write('ocsp', key, body);
        return found;
      } catch (err) {
        errors.push(err instanceof OcspError ? `${url}: ${err.message}` : (err as Error).message);
      }
    }
    throw new Unavailable(errors.join('; '));
  }

  // ---- CRL -----------------------------------------------------------------

  /** Go: every CDP URL is checked; the first error makes the result unknown, the first revocation decides. */
  private async checkCrl(
    cert: Certificate,
    issuer: Certificate,
    urls: readonly string[],
    ctx: CheckContext,
  ): Promise<CertRevocationResult> {
    let allCached = true;
    let lastUrl = '';
    let until = Infinity;
    for (const url of urls) {
      lastUrl = url;
      try {
        if (!isHttpUrl(url)) throw new CrlError(`CRL ${url}: only http URLs are supported`);
        const base = await this.getCrl(url, issuer, ctx);
        allCached &&= base.cached;
        until = Math.min(until, base.crl.nextUpdate!.getTime());
        const crls = [base.crl];
        if (base.crl.freshestUrls.length > 0) {
          const delta = await this.getDelta(base.crl, issuer, ctx);
          allCached &&= delta.cached;
          until = Math.min(until, delta.crl.nextUpdate!.getTime());
          crls.push(delta.crl);
        } else if (hasFreshestCrl(cert)) {
          throw new CrlError(
            'freshest CRL from certificate extension is not supported: the base CRL names no delta CRL',
          );
        }
        const found = lookupSerial(crls, cert.serialNumber, ctx.signingTime);
        if (found.status === 'revoked') {
          return holdsUntil(
            result(cert, {
              status: 'revoked',
              method: allCached ? 'cache' : 'crl',
              source: url,
              ...(found.revokedAt === undefined ? {} : { revokedAt: found.revokedAt }),
              ...(found.reason === undefined ? {} : { reason: found.reason }),
            }),
            new Date(until),
          );
        }
      } catch (err) {
        return result(cert, {
          status: 'unknown',
          method: 'crl',
          source: url,
          error: (err as Error).message,
        });
      }
    }
    return holdsUntil(
      result(cert, { status: 'good', method: allCached ? 'cache' : 'crl', source: lastUrl }),
      new Date(until),
    );
  }

  /** Delta CRL from the base CRL's FreshestCRL URLs, the first usable one (Go). */
  private async getDelta(
    base: ParsedCrl,
    issuer: Certificate,
    ctx: CheckContext,
  ): Promise<{ crl: ParsedCrl; cached: boolean }> {
    const errors: string[] = [];
    for (const url of base.freshestUrls) {
      try {
        if (!isHttpUrl(url)) throw new CrlError(`delta CRL ${url}: only http URLs are supported`);
        const delta = await this.getCrl(url, issuer, ctx);
        validateDelta(base, delta.crl, url);
        return delta;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    throw new CrlError(`no usable delta CRL: ${errors.join('; ')}`);
  }

  /** A validated CRL from memory, disk or the network. */
  private async getCrl(
    url: string,
    issuer: Certificate,
    ctx: CheckContext,
  ): Promise<{ crl: ParsedCrl; cached: boolean }> {
    // Cached per issuer and URL once validated against that issuer (signature,
    // cRLSign, critical extensions); the cache drops it at nextUpdate, so a
    // hit needs no second signature check.
    const key = `${issuer.fingerprint} ${url}`;
    const inMemory = this.crlCache.get(key, ctx.now);
    if (inMemory) return { crl: inMemory, cached: true };
    const stored = await this.disk?.read('crl', url, this.maxCrlBytes);
    if (stored) {
      try {
        const crl = parseCrl(stored);
        validateCrl(crl, issuer, ctx.now, url);
        this.crlCache.set(key, crl, crl.nextUpdate!);
        return { crl, cached: true };
      } catch {
        // stale or damaged: fetch again
      }
    }
    if (this.mode === 'offline') throw new CrlError(`offline mode: no cached CRL for ${url}`);
    const crl = await this.crlFlight.run(url, async () => {
      const body = await this.fetchWithBudget(ctx, url, this.maxCrlBytes, {
        method: 'GET',
        headers: { accept: 'application/pkix-crl' },
      });
      return parseCrl(body);
    });
    validateCrl(crl, issuer, ctx.now, url);
    this.crlCache.set(key, crl, crl.nextUpdate!);
    await this.disk?.write('crl', url, crl.der);
    return { crl, cached: false };
  }

  // ---- transport -----------------------------------------------------------

  private async fetchWithBudget(
    ctx: CheckContext,
    url: string,
    maxBytes: number,
    req: { method: 'GET' | 'POST'; body?: Uint8Array; headers: Record<string, string> },
  ): Promise<Uint8Array> {
    if (ctx.calls >= this.maxCalls) {
      throw new Unavailable(
        `${url}: not contacted, the limit of ${this.maxCalls} responder calls per verification was reached`,
      );
    }
    ctx.calls++;
    let response;
    try {
      response = await fetchBounded(this.fetcher, url, {
        ...req,
        timeoutMs: this.timeoutMs,
        maxBytes,
      });
    } catch (err) {
      throw new Unavailable(`${url}: ${describe(err)}`);
    }
    if (response.status !== 200) throw new Unavailable(`${url} answered HTTP ${response.status}`);
    return response.body;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined || err.message.includes(code)
      ? err.message
      : `${code} ${err.message}`;
  }
  return String(err);
}

function result(
  cert: Certificate,
  rest: Omit<CertRevocationResult, 'certificate'>,
): CertRevocationResult {
  return { certificate: { subject: cert.subject, fingerprint: cert.fingerprint }, ...rest };
}

function denied(cert: Certificate): CertRevocationResult {
  return result(cert, {
    status: 'revoked',
    method: 'denylist',
    reason: "listed in the trust repository's revocations.json",
  });
}
