import { ErrorCode, SourceUnavailableError, TufError } from '../../errors';

/**
 * A transport for a TUF repository. tuf-notary asks a source for raw bytes
 * only; every trust decision (signatures, versions, hashes, expiry) is made by
 * the TrustClient on what the source returns, so a source needs no trust.
 *
 * Contract:
 * - `fetchMetadata(name, maxLength)` returns the bytes of `metadata/<name>`
 *   (e.g. `3.root.json`, `timestamp.json`, `7.snapshot.json`).
 * - `fetchTarget(path, maxLength)` returns the bytes of `targets/<path>`,
 *   where `path` is already hash-prefixed (`truststore/x509/ca/<sha256>.acme.pem`).
 * - A file that does not exist MUST throw {@link TufSourceNotFoundError}
 *   (TUF's root-rotation loop stops only on "not found").
 * - More than `maxLength` bytes MUST throw {@link TufSourceTooLargeError}
 *   without reading further (endless-data attack, TUF spec §5.2 / §5.3.3).
 * - Anything else (network, permission) throws a SourceUnavailableError or any
 *   other error: it is reported as ERR_TUF_UNAVAILABLE.
 */
export interface TufSource {
  /** A short human description used in error messages (e.g. the base URL). */
  describe(): string;
  /** Bytes of `metadata/<name>`, at most `maxLength` of them. */
  fetchMetadata(name: string, maxLength: number): Promise<Uint8Array>;
  /** Bytes of `targets/<path>` (hash-prefixed), at most `maxLength` of them. */
  fetchTarget(path: string, maxLength: number): Promise<Uint8Array>;
}

/** The requested file does not exist in the repository (HTTP 403/404, ENOENT). */
export class TufSourceNotFoundError extends SourceUnavailableError {
  /** Always true: lets callers in other realms recognise the error without instanceof. */
  readonly notFound = true;
  constructor(
    readonly location: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(`${location} was not found`, {
      cause: options.cause,
      details: { location, status: options.status ?? 404 },
    });
  }
}

/** The file is larger than the TUF length limit for it. */
export class TufSourceTooLargeError extends TufError {
  constructor(
    readonly location: string,
    readonly maxLength: number,
  ) {
    super(
      ErrorCode.TUF_METADATA,
      `${location} is larger than the allowed ${maxLength} bytes; refusing to read more (endless or oversized data)`,
      { details: { location, maxLength } },
    );
  }
}

/** True when `err` is a not-found error from a source (works across realms). */
export function isNotFound(err: unknown): boolean {
  return (
    err instanceof TufSourceNotFoundError ||
    (typeof err === 'object' && err !== null && (err as { notFound?: unknown }).notFound === true)
  );
}

/** Collects chunks while enforcing a byte limit; throws once the limit is passed. */
export class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly location: string,
    private readonly maxLength: number,
  ) {}

  /** Adds a chunk; throws TufSourceTooLargeError when the total exceeds the limit. */
  push(chunk: Uint8Array): void {
    this.size += chunk.length;
    if (this.size > this.maxLength) {
      throw new TufSourceTooLargeError(this.location, this.maxLength);
    }
    this.chunks.push(Buffer.from(chunk));
  }

  /** The collected bytes. */
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks));
  }
}

/**
 * Validates a repository-relative path (`a/b/c.json`): no absolute paths, no
 * empty, `.` or `..` segments, no backslashes or NUL. Returns its segments.
 */
export function safeSegments(relPath: string): string[] {
  const segments = relPath.split('/');
  const bad =
    relPath.length === 0 ||
    relPath.length > 4096 ||
    relPath.includes('\\') ||
    relPath.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad) {
    throw new SourceUnavailableError(
      `refusing repository path "${relPath}": it is empty, absolute or leaves the repository`,
      { details: { path: relPath } },
    );
  }
  return segments;
}
