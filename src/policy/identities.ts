/**
 * Trusted identities: `x509.subject:` distinguished names, their validation
 * and their matching against a leaf certificate's subject
 * (trust-store-trust-policy.md "Trusted Identities Constraints"; DIGEST §2.6).
 *
 * DN syntax is RFC 4514 as go-ldap's `ParseDN` (v3.4.11, pinned by
 * notation-go) reads it, followed by notation-go's own rules
 * (`internal/pkix.ParseDistinguishedName`):
 *
 * - RDNs are separated by `,` or `;`; `+` joins a multi-valued RDN, which is
 *   rejected. Spaces around types and values are trimmed; an escaped trailing
 *   space (`\ `) is kept. Escapes: `\` before any of ` "#+,;<=>\` and `\XX`
 *   (hex byte; several form UTF-8). A DN containing `=#` (hex-encoded BER
 *   values) is rejected.
 * - Attribute types are case-sensitive and not restricted. The recognised
 *   short names are those of the certificate model (`src/x509/certificate.ts`):
 *   CN, SN (surname), SERIALNUMBER, C, L, ST, STREET, O, OU, T, GN, POSTALCODE,
 *   DC, UID, E; any other certificate attribute is named by its dotted OID.
 *   Aliases: `S` → `ST` (the specification's), `emailAddress` → `E` (OpenSSL's).
 * - C, ST and O are mandatory with non-empty values; a type may occur once.
 *
 * Where this differs from notation-go (all on the side the specification takes):
 * - A repeated attribute type is always rejected (Go lets a repeat follow an
 *   empty value); an empty attribute type, an invalid `\XX` UTF-8 sequence and
 *   a `\\` before a trailing space are read as RFC 4514 says (go-ldap v3.4.11
 *   keeps that space).
 * - Overlap: two identities of one statement overlap when some certificate
 *   could match both, i.e. they agree on every attribute type they share (the
 *   specification's definition). notation-go only rejects one DN being a
 *   subset of the other, which misses e.g. `…,CN=a` and `…,OU=b`.
 * - Matching compares the identity's attributes with the leaf's subject
 *   attributes directly. notation-go goes through Go's `pkix.Name.String()`,
 *   so a leaf with an attribute Go has no name for (emailAddress, DC, UID, …)
 *   can never match an `x509.subject` identity there; the specification says
 *   every subject attribute type is supported, so here it can. A leaf subject
 *   that repeats an attribute type (two OUs) matches no `x509.subject`
 *   identity, as in notation-go (only `*` trusts it). An identity attribute
 *   must be present in the leaf subject with an identical (case-sensitive)
 *   value; Go treats a missing attribute as the empty string.
 */
import { ErrorCode, PolicyError } from '../errors';
import type { NameAttribute } from '../x509/certificate';
import type { DistinguishedName } from './types';

/** The wildcard identity: any leaf issued under the statement's stores. */
export const WILDCARD_IDENTITY = '*';
/** The prefix of X.509 subject identities. */
export const X509_SUBJECT_PREFIX = 'x509.subject';
/** Attributes every `x509.subject` identity must carry, checked in this order. */
export const MANDATORY_DN_ATTRIBUTES: readonly string[] = Object.freeze(['C', 'ST', 'O']);
/** Attribute type aliases: the name written in a policy → the name matched. */
export const DN_TYPE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  S: 'ST',
  emailAddress: 'E',
});
/** Longest DN string accepted. */
export const MAX_DN_LENGTH = 4096;

/** Characters that may follow `\` literally (RFC 4514 §2.4, as go-ldap decodes). */
const ESCAPABLE = new Set([' ', '"', '#', '+', ',', ';', '<', '=', '>', '\\']);
const HEX2 = /^[0-9a-fA-F]{2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** RFC 4514 parse into RDNs of (type, value), or the reason it fails. */
function parseRdns(str: string): Array<Array<[string, string]>> | string {
  const rdns: Array<Array<[string, string]>> = [];
  if (str.trim() === '') return rdns;
  let rdn: Array<[string, string]> = [];
  let type: string | undefined;
  let escaping = false;
  let start = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str[i];
    if (escaping) {
      escaping = false;
    } else if (c === '\\') {
      escaping = true;
    } else if (c === '=' && type === undefined) {
      const t = decodeString(str.slice(start, i));
      if (typeof t !== 'string') return t.error;
      if (t === '') return 'incomplete type, value pair (an attribute type is empty)';
      type = t;
      start = i + 1;
    } else if (c === ',' || c === '+' || c === ';') {
      if (type === undefined) return 'incomplete type, value pair';
      const v = decodeValue(str.slice(start, i));
      if (typeof v !== 'string') return v.error;
      rdn.push([type, v]);
      type = undefined;
      start = i + 1;
      if (c !== '+') {
        rdns.push(rdn);
        rdn = [];
      }
    }
  }
  if (type === undefined) return 'DN ended with incomplete type, value pair';
  const v = decodeValue(str.slice(start));
  if (typeof v !== 'string') return v.error;
  rdn.push([type, v]);
  rdns.push(rdn);
  return rdns;
}

function decodeValue(raw: string): string | { error: string } {
  if (raw.startsWith('#')) {
    return { error: 'hex-encoded (#…) attribute values are not supported' };
  }
  return decodeString(raw);
}

/** Trims unescaped spaces at both ends. */
function stripSpaces(s: string): string {
  let start = 0;
  while (start < s.length && s[start] === ' ') start++;
  let end = s.length;
  while (end > start && s[end - 1] === ' ') {
    let slashes = 0;
    while (end - 2 - slashes >= start && s[end - 2 - slashes] === '\\') slashes++;
    if (slashes % 2 === 1) break; // `\ `: an escaped space is part of the value
    end--;
  }
  return s.slice(start, end);
}

/** Trims, then decodes RFC 4514 escapes (`\,` and `\XX`) into a UTF-8 string. */
function decodeString(raw: string): string | { error: string } {
  const s = stripSpaces(raw);
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (ch !== '\\') {
      for (const b of encoder.encode(ch)) bytes.push(b);
      i += ch.length;
      continue;
    }
    const next = s[i + 1];
    if (next === undefined) {
      return { error: `got corrupted escaped character: '${s}'` };
    }
    if (ESCAPABLE.has(next)) {
      bytes.push(next.charCodeAt(0));
      i += 2;
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!HEX2.test(hex)) {
      return {
        error: `failed to decode escaped character: "\\${hex}" is neither an escaped special character nor two hex digits`,
      };
    }
    bytes.push(parseInt(hex, 16));
    i += 3;
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return { error: `escaped bytes in '${s}' are not valid UTF-8` };
  }
}

const MANDATORY_HINT = "it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum";

/** Parses a DN with notation's rules; returns the reason when it is invalid. */
function parseDn(dn: string): Map<string, string> | string {
  // Length first: quoting a 50 MB DN for the message copied it twice.
  if (dn.length > MAX_DN_LENGTH) {
    return `distinguished name (DN) is ${dn.length} characters long, more than the ${MAX_DN_LENGTH}-character limit`;
  }
  const q = JSON.stringify(dn);
  if (dn.includes('=#')) {
    return `unsupported distinguished name (DN) ${q}: notation does not support x509.subject identities containing "=#"`;
  }
  const rdns = parseRdns(dn);
  if (typeof rdns === 'string') {
    return `parsing distinguished name (DN) ${q} failed with err: ${rdns}. A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard`;
  }
  const out = new Map<string, string>();
  for (const rdn of rdns) {
    if (rdn.length > 1) {
      return `distinguished name (DN) ${q} has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported`;
    }
    for (const [rawType, value] of rdn) {
      const type = Object.hasOwn(DN_TYPE_ALIASES, rawType) ? DN_TYPE_ALIASES[rawType]! : rawType;
      if (out.has(type)) {
        return `distinguished name (DN) ${q} has duplicate RDN attribute for ${JSON.stringify(type)}, DN can only have unique RDN attributes`;
      }
      out.set(type, value);
    }
  }
  for (const field of MANDATORY_DN_ATTRIBUTES) {
    if (!out.get(field)) {
      return `distinguished name (DN) ${q} has no mandatory RDN attribute for ${JSON.stringify(field)}, ${MANDATORY_HINT}`;
    }
  }
  return out;
}

/**
 * Parses the DN of an `x509.subject:` identity (the part after the colon)
 * into attribute type → value. Throws ERR_POLICY_INVALID with notation-go's
 * wording when the DN is malformed, multi-valued, repeats a type, contains
 * `=#` or lacks C, ST (or S) or O.
 */
export function parseDistinguishedName(dn: string): DistinguishedName {
  const parsed = parseDn(dn);
  if (typeof parsed === 'string') {
    throw new PolicyError(ErrorCode.POLICY_INVALID, parsed, { details: { rule: 'identity' } });
  }
  return parsed;
}

/** A problem found in a statement's `trustedIdentities`. */
export interface IdentityProblem {
  readonly rule: string;
  /** Text that follows `trust policy statement "N" `. */
  readonly message: string;
}

/** True when some certificate subject could match both DNs. */
function overlaps(a: DistinguishedName, b: DistinguishedName): boolean {
  for (const [type, value] of a) {
    const other = b.get(type);
    if (other !== undefined && other !== value) return false;
  }
  return true;
}

/** The union of two compatible DNs: a subject that would match both. */
function unionDn(a: DistinguishedName, b: DistinguishedName): string {
  const all = new Map([...a, ...b]);
  return [...all].map(([t, v]) => `${t}=${v}`).join(', ');
}

/**
 * Checks a non-skip statement's `trustedIdentities` (DIGEST §2.4 rules
 * 20–26; overlap as the specification defines it). Returns the parsed
 * `x509.subject` DNs, or the first problem.
 */
export function checkTrustedIdentities(
  identities: readonly string[],
): { dns: Array<{ raw: string; dn: DistinguishedName }> } | IdentityProblem {
  if (identities.length > 1 && identities.includes(WILDCARD_IDENTITY)) {
    return {
      rule: 'identity-wildcard',
      message:
        "uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values; " +
        'keep either "*" alone or only the specific identities',
    };
  }
  const dns: Array<{ raw: string; dn: DistinguishedName }> = [];
  for (const identity of identities) {
    if (identity === '') {
      return { rule: 'identity', message: 'has an empty trusted identity' };
    }
    if (identity === WILDCARD_IDENTITY) continue;
    const colon = identity.indexOf(':');
    const q = JSON.stringify(identity);
    if (colon < 0) {
      return {
        rule: 'identity',
        message: `has trusted identity ${q} missing separator; write it as "x509.subject: C=…, ST=…, O=…"`,
      };
    }
    // Other prefixes are accepted and ignored when matching (kept for plugins, as in notation-go).
    if (identity.slice(0, colon) !== X509_SUBJECT_PREFIX) continue;
    const value = identity.slice(colon + 1);
    if (value === '') {
      return { rule: 'identity', message: `has trusted identity ${q} without an identity value` };
    }
    const dn = parseDn(value);
    if (typeof dn === 'string') {
      return {
        rule: 'identity',
        message: `has trusted identity ${q} with invalid identity value: ${dn}`,
      };
    }
    dns.push({ raw: identity, dn });
  }
  for (let i = 0; i < dns.length; i++) {
    for (let j = i + 1; j < dns.length; j++) {
      const a = dns[i]!;
      const b = dns[j]!;
      if (overlaps(a.dn, b.dn)) {
        return {
          rule: 'identity-overlap',
          message:
            `has overlapping x509 trustedIdentities, ${JSON.stringify(a.raw)} overlaps with ${JSON.stringify(b.raw)}` +
            ` (a certificate with subject "${unionDn(a.dn, b.dn)}" would match both); ` +
            'remove one, or make them differ in an attribute they share',
        };
      }
    }
  }
  return { dns };
}

const identityCache = new WeakMap<readonly string[], readonly DistinguishedName[]>();

/** The `x509.subject` DNs of a list; throws ERR_POLICY_INVALID on an invalid one. */
function x509Identities(trustedIdentities: readonly string[]): readonly DistinguishedName[] {
  const cached = identityCache.get(trustedIdentities);
  if (cached) return cached;
  const out: DistinguishedName[] = [];
  for (const identity of trustedIdentities) {
    const colon = identity.indexOf(':');
    if (colon < 0 || identity.slice(0, colon) !== X509_SUBJECT_PREFIX) continue;
    const dn = parseDn(identity.slice(colon + 1));
    if (typeof dn === 'string') {
      throw new PolicyError(
        ErrorCode.POLICY_INVALID,
        `trusted identity ${JSON.stringify(identity)} has an invalid identity value: ${dn}`,
        { details: { rule: 'identity' } },
      );
    }
    out.push(dn);
  }
  // Parsed policies are frozen; a list that can still change is not cached.
  if (Object.isFrozen(trustedIdentities)) identityCache.set(trustedIdentities, out);
  return out;
}

/**
 * True when a leaf certificate's subject satisfies a statement's trusted
 * identities: the list holds `*`, or every attribute of some `x509.subject`
 * identity is present in the subject with an identical value (the identity is
 * a subset of the subject). Identities with other prefixes are ignored; a list
 * with neither `*` nor an `x509.subject` identity trusts nobody. A subject that
 * repeats an attribute type matches no `x509.subject` identity.
 */
export function matchesTrustedIdentities(
  trustedIdentities: readonly string[],
  leafSubject: readonly NameAttribute[],
): boolean {
  if (trustedIdentities.includes(WILDCARD_IDENTITY)) return true;
  const identities = x509Identities(trustedIdentities);
  if (identities.length === 0) return false;
  const subject = new Map<string, string>();
  for (const attr of leafSubject) {
    if (subject.has(attr.type)) return false;
    subject.set(attr.type, attr.value);
  }
  return identities.some((dn) => {
    for (const [type, value] of dn) {
      if (subject.get(type) !== value) return false;
    }
    return true;
  });
}
