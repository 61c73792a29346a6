/**
 * Parsing and validation of trust policy documents: `trustpolicy.oci.json`
 * and `trustpolicy.blob.json`, version 1.0 (trust-store-trust-policy.md
 * "Trust Policy"; DIGEST §2.2–§2.5). Pure: no I/O.
 *
 * Rules run in notation-go's order (`OCIDocument.Validate`,
 * `BlobDocument.Validate`) and fail with its wording, so the first error
 * reported is the one notation would report. Decisions where the spec and
 * notation-go differ (DIGEST "Where spec and Go differ"):
 *
 * - JSON: unknown keys are ignored and `null` reads as absent, as in Go. Keys
 *   are case-sensitive: a key that differs from a known one only in case
 *   (`"Level"`) is rejected rather than silently used (Go) or ignored. A
 *   statement of a blob policy with `registryScopes`, or of an OCI policy with
 *   `globalPolicy`, is rejected (Go ignores them).
 * - Spec over Go: a blob statement with `"globalPolicy": true` must not be
 *   `skip`; an OCI statement with the global scope `*` must not be `skip`.
 * - Overlapping identities follow the spec's definition (see identities.ts).
 * - Bounds ({@link POLICY_LIMITS}) are checked before anything is parsed.
 */
import { ErrorCode, PolicyError } from '../errors';
import { checkTrustedIdentities } from './identities';
import { signatureVerificationProblem } from './levels';
import { blobIndex, ociIndex, registryScopeProblem, WILDCARD_SCOPE } from './selection';
import type {
  BlobTrustPolicy,
  BlobTrustPolicyStatement,
  CheckActionName,
  OciTrustPolicy,
  OciTrustPolicyStatement,
  SignatureVerification,
  StoreReference,
  VerificationCheckName,
  VerificationLevelName,
} from './types';

/** Bounds on a policy document, checked before and while it is parsed. */
export const POLICY_LIMITS = Object.freeze({
  /** Largest document (UTF-8 bytes) accepted as a string or bytes. */
  maxBytes: 16 * 1024 * 1024,
  /** Deepest JSON nesting accepted (a valid policy needs 5: document, list, statement, signatureVerification, override). */
  maxDepth: 32,
  /** Most statements in one document. */
  maxStatements: 100_000,
  /** Most registry scopes in one statement. */
  maxScopesPerStatement: 10_000,
  /** Most trust store references in one statement. */
  maxTrustStoresPerStatement: 1_000,
  /** Most trusted identities in one statement (overlap checking is quadratic). */
  maxIdentitiesPerStatement: 1_000,
  /** Longest string value (name, scope, store reference, identity, level…). */
  maxStringLength: 4_096,
});

/** The trust store types a policy may name (case-sensitive). */
export const STORE_REFERENCE_TYPES: readonly StoreReference['type'][] = Object.freeze([
  'ca',
  'signingAuthority',
  'tsa',
]);

/** Named store names: notation-go's `file.IsValidFileName`. */
export const STORE_NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;

/** The only document version defined. */
export const POLICY_VERSION = '1.0';

type Kind = 'oci' | 'blob';

function fail(
  kind: Kind,
  rule: string,
  message: string,
  details: Record<string, string | number | undefined> = {},
): never {
  throw new PolicyError(ErrorCode.POLICY_INVALID, message, {
    details: { policy: kind, rule, ...details },
  });
}

// ---------------------------------------------------------------------------
// Input: bytes / string / object → a JSON value, bounded.

/** Rejects JSON nested deeper than the limit, without recursion. */
function checkDepth(kind: Kind, text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++; // backslash: skip the escaped character
      } else if (c === 0x22) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > POLICY_LIMITS.maxDepth) {
        fail(
          kind,
          'limits',
          `${kind} trust policy document is nested more than ${POLICY_LIMITS.maxDepth} levels deep`,
        );
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function toJson(kind: Kind, input: unknown): unknown {
  let text: string;
  if (typeof input === 'string') {
    text = input;
    if (
      text.length > POLICY_LIMITS.maxBytes ||
      Buffer.byteLength(text, 'utf8') > POLICY_LIMITS.maxBytes
    ) {
      fail(
        kind,
        'limits',
        `${kind} trust policy document is larger than ${POLICY_LIMITS.maxBytes} bytes`,
      );
    }
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > POLICY_LIMITS.maxBytes) {
      fail(
        kind,
        'limits',
        `${kind} trust policy document is ${input.byteLength} bytes, larger than the ${POLICY_LIMITS.maxBytes}-byte limit`,
      );
    }
    try {
      text = utf8.decode(input);
    } catch (cause) {
      throw new PolicyError(
        ErrorCode.POLICY_INVALID,
        `malformed ${kind} trust policy: the document is not valid UTF-8`,
        { cause, details: { policy: kind, rule: 'json' } },
      );
    }
  } else if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return input;
  } else {
    return fail(
      kind,
      'json',
      `malformed ${kind} trust policy: expected a JSON document (string or bytes) or an object, got ${describe(input)}`,
    );
  }
  if (text.charCodeAt(0) === 0xfeff) {
    fail(
      kind,
      'json',
      `malformed ${kind} trust policy: the document starts with a byte order mark; save it as UTF-8 without BOM`,
    );
  }
  checkDepth(kind, text);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new PolicyError(
      ErrorCode.POLICY_INVALID,
      `malformed ${kind} trust policy: ${(cause as Error).message}. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy`,
      { cause, details: { policy: kind, rule: 'json' } },
    );
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

// ---------------------------------------------------------------------------
// Decoding: the JSON value → typed fields (Go's json.Unmarshal step).

interface RawSignatureVerification {
  level?: string;
  override?: Record<string, string>;
  verifyTimestamp?: string;
}

interface RawStatement {
  index: number;
  name: string;
  signatureVerification: RawSignatureVerification;
  trustStores: string[];
  trustedIdentities: string[];
  registryScopes: string[];
  globalPolicy: boolean;
}

const DOCUMENT_KEYS = ['version', 'trustPolicies'];
const COMMON_STATEMENT_KEYS = ['name', 'signatureVerification', 'trustStores', 'trustedIdentities'];
const STATEMENT_KEYS: Record<Kind, string[]> = {
  oci: [...COMMON_STATEMENT_KEYS, 'registryScopes'],
  blob: [...COMMON_STATEMENT_KEYS, 'globalPolicy'],
};
const SIGNATURE_VERIFICATION_KEYS = ['level', 'override', 'verifyTimestamp'];

class Decoder {
  constructor(readonly kind: Kind) {}

  /** Rejects keys that differ from a known key only in case; ignores other unknown keys. */
  keys(obj: object, known: readonly string[], where: string): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const lower = key.toLowerCase();
      const meant = known.find((k) => k.toLowerCase() === lower);
      if (meant !== undefined) {
        fail(
          this.kind,
          'key',
          `${where} has key ${JSON.stringify(key)}; keys are case-sensitive, write ${JSON.stringify(meant)}`,
        );
      }
    }
  }

  string(v: unknown, where: string): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      fail(this.kind, 'type', `${where} must be a string, got ${describe(v)}`);
    }
    if (v.length > POLICY_LIMITS.maxStringLength) {
      fail(
        this.kind,
        'limits',
        `${where} is ${v.length} characters long, more than the ${POLICY_LIMITS.maxStringLength}-character limit`,
      );
    }
    return v;
  }

  strings(v: unknown, where: string, max: number): string[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      fail(this.kind, 'type', `${where} must be an array of strings, got ${describe(v)}`);
    }
    if (v.length > max) {
      fail(this.kind, 'limits', `${where} has ${v.length} entries, more than the limit of ${max}`);
    }
    const out: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item !== 'string') {
        fail(this.kind, 'type', `${where}[${i}] must be a string, got ${describe(item)}`);
      }
      out.push(this.string(item, `${where}[${i}]`)!);
    }
    return out;
  }

  object(v: unknown, where: string): Record<string, unknown> | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      fail(this.kind, 'type', `${where} must be an object, got ${describe(v)}`);
    }
    return v as Record<string, unknown>;
  }

  document(json: unknown): { version: string; statements: RawStatement[] } {
    const kind = this.kind;
    const doc = this.object(json, `${kind} trust policy document`);
    if (!doc) return fail(kind, 'document', `${kind} trust policy document cannot be nil`);
    this.keys(doc, DOCUMENT_KEYS, `${kind} trust policy document`);
    const version = this.string(doc.version, '"version"') ?? '';
    const list = doc.trustPolicies;
    if (list !== undefined && list !== null && !Array.isArray(list)) {
      fail(kind, 'type', `"trustPolicies" must be an array of statements, got ${describe(list)}`);
    }
    const items = (list ?? []) as unknown[];
    if (items.length > POLICY_LIMITS.maxStatements) {
      fail(
        kind,
        'limits',
        `${kind} trust policy document has ${items.length} statements, more than the limit of ${POLICY_LIMITS.maxStatements}`,
      );
    }
    const statements: RawStatement[] = [];
    for (let i = 0; i < items.length; i++) statements.push(this.statement(items[i], i));
    return { version, statements };
  }

  statement(item: unknown, index: number): RawStatement {
    const kind = this.kind;
    const at = `trustPolicies[${index}]`;
    const s = this.object(item, at) ?? {};
    const name = this.string(s.name, `${at}.name`) ?? '';
    const where = name === '' ? at : `${at} (${JSON.stringify(name)})`;
    this.keys(s, STATEMENT_KEYS[kind], where);
    if (kind === 'blob' && s.registryScopes !== undefined && s.registryScopes !== null) {
      fail(
        kind,
        'registryScopes',
        `blob trust policy statement ${JSON.stringify(name)} has "registryScopes"; blob statements are selected by name, remove it (registry scopes belong in the OCI trust policy)`,
        { statement: name, index },
      );
    }
    if (kind === 'oci' && s.globalPolicy !== undefined && s.globalPolicy !== null) {
      fail(
        kind,
        'globalPolicy',
        `oci trust policy statement ${JSON.stringify(name)} has "globalPolicy", which only blob trust policies use; use registryScopes ["*"] for a global OCI statement`,
        { statement: name, index },
      );
    }
    const svObj = this.object(s.signatureVerification, `${where}.signatureVerification`) ?? {};
    this.keys(svObj, SIGNATURE_VERIFICATION_KEYS, `${where}.signatureVerification`);
    const sv: RawSignatureVerification = {
      level: this.string(svObj.level, `${where}.signatureVerification.level`),
      verifyTimestamp: this.string(
        svObj.verifyTimestamp,
        `${where}.signatureVerification.verifyTimestamp`,
      ),
    };
    const override = this.object(svObj.override, `${where}.signatureVerification.override`);
    if (override) {
      // A null-prototype map: a "__proto__" key stays an ordinary (rejected) key.
      const map = Object.create(null) as Record<string, string>;
      for (const key of Object.keys(override)) {
        const value = override[key];
        if (value === undefined) continue;
        // Go decodes a null action as the empty action, which validation rejects.
        map[key] =
          value === null
            ? ''
            : this.string(value, `${where}.signatureVerification.override.${key}`)!;
      }
      sv.override = map;
    }
    let globalPolicy = false;
    if (s.globalPolicy !== undefined && s.globalPolicy !== null) {
      if (typeof s.globalPolicy !== 'boolean') {
        fail(
          kind,
          'type',
          `${where}.globalPolicy must be true or false, got ${describe(s.globalPolicy)}`,
        );
      }
      globalPolicy = s.globalPolicy;
    }
    return {
      index,
      name,
      signatureVerification: sv,
      trustStores: this.strings(
        s.trustStores,
        `${where}.trustStores`,
        POLICY_LIMITS.maxTrustStoresPerStatement,
      ),
      trustedIdentities: this.strings(
        s.trustedIdentities,
        `${where}.trustedIdentities`,
        POLICY_LIMITS.maxIdentitiesPerStatement,
      ),
      registryScopes: this.strings(
        s.registryScopes,
        `${where}.registryScopes`,
        POLICY_LIMITS.maxScopesPerStatement,
      ),
      globalPolicy,
    };
  }
}

// ---------------------------------------------------------------------------
// Store references.

type StoreProblem = { rule: string; message: string };

/** Why `ref` is not a `type:name` store reference (text after `… `), or the reference. */
function storeReference(ref: string): StoreReference | StoreProblem {
  const q = JSON.stringify(ref);
  const colon = ref.indexOf(':');
  if (colon < 0) {
    return {
      rule: 'trust-store',
      message: `has malformed trust store value ${q}. The required format is <TrustStoreType>:<TrustStoreName>, e.g. "ca:acme-rockets"`,
    };
  }
  const type = ref.slice(0, colon);
  const name = ref.slice(colon + 1);
  if (!(STORE_REFERENCE_TYPES as readonly string[]).includes(type)) {
    return {
      rule: 'trust-store',
      message: `uses an unsupported trust store type ${JSON.stringify(type)} in trust store value ${q}; supported types are "ca", "signingAuthority" and "tsa"`,
    };
  }
  if (!STORE_NAME_PATTERN.test(name)) {
    return {
      rule: 'trust-store',
      message: `uses an unsupported trust store name ${JSON.stringify(name)} in trust store value ${q}. Named store name needs to follow [a-zA-Z0-9_.-]+ format`,
    };
  }
  return Object.freeze({ type: type as StoreReference['type'], name });
}

/**
 * Parses a store reference `type:name` (`ca:acme`, `tsa:public-tsa`). Throws
 * ERR_POLICY_INVALID unless the type is `ca`, `signingAuthority` or `tsa`
 * and the name matches `[a-zA-Z0-9_.-]+`.
 */
export function parseStoreReference(ref: string): StoreReference {
  const r = storeReference(ref);
  if ('message' in r) {
    throw new PolicyError(ErrorCode.POLICY_INVALID, `trust store reference ${r.message}`, {
      details: { rule: r.rule, trustStore: ref },
    });
  }
  return r;
}

const storesCache = new WeakMap<object, readonly StoreReference[]>();

/**
 * Every store the policy's statements name, each once, sorted by type then
 * name (code-unit order): exactly the stores a trust update must download.
 */
export function referencedStores(policy: OciTrustPolicy | BlobTrustPolicy): StoreReference[] {
  const cached = storesCache.get(policy);
  if (cached) return [...cached];
  const seen = new Map<string, StoreReference>();
  for (const statement of policy.trustPolicies) {
    for (const ref of statement.trustStores) {
      if (!seen.has(ref)) seen.set(ref, parseStoreReference(ref));
    }
  }
  const out = [...seen.values()].sort((a, b) =>
    a.type !== b.type ? (a.type < b.type ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  if (Object.isFrozen(policy)) storesCache.set(policy, Object.freeze(out));
  return [...out];
}

// ---------------------------------------------------------------------------
// Validation, in notation-go's order.

function statementLabel(s: RawStatement): string {
  return JSON.stringify(s.name);
}

/** validatePolicyCore: name, signatureVerification, stores and identities. */
function validateCore(kind: Kind, s: RawStatement): void {
  const prefix = `${kind} trust policy: `;
  const details = { statement: s.name, index: s.index };
  if (s.name === '') {
    fail(
      kind,
      'name',
      `${prefix}a trust policy statement is missing a name, every statement requires a name (trustPolicies[${s.index}])`,
      details,
    );
  }
  const label = `${prefix}trust policy statement ${statementLabel(s)}`;
  const problem = signatureVerificationProblem(s.signatureVerification);
  if (problem) {
    fail(
      kind,
      problem.rule,
      `${label} has invalid signatureVerification: ${problem.message}`,
      details,
    );
  }
  if (s.signatureVerification.level === 'skip') {
    if (s.trustStores.length > 0 || s.trustedIdentities.length > 0) {
      fail(
        kind,
        'skip',
        `${label} is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped`,
        details,
      );
    }
    return;
  }
  if (s.trustStores.length === 0 || s.trustedIdentities.length === 0) {
    fail(
      kind,
      'stores-and-identities',
      `${label} is either missing trust stores or trusted identities, both must be specified`,
      details,
    );
  }
  for (const ref of s.trustStores) {
    const r = storeReference(ref);
    if ('message' in r)
      fail(kind, r.rule, `${label} ${r.message}`, { ...details, trustStore: ref });
  }
  const identities = checkTrustedIdentities(s.trustedIdentities);
  if ('message' in identities)
    fail(kind, identities.rule, `${label} ${identities.message}`, details);
}

function validateHeader(kind: Kind, version: string, statements: RawStatement[]): void {
  if (version === '') {
    fail(
      kind,
      'version',
      `${kind} trust policy document has empty version, version must be specified; use "version": "1.0"`,
    );
  }
  if (version !== POLICY_VERSION) {
    fail(
      kind,
      'version',
      `${kind} trust policy document uses unsupported version ${JSON.stringify(version)}; the supported version is "1.0"`,
    );
  }
  if (statements.length === 0) {
    fail(
      kind,
      'statements',
      `${kind} trust policy document can not have zero trust policy statements`,
    );
  }
}

function checkUniqueName(kind: Kind, s: RawStatement, names: Set<string>): void {
  if (names.has(s.name)) {
    fail(
      kind,
      'unique-name',
      `multiple ${kind} trust policy statements use the same name ${statementLabel(s)}, statement names must be unique`,
      { statement: s.name, index: s.index },
    );
  }
}

/** validateRegistryScopes, then the spec's "skip cannot be used with the global scope". */
function validateScopes(statements: RawStatement[]): void {
  for (const s of statements) {
    const details = { statement: s.name, index: s.index };
    if (s.registryScopes.length === 0) {
      fail(
        'oci',
        'registryScopes',
        `oci trust policy statement ${statementLabel(s)} has zero registry scopes, it must specify registry scopes with at least one value`,
        details,
      );
    }
    if (s.registryScopes.length > 1 && s.registryScopes.includes(WILDCARD_SCOPE)) {
      fail(
        'oci',
        'wildcard-scope',
        `oci trust policy statement ${statementLabel(s)} uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values`,
        details,
      );
    }
    for (const scope of s.registryScopes) {
      const problem = registryScopeProblem(scope);
      if (problem !== undefined) {
        fail('oci', 'scope-format', `oci trust policy statement ${statementLabel(s)}: ${problem}`, {
          ...details,
          scope,
        });
      }
    }
  }
  const owner = new Map<string, RawStatement>();
  for (const s of statements) {
    for (const scope of s.registryScopes) {
      const first = owner.get(scope);
      if (first !== undefined) {
        const where =
          first === s
            ? `twice in statement ${statementLabel(s)}`
            : `in statements ${statementLabel(first)} and ${statementLabel(s)}`;
        fail(
          'oci',
          'unique-scope',
          `registry scope ${JSON.stringify(scope)} is present in multiple oci trust policy statements (${where}), one registry scope value can only be associated with one statement`,
          { statement: s.name, index: s.index, scope },
        );
      }
      owner.set(scope, s);
    }
  }
  const global = owner.get(WILDCARD_SCOPE);
  if (global !== undefined && global.signatureVerification.level === 'skip') {
    fail(
      'oci',
      'global-skip',
      `oci trust policy statement ${statementLabel(global)} uses the global registry scope '*' with verification level "skip", which the Notary Project specification forbids; list the repositories to skip in its registryScopes, or choose another level`,
      { statement: global.name, index: global.index },
    );
  }
}

// ---------------------------------------------------------------------------
// Output: frozen statements.

function freezeSignatureVerification(raw: RawSignatureVerification): SignatureVerification {
  const sv: {
    level: VerificationLevelName;
    override?: Readonly<Partial<Record<VerificationCheckName, CheckActionName>>>;
    verifyTimestamp?: 'always' | 'afterCertExpiry';
  } = { level: raw.level as VerificationLevelName };
  if (raw.override && Object.keys(raw.override).length > 0) {
    sv.override = Object.freeze({ ...raw.override }) as Partial<
      Record<VerificationCheckName, CheckActionName>
    >;
  }
  if (raw.verifyTimestamp) {
    sv.verifyTimestamp = raw.verifyTimestamp as 'always' | 'afterCertExpiry';
  }
  return Object.freeze(sv);
}

function freezeCommon(s: RawStatement) {
  const skip = s.signatureVerification.level === 'skip';
  return {
    name: s.name,
    signatureVerification: freezeSignatureVerification(s.signatureVerification),
    trustStores: Object.freeze(skip ? [] : [...s.trustStores]),
    trustedIdentities: Object.freeze(skip ? [] : [...s.trustedIdentities]),
  };
}

/**
 * Parses and validates an OCI trust policy (`trustpolicy.oci.json`):
 * JSON text, UTF-8 bytes or an already parsed object. Returns a frozen,
 * normalised copy (unknown keys dropped). Throws ERR_POLICY_INVALID naming
 * the statement and the rule broken.
 */
export function parseOciTrustPolicy(input: string | Uint8Array | object): OciTrustPolicy {
  const decoder = new Decoder('oci');
  const { version, statements } = decoder.document(toJson('oci', input));
  validateHeader('oci', version, statements);
  const names = new Set<string>();
  for (const s of statements) {
    checkUniqueName('oci', s, names);
    validateCore('oci', s);
    names.add(s.name);
  }
  validateScopes(statements);
  const policy: OciTrustPolicy = Object.freeze({
    version: POLICY_VERSION,
    trustPolicies: Object.freeze(
      statements.map((s): OciTrustPolicyStatement =>
        Object.freeze({ ...freezeCommon(s), registryScopes: Object.freeze([...s.registryScopes]) }),
      ),
    ),
  });
  ociIndex(policy);
  return policy;
}

/**
 * Parses and validates a blob trust policy (`trustpolicy.blob.json`), like
 * {@link parseOciTrustPolicy}; at most one statement may be the global policy,
 * and it must not be `skip`.
 */
export function parseBlobTrustPolicy(input: string | Uint8Array | object): BlobTrustPolicy {
  const decoder = new Decoder('blob');
  const { version, statements } = decoder.document(toJson('blob', input));
  validateHeader('blob', version, statements);
  const names = new Set<string>();
  let global: RawStatement | undefined;
  for (const s of statements) {
    checkUniqueName('blob', s, names);
    validateCore('blob', s);
    if (s.globalPolicy) {
      const details = { statement: s.name, index: s.index };
      if (global !== undefined) {
        fail(
          'blob',
          'global-policy',
          `multiple blob trust policy statements have globalPolicy set to true (${statementLabel(global)} and ${statementLabel(s)}). Only one trust policy statement can be marked as global policy`,
          details,
        );
      }
      if (s.signatureVerification.level === 'skip') {
        fail(
          'blob',
          'global-skip',
          `global blob trust policy statement ${statementLabel(s)} cannot have verification level set to skip; choose another level or remove "globalPolicy"`,
          details,
        );
      }
      global = s;
    }
    names.add(s.name);
  }
  const policy: BlobTrustPolicy = Object.freeze({
    version: POLICY_VERSION,
    trustPolicies: Object.freeze(
      statements.map((s): BlobTrustPolicyStatement => {
        const common = freezeCommon(s);
        return Object.freeze(s.globalPolicy ? { ...common, globalPolicy: true } : common);
      }),
    ),
  });
  blobIndex(policy);
  return policy;
}
