/**
 * Signature fixtures for the Verifier benchmarks: a root → intermediate →
 * leaf chain from the test PKI, trust (policy `strict`, one `ca` store, no
 * tsa) built with the public API, envelopes from the test signer, and the
 * precomputed inputs of the bare `crypto.verify` calls a verification needs
 * (the floor the benchmarks divide by).
 */
import {
  constants,
  createHash,
  verify,
  X509Certificate as NodeX509,
  type KeyObject,
} from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import {
  createTrustStores,
  parseEnvelope,
  parseOciTrustPolicy,
  parseStoreCertificates,
  type VerifierTrust,
} from '../src/index';
import {
  createCodeSigningChain,
  type TestCert,
  type TestChain,
  type TestKeyType,
} from '../test/helpers/pki';
import {
  keyAlgorithm,
  signCose,
  signJws,
  type TestEnvelopeMediaType,
} from '../test/helpers/signer';

/** The repository every benchmark artifact lives in. */
export const BENCH_REPOSITORY = 'registry.example.com/bench/app';

/** One bare signature check, inputs prepared in advance. */
export interface BareVerify {
  readonly hash: string;
  readonly data: Uint8Array;
  readonly key: KeyObject;
  /** The same key as SubjectPublicKeyInfo DER (what a certificate carries). */
  readonly spki: Buffer;
  readonly options: { padding?: number; saltLength?: number; dsaEncoding?: 'der' | 'ieee-p1363' };
  readonly signature: Uint8Array;
}

/** Runs one bare check with a prepared KeyObject; throws if it does not verify (the floor must do real work). */
export function bareVerify(v: BareVerify): void {
  if (!verify(v.hash, v.data, { key: v.key, ...v.options }, v.signature)) {
    throw new Error('bench: bare verify failed');
  }
}

/** Runs one bare check with the key given as SPKI DER, so OpenSSL decodes the key in the call. */
export function bareVerifyFromDer(v: BareVerify): void {
  const key = { key: v.spki, format: 'der', type: 'spki', ...v.options } as const;
  if (!verify(v.hash, v.data, key, v.signature)) throw new Error('bench: bare verify failed');
}

function spkiOf(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** A signer: its chain and the trust that accepts it. */
export interface BenchSigner {
  readonly chain: TestChain;
  readonly trust: VerifierTrust;
  /** Bare checks of the chain links: leaf ← intermediate, intermediate ← root. */
  readonly links: readonly BareVerify[];
  /** Bare check of the root's self-signature (the `root-self-signed` rule). */
  readonly rootSelf: BareVerify;
}

/** One envelope to verify and the bare check of its signature. */
export interface BenchEnvelope {
  readonly request: { artifact: string; envelope: Uint8Array; mediaType: TestEnvelopeMediaType };
  readonly signature: BareVerify;
}

const SALT = { sha256: 32, sha384: 48, sha512: 64 } as const;

function linkCheck(cert: TestCert, issuer: TestCert): BareVerify {
  const parsed = X509Certificate.parse(Buffer.from(cert.der));
  const key = new NodeX509(issuer.der).publicKey;
  return {
    hash: parsed.signatureAlgorithm,
    data: parsed.tbsCertificate.toDER(),
    key,
    spki: spkiOf(key),
    options: {},
    signature: parsed.signatureValue,
  };
}

/** A chain whose CA and leaf keys are all of `keyType`, and trust in its root. */
export async function createBenchSigner(name: string, keyType: TestKeyType): Promise<BenchSigner> {
  const chain = await createCodeSigningChain({ name, leafKeyType: keyType, caKeyType: keyType });
  const policy = parseOciTrustPolicy({
    version: '1.0',
    trustPolicies: [
      {
        name: 'bench',
        registryScopes: [BENCH_REPOSITORY],
        signatureVerification: { level: 'strict' },
        trustStores: ['ca:bench'],
        trustedIdentities: [`x509.subject: C=US, ST=WA, L=Seattle, O=${name}, CN=${name} Signer`],
      },
    ],
  });
  const stores = createTrustStores([
    {
      type: 'ca',
      name: 'bench',
      certificates: parseStoreCertificates(Buffer.from(chain.root.pem), 'ca', 'bench'),
    },
  ]);
  const signer: BenchSigner = {
    chain,
    trust: { policy, stores, revocations: [] },
    links: [linkCheck(chain.leaf, chain.intermediate), linkCheck(chain.intermediate, chain.root)],
    rootSelf: linkCheck(chain.root, chain.root),
  };
  for (const check of [...signer.links, signer.rootSelf]) bareVerify(check);
  return signer;
}

/** `count` distinct envelopes (distinct artifact digests) of `mediaType`, all from `signer`. */
export function createBenchEnvelopes(
  signer: BenchSigner,
  mediaType: TestEnvelopeMediaType,
  count: number,
  seed = 0,
): BenchEnvelope[] {
  const alg = keyAlgorithm(signer.chain.leafKey.publicKeyObject);
  const key = signer.chain.leafKey.publicKeyObject;
  const out: BenchEnvelope[] = [];
  for (let i = 0; i < count; i++) {
    const digest = `sha256:${createHash('sha256').update(`bench artifact ${seed}/${i}`).digest('hex')}`;
    const opts = { chain: signer.chain, targetArtifact: { digest } };
    const envelope = mediaType === 'application/cose' ? signCose(opts) : signJws(opts);
    const parsed = parseEnvelope(envelope, mediaType);
    const signature: BareVerify = {
      hash: alg.hash,
      data: parsed.signedBytes,
      key,
      spki: spkiOf(key),
      options: alg.rsa
        ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT[alg.hash] }
        : { dsaEncoding: 'ieee-p1363' },
      signature: parsed.signature,
    };
    bareVerify(signature);
    bareVerifyFromDer(signature);
    out.push({
      request: { artifact: `${BENCH_REPOSITORY}@${digest}`, envelope, mediaType },
      signature,
    });
  }
  return out;
}
