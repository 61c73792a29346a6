/**
 * The one certificate model every stage shares: parsed once from DER with
 * @sigstore/core's ASN.1 reader (for names and extensions) and node:crypto's
 * X509Certificate (for keys and signature checks, through OpenSSL).
 */
import { createHash, KeyObject, X509Certificate as NodeX509 } from 'node:crypto';
import type { ASN1Obj, X509Certificate as SigstoreX509 } from '@sigstore/core';

/** @sigstore/core loads on the first certificate parsed, not on import (cold start). */
let sigstore: typeof import('@sigstore/core') | undefined;
/** The @sigstore/core module, loaded once on first use. */
export function sigstoreCore(): typeof import('@sigstore/core') {
  sigstore ??= require('@sigstore/core') as typeof import('@sigstore/core');
  return sigstore;
}
import { CertificateError, ErrorCode } from '../errors';

/** Largest certificate we parse; real ones are a few KiB. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** One attribute of a distinguished name, in certificate order. */
export interface NameAttribute {
  /** Short name (`CN`, `O`, `ST`, …) or the dotted OID when it has none. */
  readonly type: string;
  readonly oid: string;
  readonly value: string;
}

/** A parsed X.509 certificate. */
export interface Certificate {
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint: string;
  /** Subject DN, RFC 4514 string (most significant RDN last, as OpenSSL/Go print it reversed). */
  readonly subject: string;
  readonly issuer: string;
  readonly subjectAttributes: readonly NameAttribute[];
  readonly issuerAttributes: readonly NameAttribute[];
  /** DER of the subject and issuer Names, compared byte for byte when chaining. */
  readonly subjectDer: Buffer;
  readonly issuerDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serialNumber: string;
  readonly der: Buffer;
  readonly publicKey: KeyObject;
  /** node:crypto view, for signature checks through OpenSSL. */
  readonly node: NodeX509;
  /** @sigstore/core view, for extensions. */
  readonly asn1: SigstoreX509;
}

const NAME_OIDS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GN',
  '2.5.4.17': 'POSTALCODE',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'E',
};

/** Decodes an ASN.1 string value (UTF8, Printable, IA5, T61, BMP, Universal). */
function decodeString(obj: ASN1Obj): string {
  switch (obj.tag.number) {
    case 0x0c: // UTF8String
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      return obj.value.toString('utf8');
    case 0x14: // T61String: treated as Latin-1, as Go and OpenSSL do
      return obj.value.toString('latin1');
    case 0x1e: // BMPString: UTF-16BE
      return Buffer.from(obj.value).swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString: UTF-32BE
      const cps: number[] = [];
      for (let i = 0; i + 3 < obj.value.length; i += 4) cps.push(obj.value.readUInt32BE(i));
      return String.fromCodePoint(...cps);
    }
    default:
      throw new CertificateError(
        ErrorCode.CERT_INVALID,
        `unsupported string type 0x${obj.tag.number.toString(16)} in a distinguished name`,
      );
  }
}

/** Parses the DER of an X.501 Name into attributes in certificate order. */
export function parseName(der: Buffer): NameAttribute[] {
  return nameAttributes(sigstoreCore().ASN1Obj.parseBuffer(der as Buffer<ArrayBuffer>));
}

function nameAttributes(name: ASN1Obj): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of name.subs) {
    for (const atv of rdn.subs) {
      const [oidObj, valueObj] = atv.subs;
      if (!oidObj || !valueObj) {
        throw new CertificateError(ErrorCode.CERT_INVALID, 'malformed distinguished name');
      }
      const oid = oidObj.toOID();
      out.push({ oid, type: NAME_OIDS[oid] ?? oid, value: decodeString(valueObj) });
    }
  }
  return out;
}

/**
 * The DER (tag, length, value) of a parsed node. @sigstore/core's own
 * `toDER()` re-encodes through large zero-filled buffers (~250 µs per Name);
 * the node's tag and value are already DER, so only the length is encoded.
 */
function tlv(obj: ASN1Obj): Buffer {
  const len = obj.value.length;
  let head: number[];
  if (len < 0x80) {
    head = [len];
  } else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    head = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([obj.tag.toDER(), ...head]), obj.value]);
}

/** Escapes a DN attribute value as RFC 4514 requires. */
function escapeValue(v: string): string {
  const s = v.replace(/[\\,+"<>;=]/g, (c) => '\\' + c);
  // A leading space or '#', and a trailing space, are escaped; a lone space once.
  const lead = s.startsWith(' ') || s.startsWith('#') ? '\\' : '';
  const trail = s.length > 1 && s.endsWith(' ') ? '\\ ' : '';
  return lead + (trail ? s.slice(0, -1) : s) + trail;
}

/**
 * Formats attributes as an RFC 4514 string, most specific first (`CN=…,O=…,C=US`),
 * the order Go's pkix.Name.String and `openssl -nameopt RFC2253` print.
 */
export function formatName(attrs: readonly NameAttribute[]): string {
  return [...attrs]
    .reverse()
    .map((a) => `${a.type}=${escapeValue(a.value)}`)
    .join(',');
}

/** Most parsed certificates kept for reuse (least recently used dropped first). */
export const MAX_PARSED_CERTIFICATES = 2048;
const parsed = new Map<string, Certificate>();

/**
 * Parses one DER (or single-certificate PEM) certificate. Throws
 * ERR_CERT_INVALID with `where` in the message when it cannot be parsed.
 *
 * Parsing costs far more than the signature checks it serves (OpenSSL key
 * decoding, name parsing), and many signatures carry the same chain, so
 * parsed certificates are kept in a bounded cache keyed by the SHA-256 of
 * their DER and confirmed byte for byte. Only parsing is cached: every
 * requirement and signature check still runs on every use.
 */
export function parseCertificate(input: Uint8Array | string, where = 'certificate'): Certificate {
  if (typeof input !== 'string' && input.byteLength <= MAX_CERTIFICATE_BYTES) {
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const key = createHash('sha256').update(bytes).digest('hex');
    const hit = parsed.get(key);
    if (hit && hit.der.equals(bytes)) {
      parsed.delete(key); // refresh its place in the LRU order
      parsed.set(key, hit);
      return hit;
    }
    const cert = parseUncached(input, where);
    parsed.set(key, cert);
    if (parsed.size > MAX_PARSED_CERTIFICATES) {
      const oldest = parsed.keys().next().value;
      if (oldest !== undefined) parsed.delete(oldest);
    }
    return cert;
  }
  return parseUncached(input, where);
}

/** Empties the parsed-certificate cache (benchmarks of cold verification). */
export function clearParsedCertificates(): void {
  parsed.clear();
}

function parseUncached(input: Uint8Array | string, where: string): Certificate {
  let der: Buffer;
  try {
    if (typeof input === 'string') {
      der = new NodeX509(input).raw;
    } else {
      // A copy: the parsed certificate is cached and must not change with the caller's buffer.
      der = Buffer.from(input);
    }
  } catch (cause) {
    throw new CertificateError(ErrorCode.CERT_INVALID, `${where}: not a PEM certificate`, {
      cause,
    });
  }
  if (der.length > MAX_CERTIFICATE_BYTES) {
    throw new CertificateError(
      ErrorCode.CERT_INVALID,
      `${where}: ${der.length} bytes is larger than the ${MAX_CERTIFICATE_BYTES}-byte limit for a certificate`,
    );
  }
  try {
    const node = new NodeX509(der);
    // Re-encode check: OpenSSL accepts trailing bytes in some paths; we do not.
    if (!node.raw.equals(der)) throw new Error('trailing data after the certificate');
    const asn1 = sigstoreCore().X509Certificate.parse(Buffer.from(der) as Buffer<ArrayBuffer>);
    // TBSCertificate: [0] version?, serial, signature, issuer, validity, subject, …
    const tbs = asn1.tbsCertificate.subs;
    const off = tbs[0]?.tag.isContextSpecific(0) ? 1 : 0;
    const issuerObj = tbs[off + 2];
    const subjectObj = tbs[off + 4];
    if (!issuerObj || !subjectObj) throw new Error('truncated TBSCertificate');
    const subjectDer = tlv(subjectObj);
    const issuerDer = tlv(issuerObj);
    const subjectAttributes = nameAttributes(subjectObj);
    const issuerAttributes = nameAttributes(issuerObj);
    return {
      fingerprint: createHash('sha256').update(der).digest('hex'),
      subject: formatName(subjectAttributes),
      issuer: formatName(issuerAttributes),
      subjectAttributes,
      issuerAttributes,
      subjectDer,
      issuerDer,
      notBefore: asn1.notBefore,
      notAfter: asn1.notAfter,
      serialNumber: asn1.serialNumber.toString('hex'),
      der,
      publicKey: node.publicKey,
      node,
      asn1,
    };
  } catch (cause) {
    if (cause instanceof CertificateError) {
      throw new CertificateError(cause.code, `${where}: ${cause.message}`, { cause });
    }
    throw new CertificateError(
      ErrorCode.CERT_INVALID,
      `${where}: not a valid X.509 certificate (${(cause as Error).message})`,
      { cause },
    );
  }
}

/** Largest PEM or DER bundle we read as a store file. */
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
/** Most certificates one bundle may hold. */
export const MAX_BUNDLE_CERTIFICATES = 1000;

const PEM_BEGIN = '-----BEGIN ';
const PEM_DASHES = '-----';
const PEM_LABEL = /^[A-Z0-9 ]{1,64}$/;

/**
 * The `[label, body]` of each PEM block (RFC 7468 §2), read in one linear pass.
 * A backtracking regex over the whole text (BEGIN … lazy body … matching
 * END) took quadratic time on a store file of many unterminated BEGIN lines
 * (a 4 MiB file ran for minutes), so blocks are found with indexOf, and a
 * block that is not closed before the next BEGIN is refused.
 */
function* pemBlocks(text: string, where: string): Generator<[string, string]> {
  const refuse = (why: string): never => {
    throw new CertificateError(ErrorCode.CERT_INVALID, `${where}: ${why}`);
  };
  let pos = text.indexOf(PEM_BEGIN);
  while (pos >= 0) {
    const labelStart = pos + PEM_BEGIN.length;
    const labelEnd = text.indexOf(PEM_DASHES, labelStart);
    const label = labelEnd < 0 ? '' : text.slice(labelStart, labelEnd);
    if (!PEM_LABEL.test(label)) refuse('malformed PEM "-----BEGIN" line');
    const bodyStart = labelEnd + PEM_DASHES.length;
    const endLine = `-----END ${label}-----`;
    const end = text.indexOf(endLine, bodyStart);
    const next = text.indexOf(PEM_BEGIN, bodyStart);
    if (end < 0 || (next >= 0 && next < end))
      refuse(`PEM block "${label}" has no matching END line`);
    yield [label, text.slice(bodyStart, end)];
    pos = text.indexOf(PEM_BEGIN, end + endLine.length);
  }
}

/**
 * Splits a PEM bundle (one or more `CERTIFICATE` blocks) or concatenated DER
 * into certificates. Any other PEM block type, or no certificate at all, is an
 * error.
 */
export function parseCertificateBundle(bytes: Uint8Array, where = 'bundle'): Certificate[] {
  if (bytes.byteLength > MAX_BUNDLE_BYTES) {
    throw new CertificateError(
      ErrorCode.CERT_INVALID,
      `${where}: ${bytes.byteLength} bytes is larger than the ${MAX_BUNDLE_BYTES}-byte limit`,
    );
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('latin1');
  const certs: Certificate[] = [];
  if (text.includes(PEM_BEGIN)) {
    for (const m of pemBlocks(text, where)) {
      if (m[0] !== 'CERTIFICATE') {
        throw new CertificateError(
          ErrorCode.CERT_INVALID,
          `${where}: PEM block "${m[0]}" is not a certificate`,
        );
      }
      if (certs.length >= MAX_BUNDLE_CERTIFICATES) {
        throw new CertificateError(
          ErrorCode.CERT_INVALID,
          `${where}: more than ${MAX_BUNDLE_CERTIFICATES} certificates`,
        );
      }
      const der = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
      certs.push(parseCertificate(der, `${where} (certificate ${certs.length + 1})`));
    }
  } else {
    let offset = 0;
    while (offset < buf.length) {
      const len = derLength(buf, offset);
      if (len === undefined || offset + len > buf.length) {
        throw new CertificateError(ErrorCode.CERT_INVALID, `${where}: malformed DER`);
      }
      if (certs.length >= MAX_BUNDLE_CERTIFICATES) {
        throw new CertificateError(
          ErrorCode.CERT_INVALID,
          `${where}: more than ${MAX_BUNDLE_CERTIFICATES} certificates`,
        );
      }
      certs.push(
        parseCertificate(
          buf.subarray(offset, offset + len),
          `${where} (certificate ${certs.length + 1})`,
        ),
      );
      offset += len;
    }
  }
  if (certs.length === 0) {
    throw new CertificateError(ErrorCode.CERT_INVALID, `${where}: holds no certificate`);
  }
  return certs;
}

/** Total length (header + content) of the DER SEQUENCE at `offset`, or undefined. */
function derLength(buf: Buffer, offset: number): number | undefined {
  if (buf[offset] !== 0x30 || offset + 2 > buf.length) return undefined;
  const first = buf[offset + 1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || offset + 2 + n > buf.length) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]!;
  return 2 + n + len;
}

/** PEM encoding of one certificate. */
export function toPem(cert: Certificate): string {
  const b64 = cert.der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
