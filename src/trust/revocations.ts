/**
 * The TUF target `revocations.json`: a deny list of certificates that must
 * never verify, even offline (DESIGN.md, "Trust repository conventions"):
 *
 * ```json
 * {"version": 1, "certificates": [
 *   {"sha256": "<lowercase hex of the DER>", "reason": "keyCompromise", "revokedAt": "<RFC 3339>"}]}
 * ```
 *
 * Pure: no I/O.
 *
 * Error choice: a list that cannot be read fully is a TrustError with
 * ERR_TRUST_INCOMPLETE, the code of "the trust this update would activate is
 * incomplete". TUF already verified the bytes (so ERR_TUF_* would blame the
 * wrong layer); what is wrong is the trust content, exactly as for a broken
 * store file. The TUF client fails the update as a whole with it and keeps the
 * previous snapshot: we never activate trust with a partly understood deny
 * list (fail closed). Unknown keys and versions are refused for the same
 * reason: an entry we do not understand might be one that should deny.
 *
 * Duplicates: the same `sha256` listed twice is accepted and collapsed into
 * one entry (the earliest `revokedAt` wins, with its reason). The deny decision
 * is the same either way, and refusing the whole list over a harmless repeat
 * would keep the older, weaker deny list active instead.
 */
import { ErrorCode, TrustError } from '../errors';
import type { RevokedCertificate } from './types';

/** Largest `revocations.json` we parse (bounded before decoding). */
export const MAX_REVOCATION_LIST_BYTES = 8 * 1024 * 1024;
/** Most entries one list may hold. */
export const MAX_REVOKED_CERTIFICATES = 50_000;
/** The only format version this code understands. */
export const REVOCATION_LIST_VERSION = 1;

/**
 * CRLReason names of RFC 5280 §5.3.1 that make sense in a deny list.
 * `removeFromCRL` (8) is left out: it un-revokes, which a deny list cannot express.
 */
export const REVOCATION_REASONS: readonly string[] = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
];

const TOP_LEVEL_KEYS: readonly string[] = ['version', 'certificates'];
const ENTRY_KEYS: readonly string[] = ['sha256', 'reason', 'revokedAt'];
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** RFC 3339 §5.6 `date-time` (leap second 60 is refused: Date cannot represent it). */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

function invalid(message: string, index?: number): TrustError {
  const where =
    index === undefined ? 'revocations.json' : `revocations.json certificates[${index}]`;
  return new TrustError(
    ErrorCode.TRUST_INCOMPLETE,
    `${where}: ${message}; fix the revocation list in the trust repository and publish it again`,
    { details: { target: 'revocations.json', ...(index === undefined ? {} : { index }) } },
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], index?: number): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw invalid(`unknown key ${JSON.stringify(key)} (allowed: ${allowed.join(', ')})`, index);
    }
  }
}

/** Parses an RFC 3339 date-time strictly: the calendar fields must survive a round trip. */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offH = m[9] === undefined ? 0 : Number(m[9]);
  const offM = m[10] === undefined ? 0 : Number(m[10]);
  if (hour > 23 || minute > 59 || second > 59 || offH > 23 || offM > 59) return undefined;
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls Feb 30 into March; a real date keeps its fields.
  if (
    year < 1 ||
    utc.getUTCFullYear() !== year ||
    utc.getUTCMonth() !== month - 1 ||
    utc.getUTCDate() !== day
  ) {
    return undefined;
  }
  // Fractions below a millisecond are dropped; the offset is subtracted to get UTC.
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const sign = m[8]?.startsWith('-') ? -1 : 1;
  return new Date(utc.getTime() + millis - sign * (offH * 60 + offM) * 60_000);
}

function parseEntry(raw: unknown, index: number): RevokedCertificate {
  if (!isPlainObject(raw)) throw invalid('an entry must be an object', index);
  checkKeys(raw, ENTRY_KEYS, index);
  const { sha256, reason, revokedAt } = raw;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw invalid(
      `"sha256" must be the SHA-256 of the certificate's DER as 64 lowercase hex characters, got ${JSON.stringify(sha256)}`,
      index,
    );
  }
  const entry: { sha256: string; reason?: string; revokedAt?: Date } = { sha256 };
  if (reason !== undefined) {
    if (typeof reason !== 'string' || !REVOCATION_REASONS.includes(reason)) {
      throw invalid(
        `"reason" ${JSON.stringify(reason)} is not an RFC 5280 revocation reason (use one of ${REVOCATION_REASONS.join(', ')})`,
        index,
      );
    }
    entry.reason = reason;
  }
  if (revokedAt !== undefined) {
    const date = typeof revokedAt === 'string' ? parseRfc3339(revokedAt) : undefined;
    if (date === undefined) {
      throw invalid(
        `"revokedAt" must be an RFC 3339 date-time such as "2025-01-31T12:00:00Z", got ${JSON.stringify(revokedAt)}`,
        index,
      );
    }
    entry.revokedAt = date;
  }
  return entry;
}

/** Collapses repeated fingerprints, keeping the earliest revocation (see the file comment). */
function collapse(entries: readonly RevokedCertificate[]): RevokedCertificate[] {
  const byFingerprint = new Map<string, RevokedCertificate>();
  for (const entry of entries) {
    const prior = byFingerprint.get(entry.sha256);
    const earlier =
      prior === undefined ||
      (entry.revokedAt !== undefined &&
        (prior.revokedAt === undefined || entry.revokedAt < prior.revokedAt));
    if (earlier) byFingerprint.set(entry.sha256, entry);
  }
  return [...byFingerprint.values()].map((e) => Object.freeze(e));
}

/**
 * Parses and strictly validates `revocations.json` (version 1; lowercase
 * SHA-256 hex; RFC 5280 reason names; RFC 3339 dates; size and count bounds;
 * no unknown keys). Repeated fingerprints collapse into one entry. Any other
 * defect is a TrustError ERR_TRUST_INCOMPLETE that fails the update as a whole.
 */
export function parseRevocationList(bytes: Uint8Array): RevokedCertificate[] {
  if (bytes.byteLength > MAX_REVOCATION_LIST_BYTES) {
    throw invalid(
      `${bytes.byteLength} bytes is larger than the ${MAX_REVOCATION_LIST_BYTES}-byte limit`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (cause) {
    throw invalid(`not valid UTF-8 JSON (${(cause as Error).message})`);
  }
  if (!isPlainObject(doc)) throw invalid('the document must be a JSON object');
  checkKeys(doc, TOP_LEVEL_KEYS);
  if (doc.version !== REVOCATION_LIST_VERSION) {
    throw invalid(
      `unsupported "version" ${JSON.stringify(doc.version)}; this tuf-notary understands version ${REVOCATION_LIST_VERSION} only (upgrade tuf-notary if the repository uses a newer format)`,
    );
  }
  const list = doc.certificates;
  if (!Array.isArray(list)) throw invalid('"certificates" must be an array');
  if (list.length > MAX_REVOKED_CERTIFICATES) {
    throw invalid(`${list.length} entries is more than the limit of ${MAX_REVOKED_CERTIFICATES}`);
  }
  return collapse(list.map(parseEntry));
}

/** The SHA-256 fingerprints of a deny list, sorted, as a TrustSnapshot carries them. */
export function revokedFingerprints(list: readonly RevokedCertificate[]): string[] {
  return [...new Set(list.map((e) => e.sha256))].sort();
}

/** One Set per deny list array, built once (snapshot lists are immutable). */
const denySets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The deny list as a Set of lowercase fingerprints, for O(1) lookups on every verification. */
export function denyListSet(list: readonly string[]): ReadonlySet<string> {
  let set = denySets.get(list);
  if (!set) {
    set = new Set(list.map((f) => f.toLowerCase()));
    denySets.set(list, set);
  }
  return set;
}
