/**
 * The signed attributes every Notary envelope carries, checked the same way
 * for JWS and COSE once each format has read its protected header into a
 * name → value map (signature specification "Signed Attributes"; JWS and COSE
 * envelope specs "Protected Headers"; DIGEST §4.2 for notation-go's checks).
 */
import { EnvelopeError, ErrorCode } from '../errors';
import { ENVELOPE_LIMITS } from './limits';
import type { ExtendedAttribute, SigningScheme } from './types';

/** Header names of the Notary signed attributes. */
export const HEADER = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
} as const;

/** How a known signed attribute must appear in `crit`. */
type Criticality = 'always' | 'whenPresent' | 'never';
type ValueKind = 'scheme' | 'time' | 'name' | 'semver';

/**
 * The known signed attributes: their value kind and whether `crit` must list
 * them. signingTime is informational, so listing it is an error
 * ("Claims which are informational ... MUST NOT be marked critical").
 */
const KNOWN: Readonly<Record<string, { kind: ValueKind; critical: Criticality }>> = {
  [HEADER.signingScheme]: { kind: 'scheme', critical: 'always' },
  [HEADER.signingTime]: { kind: 'time', critical: 'never' },
  [HEADER.authenticSigningTime]: { kind: 'time', critical: 'whenPresent' },
  [HEADER.expiry]: { kind: 'time', critical: 'whenPresent' },
  [HEADER.verificationPlugin]: { kind: 'name', critical: 'whenPresent' },
  [HEADER.verificationPluginMinVersion]: { kind: 'semver', critical: 'whenPresent' },
};

/**
 * Per signing scheme: the time attribute it requires and the one it forbids
 * (signing-scheme.md; signature specification: signingTime "is REQUIRED and
 * only valid when signing scheme is notary.x509", authenticSigningTime likewise
 * for notary.x509.signingAuthority).
 */
const SCHEMES: Readonly<Record<SigningScheme, { requires: string; forbids: string }>> = {
  'notary.x509': { requires: HEADER.signingTime, forbids: HEADER.authenticSigningTime },
  'notary.x509.signingAuthority': {
    requires: HEADER.authenticSigningTime,
    forbids: HEADER.signingTime,
  },
};

/** What a format hands over after reading its protected header. */
export interface RawSignedAttributes {
  /** `JWS protected header` / `COSE protected header`: used in messages. */
  readonly where: string;
  /** The `crit` entries, as names (COSE integer labels already converted). */
  readonly crit: readonly string[];
  /** Every protected header except alg, cty and crit. */
  readonly headers: ReadonlyMap<string, unknown>;
  /** Reads a time value in the format's encoding (RFC 3339 / CBOR tag 1). */
  readonly readTime: (value: unknown, name: string) => Date;
}

/** The checked signed attributes. */
export interface SignedAttributes {
  readonly signingScheme: SigningScheme;
  readonly signingTime?: Date;
  readonly authenticSigningTime?: Date;
  readonly expiry?: Date;
  readonly verificationPlugin?: string;
  readonly verificationPluginMinVersion?: string;
  readonly extendedAttributes: readonly ExtendedAttribute[];
  readonly critical: readonly string[];
}

// semver.org 2.0.0 grammar (the recommended regular expression).
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/**
 * Checks the signed attributes: required ones present and well typed, the
 * `crit` rules, the scheme rules, and expiry after the signing time.
 *
 * Unknown critical attributes fail (signature specification "Extended
 * attributes": "unknown critical attributes MUST cause signature verification
 * to fail"; stricter than notation-go, DIGEST §10.1) unless the envelope names
 * a verification plugin: such attributes are the plugin's to process, so they
 * are kept (marked critical) and the Verifier fails the signature with a
 * precise "plugin required" reason instead.
 */
export function checkSignedAttributes(raw: RawSignedAttributes): SignedAttributes {
  const { where, crit, headers } = raw;
  const fail = (message: string): never => {
    throw new EnvelopeError(ErrorCode.ENVELOPE_INVALID, `${where}: ${message}`);
  };

  // crit: required by the Notary profile, non-empty, no repeats, only present headers.
  if (crit.length === 0) fail('"crit" is empty; it must list "io.cncf.notary.signingScheme"');
  if (crit.length > ENVELOPE_LIMITS.maxHeaderEntries) fail('"crit" lists too many headers');
  const critSet = new Set(crit);
  if (critSet.size !== crit.length) fail('"crit" lists a header more than once');
  for (const name of crit) {
    if (!headers.has(name)) fail(`"${name}" is marked critical but not present`);
  }

  // Known attributes: types and criticality.
  const values = new Map<string, string | Date>();
  for (const [name, rule] of Object.entries(KNOWN)) {
    if (!headers.has(name)) continue;
    const value = headers.get(name);
    values.set(name, readKnown(rule.kind, value, name, raw, fail));
    const listed = critSet.has(name);
    if (rule.critical !== 'never' && !listed) {
      fail(`"${name}" is present but not listed in "crit"; the signer must mark it critical`);
    }
    if (rule.critical === 'never' && listed) {
      fail(`"${name}" is informational and must not be listed in "crit"`);
    }
  }

  const scheme = values.get(HEADER.signingScheme) as SigningScheme | undefined;
  if (scheme === undefined) fail(`required header "${HEADER.signingScheme}" is missing`);
  const schemeRule = SCHEMES[scheme!];
  if (!values.has(schemeRule.requires)) {
    fail(`signing scheme "${scheme}" requires the "${schemeRule.requires}" header`);
  }
  if (values.has(schemeRule.forbids)) {
    fail(`"${schemeRule.forbids}" is not allowed with signing scheme "${scheme}"`);
  }

  const signingTime = values.get(HEADER.signingTime) as Date | undefined;
  const authenticSigningTime = values.get(HEADER.authenticSigningTime) as Date | undefined;
  const expiry = values.get(HEADER.expiry) as Date | undefined;
  const signedAt = signingTime ?? authenticSigningTime;
  if (expiry && signedAt && expiry.getTime() <= signedAt.getTime()) {
    fail(
      `"${HEADER.expiry}" (${expiry.toISOString()}) must be after the signing time (${signedAt.toISOString()})`,
    );
  }

  const plugin = values.get(HEADER.verificationPlugin) as string | undefined;
  const pluginMin = values.get(HEADER.verificationPluginMinVersion) as string | undefined;
  if (pluginMin !== undefined && plugin === undefined) {
    fail(
      `"${HEADER.verificationPluginMinVersion}" is present without "${HEADER.verificationPlugin}"`,
    );
  }

  // Everything else is an extended attribute.
  const extendedAttributes: ExtendedAttribute[] = [];
  for (const [key, value] of headers) {
    if (Object.hasOwn(KNOWN, key)) continue;
    const critical = critSet.has(key);
    if (critical && plugin === undefined) {
      fail(
        `unknown critical header "${key}": this verifier does not understand it, so the signature cannot be verified`,
      );
    }
    extendedAttributes.push({ key, value, critical });
  }

  return {
    signingScheme: scheme!,
    ...(signingTime && { signingTime }),
    ...(authenticSigningTime && { authenticSigningTime }),
    ...(expiry && { expiry }),
    ...(plugin !== undefined && { verificationPlugin: plugin }),
    ...(pluginMin !== undefined && { verificationPluginMinVersion: pluginMin }),
    extendedAttributes,
    critical: [...crit],
  };
}

function readKnown(
  kind: ValueKind,
  value: unknown,
  name: string,
  raw: RawSignedAttributes,
  fail: (m: string) => never,
): string | Date {
  if (kind === 'time') return raw.readTime(value, name);
  if (typeof value !== 'string') return fail(`"${name}" must be a string`);
  if (value.length > ENVELOPE_LIMITS.maxHeaderStringLength) return fail(`"${name}" is too long`);
  switch (kind) {
    case 'scheme':
      if (!Object.hasOwn(SCHEMES, value)) {
        fail(
          `signing scheme "${value}" is not supported; expected "notary.x509" or "notary.x509.signingAuthority"`,
        );
      }
      return value;
    case 'name':
      if (value.trim() === '') fail(`"${name}" must not be blank`);
      return value;
    case 'semver':
      if (!SEMVER.test(value)) fail(`"${name}" value "${value}" is not a semantic version`);
      return value;
  }
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time (JWS time headers). Fractional seconds are
 * accepted (the specs say SHOULD NOT, not MUST NOT); out-of-range fields are
 * rejected rather than rolled over.
 */
export function parseRfc3339(value: unknown, name: string, where: string): Date {
  const fail = (): never => {
    throw new EnvelopeError(
      ErrorCode.ENVELOPE_INVALID,
      `${where}: "${name}" must be an RFC 3339 date-time string such as "2024-01-02T03:04:05Z"`,
    );
  };
  if (typeof value !== 'string' || value.length > 64) return fail();
  const m = RFC3339.exec(value);
  if (!m) return fail();
  const [, y, mo, d, h, mi, s, , , oh, om] = m.map((p) => (p === undefined ? 0 : Number(p)));
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > daysInMonth || h! > 23 || mi! > 59 || s! > 59) {
    return fail();
  }
  if (oh! > 23 || om! > 59) return fail();
  const t = Date.parse(value.toUpperCase());
  if (Number.isNaN(t)) return fail();
  return new Date(t);
}
