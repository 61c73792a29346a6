import {
  ErrorCode,
  SourceUnavailableError,
  TufError,
  TufNotaryError,
  type ErrorCodeValue,
} from '../errors';
import type { FetchLog } from './fetcher';
import { isNotFound } from './sources/source';

/** What the client knew when tuf-js failed, for the message. */
export interface TufFailureContext {
  readonly source: string;
  readonly log: FetchLog;
  /** Versions trusted before this update, e.g. `root v3, timestamp v7`. */
  readonly trusted: string;
}

interface Rule {
  readonly code: ErrorCodeValue;
  /** tuf-js / @tufjs/models class names (constructor.name) this rule matches. */
  readonly classes: readonly string[];
  /** Message text this rule matches (tuf-js wraps snapshot/targets failures into RuntimeError text). */
  readonly text?: RegExp;
  readonly what: string;
  readonly todo: string;
}

/**
 * tuf-js failure → error code. Matched by class name AND message text, first
 * match wins: tuf-js 5 loses the class of snapshot/targets failures
 * (`RuntimeError('Unable to load targets error Error: targets.json is expired')`),
 * so the text rules come before the generic class rules.
 */
const RULES: readonly Rule[] = [
  {
    code: ErrorCode.TUF_EXPIRED,
    classes: ['ExpiredMetadataError', 'RuntimeError'],
    text: /is expired/,
    what: 'metadata has expired (freeze attack or a repository that is no longer maintained)',
    todo: 'ask the repository administrators to re-sign it, or check the system clock',
  },
  {
    code: ErrorCode.TUF_ROLLBACK,
    classes: ['BadVersionError', 'RuntimeError'],
    text: /less than current version|Expected version \d+, got \d+/,
    what: 'the repository offered a metadata version older than one already trusted (rollback)',
    todo: 'check the source; a mirror or network attacker may be replaying old metadata',
  },
  {
    code: ErrorCode.TUF_SIGNATURE,
    classes: ['UnsignedMetadataError', 'RuntimeError', 'RepositoryError'],
    text: /was signed by \d+\/\d+ keys|signature/i,
    what: 'metadata is not signed by a threshold of the role keys',
    todo: 'the repository was tampered with or signed with the wrong keys; do not use it',
  },
  {
    code: ErrorCode.TUF_METADATA,
    classes: ['BadVersionError', 'LengthOrHashMismatchError', 'RuntimeError', 'RepositoryError'],
    text: /does not match|doesn't match|Expected (length|hash)|Max length|Missing/,
    what: 'metadata does not match what the referring metadata says (mix-and-match, wrong version, length or hash)',
    todo: 'the repository is inconsistent or tampered with; retry later or contact its administrators',
  },
  {
    code: ErrorCode.TUF_METADATA,
    classes: ['DownloadLengthMismatchError'],
    what: 'metadata is larger than the TUF length limit',
    todo: 'the repository serves oversized or endless data; contact its administrators',
  },
  {
    code: ErrorCode.TUF_SIGNATURE,
    classes: ['UnsignedMetadataError'],
    what: 'metadata is not signed by a threshold of the role keys',
    todo: 'the repository was tampered with or signed with the wrong keys; do not use it',
  },
  {
    code: ErrorCode.TUF_EXPIRED,
    classes: ['ExpiredMetadataError'],
    what: 'metadata has expired',
    todo: 'ask the repository administrators to re-sign it, or check the system clock',
  },
  {
    code: ErrorCode.TUF_ROLLBACK,
    classes: ['BadVersionError'],
    what: 'metadata version check failed',
    todo: 'check the source',
  },
  {
    code: ErrorCode.TUF_UNAVAILABLE,
    classes: ['DownloadHTTPError', 'DownloadError', 'TypeError'],
    text: /not found|Failed to download|fetch failed/,
    what: 'the source could not provide the metadata',
    todo: 'check that the source is reachable and complete',
  },
  {
    code: ErrorCode.CACHE,
    classes: ['PersistError'],
    what: 'metadata could not be written to the working directory',
    todo: 'check free disk space and permissions of the temporary directory',
  },
  {
    code: ErrorCode.TUF_METADATA,
    classes: [
      'SyntaxError',
      'ValueError',
      'RepositoryError',
      'TypeError',
      'RuntimeError',
      'ReferenceError',
      'CryptoError',
    ],
    what: 'metadata is malformed',
    todo: 'the repository serves invalid TUF metadata; contact its administrators',
  },
];

function className(err: unknown): string {
  return typeof err === 'object' && err !== null ? (err.constructor?.name ?? 'Error') : typeof err;
}

/**
 * Maps anything tuf-js threw during an update to a TufNotaryError whose
 * message names the role being fetched, the trusted versions and the source.
 * Errors tuf-notary raised itself (source failures, key checks) pass through,
 * also when tuf-js wrapped them into text, via the fetcher's log.
 */
export function mapTufError(err: unknown, ctx: TufFailureContext): TufNotaryError {
  const role = ctx.log.lastName === undefined ? 'metadata' : ctx.log.lastName;
  const where = `while updating ${role} from ${ctx.source} (trusted: ${ctx.trusted})`;
  if (err instanceof TufNotaryError) {
    return rewrap(err, where);
  }
  const failure = ctx.log.lastFailure;
  const message = err instanceof Error ? err.message : String(err);
  // tuf-js turned our own error into text: report the original one.
  if (failure instanceof TufNotaryError && message.includes(failure.message)) {
    return rewrap(failure, where);
  }
  if (isNotFound(err)) {
    return new SourceUnavailableError(`${role} is missing ${where}`, { cause: err });
  }
  const name = className(err);
  const rule = RULES.find(
    (r) => r.classes.includes(name) && (r.text === undefined || r.text.test(message)),
  );
  const code = rule?.code ?? ErrorCode.TUF_METADATA;
  const text =
    `${rule?.what ?? 'TUF update failed'} ${where}: ${message}. ${rule?.todo ?? ''}`.trim();
  const details = { role, source: ctx.source, trusted: ctx.trusted, tufError: name };
  return code === ErrorCode.TUF_UNAVAILABLE
    ? new SourceUnavailableError(text, { cause: err, details })
    : new TufError(code, text, { cause: err, details });
}

function rewrap(err: TufNotaryError, where: string): TufNotaryError {
  if (err.message.includes(' while updating ')) return err;
  const options = { cause: err, details: err.details };
  const message = `${err.message} (${where})`;
  return err.code === ErrorCode.TUF_UNAVAILABLE
    ? new SourceUnavailableError(message, options)
    : new TufError(err.code, message, options);
}
