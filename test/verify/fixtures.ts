/**
 * Fixtures for the Verifier's rule-by-rule tests: chains built once from
 * reused test keys, trust (policy + stores + deny list) assembled in memory,
 * and envelope surgery the signer cannot do in one step (adding a timestamp
 * token over the signature it just produced).
 */
import { createHash } from 'node:crypto';
import { Decoder, Encoder, Tag } from 'cbor-x';
import { parseBlobTrustPolicy, parseOciTrustPolicy } from '../../src/policy';
import { createTrustStores, parseStoreCertificates } from '../../src/trust';
import type { StoreType, VerifierTrust } from '../../src/trust/types';
import type { CheckOutcome, VerificationOutcome } from '../../src/verify/types';
import {
  createCertificate,
  generateKey,
  KeyUsage,
  OID,
  type CertOptions,
  type TestCert,
  type TestChain,
  type TestKeyType,
} from '../helpers/pki';
import {
  defaultTargetArtifact,
  H,
  signEnvelope,
  type SignOptions,
  type TestEnvelopeMediaType,
} from '../helpers/signer';

/** Both envelope formats, for `describe.each`. */
export const MEDIA_TYPES: readonly TestEnvelopeMediaType[] = [
  'application/jose+json',
  'application/cose',
];

/** The digest the signer's default payload describes. */
export const DEFAULT_DIGEST = String(defaultTargetArtifact().digest);
/** The repository every default policy covers. */
export const REPOSITORY = 'registry.example.com/app';
/** The artifact the default payload describes. */
export const ARTIFACT = `${REPOSITORY}@${DEFAULT_DIGEST}`;

const DAY = 86400_000;

/** Reused key indices, so that distinct CAs never share a key. */
export const KEY_INDEX = { acme: 0, other: 2, tsa: 4, otherTsa: 6, stranger: 8 } as const;

/** Options of {@link buildChain}: every certificate can be tuned. */
export interface BuildChainOptions {
  /** Organisation name used in every subject. */
  name: string;
  leafKeyType?: TestKeyType;
  /** Index of the reused leaf key (distinct chains of one type need distinct keys only when it matters). */
  leafKeyIndex?: number;
  caKeyType?: TestKeyType;
  /** Index of the reused root key; the intermediate uses the next one (distinct CAs, distinct keys). */
  caKeyIndex?: number;
  leaf?: Partial<CertOptions>;
  intermediate?: Partial<CertOptions>;
  root?: Partial<CertOptions>;
  timeStamping?: boolean;
  /** Reuse this chain's root and intermediate (a second leaf under the same CA). */
  from?: TestChain;
}

/**
 * A root → intermediate → leaf chain that meets the Notary Project
 * requirements, from reused keys (fast); overrides break single fields.
 */
export async function buildChain(opts: BuildChainOptions): Promise<TestChain> {
  const caType = opts.caKeyType ?? 'ec-p256';
  const caIndex = opts.caKeyIndex ?? 0;
  const rootKey = opts.from?.rootKey ?? (await generateKey(caType, caIndex));
  const intermediateKey = opts.from?.intermediateKey ?? (await generateKey(caType, caIndex + 1));
  const leafType = opts.leafKeyType ?? 'ec-p256';
  // CA keys take indices 0–7 (see KEY_INDEX); a leaf of the same type uses 9.
  const leafKey = await generateKey(leafType, opts.leafKeyIndex ?? (leafType === caType ? 9 : 0));
  const name = opts.name;
  const root =
    opts.from?.root ??
    (await createCertificate({
      subject: `C=US,ST=WA,O=${name},CN=${name} Root`,
      key: rootKey,
      basicConstraints: { ca: true },
      keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
      notBefore: new Date(Date.now() - 90 * DAY),
      notAfter: new Date(Date.now() + 10 * 365 * DAY),
      ...opts.root,
    }));
  const intermediate =
    opts.from?.intermediate ??
    (await createCertificate({
      subject: `C=US,ST=WA,O=${name},CN=${name} Intermediate`,
      key: intermediateKey,
      issuer: { cert: root, key: rootKey },
      basicConstraints: { ca: true, pathLength: 0 },
      keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
      notBefore: new Date(Date.now() - 90 * DAY),
      notAfter: new Date(Date.now() + 5 * 365 * DAY),
      ...opts.intermediate,
    }));
  const leaf = await createCertificate({
    subject: `C=US,ST=WA,L=Seattle,O=${name},CN=${name} Signer`,
    key: leafKey,
    issuer: { cert: intermediate, key: intermediateKey },
    basicConstraints: false,
    keyUsage: KeyUsage.digitalSignature,
    extKeyUsage: [opts.timeStamping ? OID.timeStamping : OID.codeSigning],
    extKeyUsageCritical: opts.timeStamping ?? false,
    notBefore: new Date(Date.now() - 10 * DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    ...opts.leaf,
  });
  return { root, rootKey, intermediate, intermediateKey, leaf, leafKey };
}

/** One policy statement, with defaults that trust `ca:acme` for every registry at `strict`. */
export interface StatementOptions {
  name?: string;
  registryScopes?: string[];
  level?: 'strict' | 'permissive' | 'audit' | 'skip';
  override?: Record<string, string>;
  verifyTimestamp?: 'always' | 'afterCertExpiry';
  trustStores?: string[];
  trustedIdentities?: string[];
}

function statement(s: StatementOptions, blob: boolean): Record<string, unknown> {
  const level = s.level ?? 'strict';
  const skip = level === 'skip';
  return {
    name: s.name ?? 'test',
    ...(blob ? {} : { registryScopes: s.registryScopes ?? ['*'] }),
    signatureVerification: {
      level,
      ...(s.override ? { override: s.override } : {}),
      ...(s.verifyTimestamp ? { verifyTimestamp: s.verifyTimestamp } : {}),
    },
    ...(skip ? {} : { trustStores: s.trustStores ?? ['ca:acme'] }),
    ...(skip ? {} : { trustedIdentities: s.trustedIdentities ?? ['*'] }),
  };
}

/** What {@link makeTrust} assembles. */
export interface TrustOptions {
  /** Stores as `type:name` → root certificates. */
  stores: Record<string, readonly TestCert[]>;
  /** OCI statements; omit for one default statement; `null` for no OCI policy. */
  statements?: StatementOptions[] | null;
  /** Blob statements (a `globalPolicy` flag per statement). */
  blobStatements?: (StatementOptions & { globalPolicy?: boolean })[];
  /** SHA-256 fingerprints on the deny list. */
  revocations?: string[];
  /** TUF provenance (a snapshot); its `expires` freezes the trust. */
  expires?: Date;
}

/** Trust a Verifier can use, parsed by the real policy and store parsers. */
export function makeTrust(opts: TrustOptions): VerifierTrust {
  const stores = createTrustStores(
    Object.entries(opts.stores).map(([ref, certs]) => {
      const [type, name] = ref.split(':') as [StoreType, string];
      return {
        type,
        name,
        certificates: certs.flatMap((c) => parseStoreCertificates(c.der, type, name)),
      };
    }),
  );
  const statements = opts.statements === undefined ? [{}] : opts.statements;
  const trust: VerifierTrust & { provenance?: unknown } = {
    stores,
    ...(statements
      ? {
          policy: parseOciTrustPolicy({
            version: '1.0',
            trustPolicies: statements.map((s) => statement(s, false)),
          }),
        }
      : {}),
    ...(opts.blobStatements
      ? {
          blobPolicy: parseBlobTrustPolicy({
            version: '1.0',
            trustPolicies: opts.blobStatements.map((s) => ({
              ...statement(s, true),
              ...(s.globalPolicy ? { globalPolicy: true } : {}),
            })),
          }),
        }
      : {}),
    revocations: opts.revocations ?? [],
    ...(opts.expires
      ? {
          provenance: {
            rootVersion: 1,
            timestampVersion: 1,
            snapshotVersion: 1,
            targetsVersion: 1,
            expires: opts.expires,
            targets: [],
          },
        }
      : {}),
  };
  return trust;
}

/** The outcome of one check (fails the test when it is absent). */
export function check(o: VerificationOutcome, name: CheckOutcome['check']): CheckOutcome {
  const c = o.checks.find((x) => x.check === name);
  if (!c) throw new Error(`outcome has no "${name}" check: ${JSON.stringify(o.checks)}`);
  return c;
}

/** `[check, result, action]` of every check, for compact assertions. */
export function summary(o: VerificationOutcome): [string, string, string][] {
  return o.checks.map((c) => [c.check, c.result, c.action]);
}

const cbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

interface CoseParts {
  protectedBytes: Buffer;
  unprotected: Map<unknown, unknown>;
  payload: Buffer;
  signature: Buffer;
}

function coseParts(envelope: Uint8Array): CoseParts {
  const tag = decoder.decode(Buffer.from(envelope)) as Tag;
  const [protectedBytes, unprotected, payload, signature] = tag.value as [
    Buffer,
    Map<unknown, unknown>,
    Buffer,
    Buffer,
  ];
  return { protectedBytes, unprotected, payload, signature };
}

/** The primitive signature bytes of an envelope (what a TSA countersigns). */
export function signatureOf(mediaType: TestEnvelopeMediaType, envelope: Uint8Array): Buffer {
  if (mediaType === 'application/cose') return Buffer.from(coseParts(envelope).signature);
  const json = JSON.parse(Buffer.from(envelope).toString('utf8')) as { signature: string };
  return Buffer.from(json.signature, 'base64url');
}

/** The envelope with `token` added as its unsigned timestamp countersignature. */
export function withTimestamp(
  mediaType: TestEnvelopeMediaType,
  envelope: Uint8Array,
  token: Uint8Array,
): Uint8Array {
  if (mediaType === 'application/cose') {
    const p = coseParts(envelope);
    const unprotected = new Map(p.unprotected);
    unprotected.set(H.timestampSignature, Buffer.from(token));
    return new Uint8Array(
      cbor.encode(new Tag([p.protectedBytes, unprotected, p.payload, p.signature], 18)),
    );
  }
  const json = JSON.parse(Buffer.from(envelope).toString('utf8')) as {
    header: Record<string, unknown>;
  };
  json.header[H.timestampSignature] = Buffer.from(token).toString('base64');
  return new Uint8Array(Buffer.from(JSON.stringify(json)));
}

/** A TSA as far as these fixtures need it. */
export interface Countersigner {
  timestamp(message: Uint8Array, opts?: { genTime?: Date }): Promise<Buffer>;
}

/** Signs, then countersigns the signature with `tsa` at `genTime`. */
export async function signTimestamped(
  mediaType: TestEnvelopeMediaType,
  opts: SignOptions,
  tsa: Countersigner,
  genTime: Date,
): Promise<Uint8Array> {
  const envelope = signEnvelope(mediaType, opts);
  const token = await tsa.timestamp(signatureOf(mediaType, envelope), { genTime });
  return withTimestamp(mediaType, envelope, token);
}

/** `sha256:` digest of bytes (or another hash). */
export function digestOf(bytes: Uint8Array, hash = 'sha256'): string {
  return `${hash}:${createHash(hash).update(bytes).digest('hex')}`;
}
