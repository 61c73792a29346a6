/**
 * Strict JSON for signed data: UTF-8 only, bounded depth, and no duplicate
 * object keys. JSON.parse silently keeps the last of two equal keys, so a
 * header `{"alg":"PS256","alg":"none"}` would read differently in another
 * implementation; RFC 7515 §4 says such a header MUST be rejected.
 */
import { EnvelopeError, ErrorCode } from '../errors';
import { ENVELOPE_LIMITS } from './limits';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly (invalid sequences and a BOM are errors). */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw invalid(`${where}: starts with a byte order mark`);
  }
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw invalid(`${where}: not valid UTF-8`, cause);
  }
}

/**
 * Parses JSON text and rejects duplicate keys (compared after unescaping) and
 * nesting deeper than `maxDepth`.
 */
export function parseStrictJson(
  text: string,
  where: string,
  maxDepth: number = ENVELOPE_LIMITS.maxDepth,
): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw invalid(`${where}: not valid JSON (${(cause as Error).message})`, cause);
  }
  checkKeys(text, where, maxDepth);
  return value;
}

interface Frame {
  readonly keys: Set<string> | undefined; // undefined for arrays
  expectKey: boolean;
}

/** Walks already-valid JSON text, tracking the keys of each open object. */
function checkKeys(text: string, where: string, maxDepth: number): void {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      if (stack.length >= maxDepth) {
        throw invalid(`${where}: nested deeper than ${maxDepth} levels`);
      }
      stack.push({ keys: c === '{' ? new Set() : undefined, expectKey: c === '{' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) {
          throw invalid(`${where}: key "${key}" appears more than once`);
        }
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    }
  }
}

/** A JSON object (not an array, not null), narrowed. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(message: string, cause?: unknown): EnvelopeError {
  return new EnvelopeError(ErrorCode.ENVELOPE_INVALID, message, cause ? { cause } : {});
}
