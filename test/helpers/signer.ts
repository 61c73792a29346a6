/**
 * Test-only Notary Project signer: builds JWS (`application/jose+json`) and
 * COSE (`application/cose`) envelopes from a {@link TestChain}, valid by
 * default and broken on request, with node:crypto and cbor-x.
 *
 * It is written independently of src/envelope (its own algorithm table, its
 * own encoders) so that tests of the parser and the verifier do not check the
 * code against itself.
 *
 * Typical use:
 * ```ts
 * const chain = await createCodeSigningChain({ leafKeyType: 'rsa-3072' });
 * const jws = signJws({ chain });                                  // valid
 * const cose = signCose({ chain, expiry: new Date(Date.now() + 3600_000) });
 * const noCrit = signJws({ chain, omitHeaders: ['crit'] });         // broken
 * const tampered = signEnvelope('application/cose', { chain, tamper: 'payload' });
 * ```
 */
import { constants, createHash, sign, type KeyObject } from 'node:crypto';
import { Encoder, Tag } from 'cbor-x';
import type { TestCert, TestChain } from './pki';

/** The two envelope media types. */
export type TestEnvelopeMediaType = 'application/jose+json' | 'application/cose';

/** The payload content type every valid envelope declares. */
export const TEST_PAYLOAD_CONTENT_TYPE = 'application/vnd.cncf.notary.payload.v1+json';

/** Header names of the Notary signed attributes. */
export const H = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
  timestampSignature: 'io.cncf.notary.timestampSignature',
  signingAgent: 'io.cncf.notary.signingAgent',
} as const;

/** What to build. Everything is optional except the chain. */
export interface SignOptions {
  /** Signs with `chain.leafKey`; the envelope carries leaf, intermediate, root. */
  chain: TestChain;
  /** The certificate chain to embed instead (TestCert or raw DER); `[]` embeds an empty chain. */
  certificates?: readonly (TestCert | Uint8Array)[];
  /** Sign with this private key instead of the leaf's (makes a signature that does not verify). */
  signingKey?: KeyObject;

  /** Fields merged over the default `targetArtifact` descriptor (`undefined` deletes a field). */
  targetArtifact?: Record<string, unknown>;
  /** The whole payload instead (an object is JSON-encoded; bytes are used as is). */
  payload?: Record<string, unknown> | Uint8Array;

  /** Default `notary.x509`. */
  signingScheme?: string;
  /** Default: now (whole seconds) for `notary.x509`; `null` omits it. A string is used verbatim in JWS. */
  signingTime?: Date | string | null;
  /** Default: now for `notary.x509.signingAuthority`; `null` omits it. */
  authenticSigningTime?: Date | string | null;
  expiry?: Date | string;
  verificationPlugin?: string;
  verificationPluginMinVersion?: string;
  /** Extra signed headers (extended attributes), added non-critical unless named in `extraCrit`. */
  extendedAttributes?: Record<string, unknown>;
  /** Default `application/vnd.cncf.notary.payload.v1+json`; any value (even a number) is written as is. */
  contentType?: unknown;
  /** The `alg` header instead of the one the leaf key decides (JWS name or COSE id, or any value). */
  algorithm?: unknown;
  /** The whole `crit` list instead of the computed one (any value). */
  crit?: unknown;
  /** Names appended to the computed `crit`. */
  extraCrit?: readonly (string | number)[];
  /** Names removed from the computed `crit`. */
  dropCrit?: readonly string[];
  /**
   * Raw protected headers applied last (`undefined` deletes). For COSE, `alg`,
   * `crit` and `cty` name labels 1, 2 and 3, and decimal names are integer
   * labels; a Date becomes CBOR tag 1.
   */
  protectedHeaders?: Record<string, unknown>;
  /** Protected headers to remove (names as in `protectedHeaders`). */
  omitHeaders?: readonly string[];
  /**
   * Writes this header a second time at the end of the protected header (JWS:
   * a repeated JSON key; COSE: a repeated map key), after the normal one.
   */
  duplicateHeader?: { name: string; value: unknown };

  /** Unprotected headers applied last (`undefined` deletes, e.g. `{ x5c: undefined }`). */
  unprotectedHeaders?: Record<string, unknown>;
  /** RFC 3161 TimeStampToken bytes to embed as `io.cncf.notary.timestampSignature`. */
  timestampToken?: Uint8Array;
  /** `io.cncf.notary.signingAgent`. */
  signingAgent?: string;

  /**
   * Change the envelope after signing, keeping it well-formed: `payload`
   * flips a hex digit of the digest, `protected` adds a non-critical header,
   * `signature` flips one bit of the signature.
   */
  tamper?: 'payload' | 'protected' | 'signature';
  /** RSASSA-PSS salt length (default: the hash length, as notation signs). */
  pssSaltLength?: number;
}

interface KeyAlg {
  jws: string;
  cose: number;
  hash: 'sha256' | 'sha384' | 'sha512';
  rsa: boolean;
}

/** The algorithm each test key decides (signature specification, Algorithm Selection). */
const KEY_ALGS: Record<string, KeyAlg> = {
  'rsa-2048': { jws: 'PS256', cose: -37, hash: 'sha256', rsa: true },
  'rsa-3072': { jws: 'PS384', cose: -38, hash: 'sha384', rsa: true },
  'rsa-4096': { jws: 'PS512', cose: -39, hash: 'sha512', rsa: true },
  'ec-prime256v1': { jws: 'ES256', cose: -7, hash: 'sha256', rsa: false },
  'ec-secp384r1': { jws: 'ES384', cose: -35, hash: 'sha384', rsa: false },
  'ec-secp521r1': { jws: 'ES512', cose: -36, hash: 'sha512', rsa: false },
  // Not allowed by the Notary Project; signed with the nearest hash so tests can check rejection.
  'rsa-1024': { jws: 'PS256', cose: -37, hash: 'sha256', rsa: true },
};
const ALL_ALGS = Object.values(KEY_ALGS);

/** The algorithm the given key decides (RSA-1024 maps to PS256 so it can be signed). */
export function keyAlgorithm(key: KeyObject): KeyAlg {
  const d = key.asymmetricKeyDetails ?? {};
  const id =
    key.asymmetricKeyType === 'ec'
      ? `ec-${d.namedCurve}`
      : `${key.asymmetricKeyType}-${d.modulusLength}`;
  const alg = KEY_ALGS[id];
  if (!alg) throw new Error(`signer: no test algorithm for a ${id} key`);
  return alg;
}

/** Now, truncated to whole seconds (as notation writes times). */
export function nowSeconds(offsetMs = 0): Date {
  return new Date(Math.floor((Date.now() + offsetMs) / 1000) * 1000);
}

/** The default payload descriptor. */
export function defaultTargetArtifact(): Record<string, unknown> {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: 'sha256:' + createHash('sha256').update('tuf-notary test artifact').digest('hex'),
    size: 1234,
  };
}

/** The payload bytes an options object describes. */
export function payloadBytes(opts: SignOptions): Uint8Array {
  if (opts.payload instanceof Uint8Array) return opts.payload;
  if (opts.payload) return Buffer.from(JSON.stringify(opts.payload));
  const target = applyOverrides(defaultTargetArtifact(), opts.targetArtifact);
  return Buffer.from(JSON.stringify({ targetArtifact: target }));
}

/**
 * The signed attributes in a neutral form (name → value, Dates kept as Dates),
 * in the order notation writes them, with `alg`, `cty` and `crit` first.
 */
function signedHeaders(opts: SignOptions, alg: unknown): Map<string, unknown> {
  const scheme = opts.signingScheme ?? 'notary.x509';
  const sa = scheme === 'notary.x509.signingAuthority';
  const signingTime =
    opts.signingTime === null ? undefined : (opts.signingTime ?? (sa ? undefined : nowSeconds()));
  const authenticSigningTime =
    opts.authenticSigningTime === null
      ? undefined
      : (opts.authenticSigningTime ?? (sa ? nowSeconds() : undefined));

  const crit: (string | number)[] = [H.signingScheme];
  if (authenticSigningTime !== undefined) crit.push(H.authenticSigningTime);
  if (opts.expiry !== undefined) crit.push(H.expiry);
  if (opts.verificationPlugin !== undefined) crit.push(H.verificationPlugin);
  if (opts.verificationPluginMinVersion !== undefined) crit.push(H.verificationPluginMinVersion);
  crit.push(...(opts.extraCrit ?? []));
  const finalCrit =
    'crit' in opts ? opts.crit : crit.filter((c) => !opts.dropCrit?.includes(String(c)));

  const h = new Map<string, unknown>();
  h.set('alg', alg);
  h.set('cty', 'contentType' in opts ? opts.contentType : TEST_PAYLOAD_CONTENT_TYPE);
  h.set('crit', finalCrit);
  h.set(H.signingScheme, scheme);
  if (signingTime !== undefined) h.set(H.signingTime, signingTime);
  if (authenticSigningTime !== undefined) h.set(H.authenticSigningTime, authenticSigningTime);
  if (opts.expiry !== undefined) h.set(H.expiry, opts.expiry);
  if (opts.verificationPlugin !== undefined) h.set(H.verificationPlugin, opts.verificationPlugin);
  if (opts.verificationPluginMinVersion !== undefined) {
    h.set(H.verificationPluginMinVersion, opts.verificationPluginMinVersion);
  }
  for (const [k, v] of Object.entries(opts.extendedAttributes ?? {})) h.set(k, v);
  for (const [k, v] of Object.entries(opts.protectedHeaders ?? {})) {
    if (v === undefined) h.delete(k);
    else h.set(k, v);
  }
  for (const k of opts.omitHeaders ?? []) h.delete(k);
  return h;
}

function chainDers(opts: SignOptions): Buffer[] {
  const certs = opts.certificates ?? [opts.chain.leaf, opts.chain.intermediate, opts.chain.root];
  return certs.map((c) => (c instanceof Uint8Array ? Buffer.from(c) : c.der));
}

/** Signs `data` with the declared algorithm when the key can, else with the key's own. */
function primitiveSign(opts: SignOptions, declared: unknown, data: Uint8Array): Buffer {
  const key = opts.signingKey ?? opts.chain.leafKey.privateKeyObject;
  const own = keyAlgorithm(opts.chain.leafKey.publicKeyObject);
  const named = ALL_ALGS.find((a) => a.jws === declared || a.cose === declared);
  const alg = named && named.rsa === own.rsa ? named : own;
  const saltLength = opts.pssSaltLength ?? { sha256: 32, sha384: 48, sha512: 64 }[alg.hash];
  const isRsa = key.asymmetricKeyType === 'rsa';
  return sign(
    alg.hash,
    data,
    isRsa
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }
      : { key, dsaEncoding: 'ieee-p1363' },
  );
}

function flipDigestHex(bytes: Uint8Array): Buffer {
  const text = Buffer.from(bytes).toString('utf8');
  const m = /"digest":\s*"sha\d+:([0-9a-f])/.exec(text);
  if (!m) throw new Error('signer: tamper "payload" needs a payload with a digest');
  const at = m.index + m[0].length - 1;
  const flipped = m[1] === '0' ? '1' : '0';
  return Buffer.from(text.slice(0, at) + flipped + text.slice(at + 1));
}

function flipBit(sig: Buffer): Buffer {
  const out = Buffer.from(sig);
  const i = Math.floor(out.length / 2);
  out[i] = out[i]! ^ 0x01;
  return out;
}

// ---------------------------------------------------------------- JWS

/** Builds a flattened JWS JSON envelope. */
export function signJws(opts: SignOptions): Uint8Array {
  const alg =
    'algorithm' in opts ? opts.algorithm : keyAlgorithm(opts.chain.leafKey.publicKeyObject).jws;
  const headers = signedHeaders(opts, alg);
  // fromEntries creates own properties, so even "__proto__" is written as a header.
  const json = Object.fromEntries(
    [...headers].map(([k, v]) => [k, v instanceof Date ? rfc3339(v) : v] as const),
  );
  let protectedJson = JSON.stringify(json);
  if (opts.duplicateHeader) {
    const { name, value } = opts.duplicateHeader;
    const v = value instanceof Date ? rfc3339(value) : value;
    protectedJson = `${protectedJson.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(v)}}`;
  }
  let protectedB64 = Buffer.from(protectedJson).toString('base64url');
  let payload: Buffer = Buffer.from(payloadBytes(opts));
  let payloadB64 = payload.toString('base64url');
  let signature: Buffer = primitiveSign(
    opts,
    alg,
    Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii'),
  );

  if (opts.tamper === 'payload') {
    payload = flipDigestHex(payload);
    payloadB64 = payload.toString('base64url');
  } else if (opts.tamper === 'protected') {
    const tampered = `${protectedJson.slice(0, -1)},"io.example.tampered":true}`;
    protectedB64 = Buffer.from(tampered).toString('base64url');
  } else if (opts.tamper === 'signature') {
    signature = flipBit(signature);
  }

  const header: Record<string, unknown> = {
    x5c: chainDers(opts).map((d) => d.toString('base64')),
  };
  if (opts.timestampToken)
    header[H.timestampSignature] = Buffer.from(opts.timestampToken).toString('base64');
  if (opts.signingAgent !== undefined) header[H.signingAgent] = opts.signingAgent;
  applyOverridesInPlace(header, opts.unprotectedHeaders);

  const envelope = {
    payload: payloadB64,
    protected: protectedB64,
    header,
    signature: signature.toString('base64url'),
  };
  return new Uint8Array(Buffer.from(JSON.stringify(envelope)));
}

/** RFC 3339 without fractional seconds, as notation writes times. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------- COSE

const cbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });
const COSE_LABELS: Record<string, number> = { alg: 1, crit: 2, cty: 3 };

function coseLabel(name: string): number | string {
  if (Object.hasOwn(COSE_LABELS, name)) return COSE_LABELS[name]!;
  return /^-?\d+$/.test(name) ? Number(name) : name;
}

function coseValue(v: unknown): unknown {
  if (v instanceof Date) return new Tag(Math.floor(v.getTime() / 1000), 1);
  if (v instanceof Uint8Array) return Buffer.from(v);
  return v;
}

/** Builds a COSE_Sign1_Tagged envelope. */
export function signCose(opts: SignOptions): Uint8Array {
  const alg =
    'algorithm' in opts ? opts.algorithm : keyAlgorithm(opts.chain.leafKey.publicKeyObject).cose;
  const headers = signedHeaders(opts, alg);
  const map = new Map<number | string, unknown>();
  for (const [k, v] of headers) map.set(coseLabel(k), coseValue(v));
  let protectedBytes: Buffer = Buffer.from(cbor.encode(map));
  if (opts.duplicateHeader) {
    protectedBytes = appendMapEntry(
      protectedBytes,
      coseLabel(opts.duplicateHeader.name),
      coseValue(opts.duplicateHeader.value),
    );
  }
  let payload: Buffer = Buffer.from(payloadBytes(opts));
  const toBeSigned = cbor.encode(['Signature1', protectedBytes, Buffer.alloc(0), payload]);
  let signature: Buffer = primitiveSign(opts, alg, toBeSigned);

  if (opts.tamper === 'payload') payload = flipDigestHex(payload);
  else if (opts.tamper === 'protected')
    protectedBytes = appendMapEntry(protectedBytes, 'io.example.tampered', true);
  else if (opts.tamper === 'signature') signature = flipBit(signature);

  const unprotected = new Map<number | string, unknown>();
  unprotected.set(33, chainDers(opts));
  if (opts.timestampToken) unprotected.set(H.timestampSignature, Buffer.from(opts.timestampToken));
  if (opts.signingAgent !== undefined) unprotected.set(H.signingAgent, opts.signingAgent);
  for (const [k, v] of Object.entries(opts.unprotectedHeaders ?? {})) {
    const label = k === 'x5chain' ? 33 : coseLabel(k);
    if (v === undefined) unprotected.delete(label);
    else unprotected.set(label, coseValue(v));
  }
  const message = new Tag([protectedBytes, unprotected, payload, signature], 18);
  return new Uint8Array(cbor.encode(message));
}

/**
 * Appends one key/value to an encoded CBOR map with fewer than 23 entries by
 * bumping its head byte: the only way to write a duplicate key, which
 * encoders refuse to produce.
 */
export function appendMapEntry(mapBytes: Uint8Array, key: unknown, value: unknown): Buffer {
  const head = mapBytes[0]!;
  if (head >> 5 !== 5 || (head & 0x1f) >= 23)
    throw new Error('signer: can only extend small CBOR maps');
  return Buffer.concat([
    Buffer.from([head + 1]),
    mapBytes.subarray(1),
    cbor.encode(key),
    cbor.encode(value),
  ]);
}

// ---------------------------------------------------------------- both

/** Builds an envelope of the given media type. */
export function signEnvelope(mediaType: TestEnvelopeMediaType, opts: SignOptions): Uint8Array {
  return mediaType === 'application/cose' ? signCose(opts) : signJws(opts);
}

function applyOverrides(
  base: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out = { ...base };
  applyOverridesInPlace(out, overrides);
  return out;
}

function applyOverridesInPlace(
  target: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
): void {
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === undefined) delete target[k];
    else target[k] = v;
  }
}
