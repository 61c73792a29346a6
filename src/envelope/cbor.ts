/**
 * CBOR for COSE envelopes. Decoding is done by cbor-x; before any byte reaches
 * it, {@link checkCbor} enforces the strict profile go-cose applies and cbor-x
 * cannot (DIGEST §4.4, §11): definite lengths only, no duplicate map keys,
 * map keys that are integers or text, bounded nesting, valid UTF-8 text, no
 * trailing bytes, and only the tags the caller allows. The tag allow-list also
 * keeps cbor-x's built-in extension tags (records, shared references, tag 27
 * "construct a global by name", typed arrays, sets, …) from ever running on
 * untrusted input.
 */
import type { Decoder, Encoder, Tag } from 'cbor-x';
import { EnvelopeError, ErrorCode } from '../errors';
import { ENVELOPE_LIMITS } from './limits';

/** Which tags the caller accepts at a given nesting depth (0 = the root item). */
export type TagPolicy = (tag: number, depth: number) => boolean;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks that `bytes` hold exactly one CBOR data item within the strict
 * profile. Throws ERR_ENVELOPE_INVALID naming `where` otherwise.
 */
export function checkCbor(
  bytes: Uint8Array,
  where: string,
  allowTag: TagPolicy,
  maxDepth: number = ENVELOPE_LIMITS.maxDepth,
): void {
  const fail = (m: string): never => {
    throw new EnvelopeError(ErrorCode.ENVELOPE_INVALID, `${where}: ${m}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength;
  let pos = 0;

  /** Reads an item head; returns major type, additional info and argument. */
  const head = (): { major: number; info: number; arg: number } => {
    if (pos >= end) fail('truncated CBOR');
    const ib = bytes[pos++]!;
    const major = ib >> 5;
    const info = ib & 0x1f;
    if (info < 24) return { major, info, arg: info };
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) {
      fail(
        info === 31 ? 'indefinite-length items are not allowed' : 'reserved CBOR additional info',
      );
    }
    if (pos + size > end) fail('truncated CBOR');
    let arg: number;
    if (size === 1) arg = view.getUint8(pos);
    else if (size === 2) arg = view.getUint16(pos);
    else if (size === 4) arg = view.getUint32(pos);
    else {
      // Integers and lengths beyond 2^53 are never legitimate here; Infinity fails every length check.
      const big = view.getBigUint64(pos);
      arg = big > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(big);
    }
    pos += size;
    return { major, info, arg };
  };

  const item = (depth: number): string => {
    if (depth > maxDepth) fail(`CBOR nested deeper than ${maxDepth} levels`);
    const { major, info, arg } = head();
    switch (major) {
      case 0:
        return `i:${arg}`;
      case 1:
        return `i:-${arg}-1`;
      case 2:
      case 3: {
        if (arg > end - pos) fail('CBOR string runs past the end of the data');
        const start = pos;
        pos += arg;
        if (major === 3) {
          try {
            return `s:${utf8.decode(bytes.subarray(start, pos))}`;
          } catch {
            return fail('CBOR text string is not valid UTF-8');
          }
        }
        return 'b';
      }
      case 4: {
        if (arg > end - pos) fail('CBOR array longer than the data');
        for (let i = 0; i < arg; i++) item(depth + 1);
        return 'a';
      }
      case 5: {
        if (arg > (end - pos) / 2) fail('CBOR map longer than the data');
        const keys = new Set<string>();
        for (let i = 0; i < arg; i++) {
          const keyMajor = pos < end ? bytes[pos]! >> 5 : -1;
          if (keyMajor !== 0 && keyMajor !== 1 && keyMajor !== 3) {
            fail('CBOR map keys must be integers or text strings');
          }
          const key = item(depth + 1);
          if (keys.has(key)) fail(`duplicate CBOR map key ${key.slice(2)}`);
          keys.add(key);
          item(depth + 1);
        }
        return 'm';
      }
      case 6: {
        if (!allowTag(arg, depth)) fail(`CBOR tag ${arg} is not allowed here`);
        if (arg === 1) {
          // Epoch date/time (RFC 8949 §3.4.2): an integer or a float, nothing else.
          const next = pos < end ? bytes[pos]! : -1;
          const m = next >> 5;
          const isFloat = m === 7 && [25, 26, 27].includes(next & 0x1f);
          if (m !== 0 && m !== 1 && !isFloat) fail('CBOR tag 1 must wrap a number');
        }
        item(depth + 1);
        return 't';
      }
      default: {
        // Major 7: false, true, null and floats only.
        if (info === 20 || info === 21 || info === 22 || (info >= 25 && info <= 27)) return 'v';
        return fail(`CBOR simple value ${info} is not allowed`);
      }
    }
  };

  item(0);
  if (pos !== end) fail(`${end - pos} trailing bytes after the CBOR item`);
}

// mapsAsObjects: false → every map is a Map (integer labels stay integers);
// useRecords/structuredClone off; tagged Uint8Array encoding off so byte
// strings encode as plain bstr.
interface CborCodec {
  readonly decoder: Decoder;
  readonly encoder: Encoder;
  readonly Tag: typeof Tag;
}
let codec: CborCodec | undefined;

/** cbor-x (and its native addon) loads on the first COSE envelope, not on import. */
function cbor(): CborCodec {
  if (!codec) {
    const x = require('cbor-x') as typeof import('cbor-x');
    codec = {
      decoder: new x.Decoder({
        mapsAsObjects: false,
        useRecords: false,
        structuredClone: false,
        copyBuffers: true,
      }),
      encoder: new x.Encoder({
        mapsAsObjects: false,
        useRecords: false,
        structuredClone: false,
        tagUint8Array: false,
        variableMapSize: true,
      }),
      Tag: x.Tag,
    };
  }
  return codec;
}

/** True when `value` is a decoded CBOR tag with number `tag`. */
export function isCborTag(value: unknown, tag: number): value is Tag {
  return value instanceof cbor().Tag && value.tag === tag;
}

/** Decodes bytes that already passed {@link checkCbor}. */
export function decodeCbor(bytes: Uint8Array, where: string): unknown {
  try {
    return cbor().decoder.decode(bytes) as unknown;
  } catch (cause) {
    throw new EnvelopeError(
      ErrorCode.ENVELOPE_INVALID,
      `${where}: not valid CBOR (${(cause as Error).message})`,
      { cause },
    );
  }
}

/** Encodes a value with shortest-form heads (deterministic for arrays, strings and byte strings). */
export function encodeCbor(value: unknown): Uint8Array {
  return new Uint8Array(cbor().encoder.encode(value));
}
