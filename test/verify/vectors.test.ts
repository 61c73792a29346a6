/**
 * Every verdict of ../shared/notary/vectors/INDEX.md, reached by our Verifier
 * on the envelopes notation-go produced.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnvelope } from '../../src/envelope';
import { parseOciTrustPolicy } from '../../src/policy';
import { createTrustStores, parseStoreCertificates } from '../../src/trust';
import type { StoreType, TrustedCertificate, VerifierTrust } from '../../src/trust/types';
import { Verifier } from '../../src/verify';
import type { VerificationOutcome } from '../../src/verify/types';
import { NOTATION_VECTORS } from '../helpers/vectors';

const VECTORS = NOTATION_VECTORS;
const STORES = path.join(VECTORS, 'verifier', 'testdata', 'truststore', 'x509');

function store(type: StoreType, name: string): TrustedCertificate[] {
  const dir = path.join(STORES, type, name);
  return readdirSync(dir).flatMap((f) =>
    parseStoreCertificates(readFileSync(path.join(dir, f)), type, name, `${type}/${name}/${f}`),
  );
}

function trust(opts: {
  stores: string[];
  level?: string;
  verifyTimestamp?: string;
  identities?: string[];
  override?: Record<string, string>;
}): VerifierTrust {
  const entries = opts.stores.map((ref) => {
    const [type, name] = ref.split(':') as [StoreType, string];
    return { type, name, certificates: store(type, name) };
  });
  return {
    stores: createTrustStores(entries),
    policy: parseOciTrustPolicy({
      version: '1.0',
      trustPolicies: [
        {
          name: 'vectors',
          registryScopes: ['*'],
          signatureVerification: {
            level: opts.level ?? 'strict',
            ...(opts.verifyTimestamp ? { verifyTimestamp: opts.verifyTimestamp } : {}),
            ...(opts.override ? { override: opts.override } : {}),
          },
          trustStores: opts.stores,
          trustedIdentities: opts.identities ?? ['*'],
        },
      ],
    }),
  };
}

function read(rel: string): Buffer {
  return readFileSync(path.join(VECTORS, rel));
}

/** Verifies `rel` as the artifact its own payload names (the Go tests do the same). */
async function verifyVector(
  rel: string,
  t: VerifierTrust,
  now?: Date,
): Promise<VerificationOutcome> {
  const bytes = read(rel);
  // The .sig vectors do not say their format: JSON starts with '{'.
  const mediaType = bytes[0] === 0x7b ? 'application/jose+json' : 'application/cose';
  let digest = 'sha256:' + '0'.repeat(64);
  try {
    digest = parseEnvelope(bytes, mediaType).payload.targetArtifact.digest;
  } catch {
    // Unparseable vectors: any digest; integrity fails before it matters.
  }
  // The GlobalSign TSA chain in the timestamp vectors names public OCSP and CRL
  // servers: tests never reach them, so revocation uses the deny list only.
  const verifier = new Verifier(t, { revocation: 'denylist', ...(now ? { now: () => now } : {}) });
  return verifier.verify({
    artifact: `localhost:5000/net-monitor@${digest}`,
    envelope: bytes,
    mediaType,
  });
}

function check(o: VerificationOutcome, name: string) {
  return o.checks.find((c) => c.check === name);
}

const MOCK = 'internal/mock/testdata';

describe('notation-go mock envelopes (internal/mock/testdata)', () => {
  test('ca_valid_sig_env.json verifies with ca:valid-trust-store', async () => {
    const o = await verifyVector(
      `${MOCK}/ca_valid_sig_env.json`,
      trust({ stores: ['ca:valid-trust-store'] }),
    );
    expect(o.error).toBeUndefined();
    expect(o.ok).toBe(true);
    expect(o.signer?.subject).toContain('Notation Test');
  });

  test('ca_valid_sig_env.json is untrusted with a store that lacks its root', async () => {
    const o = await verifyVector(
      `${MOCK}/ca_valid_sig_env.json`,
      trust({ stores: ['ca:valid-trust-store-2'] }),
    );
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
    expect(check(o, 'authenticity')?.result).toBe('failed');
  });

  test('ca_valid_sig_env.json under audit passes with authenticity logged', async () => {
    const o = await verifyVector(
      `${MOCK}/ca_valid_sig_env.json`,
      trust({ stores: ['ca:valid-trust-store-2'], level: 'audit' }),
    );
    expect(o.ok).toBe(true);
    expect(check(o, 'authenticity')).toMatchObject({ result: 'failed', action: 'logged' });
  });

  test('sa_valid_sig_env.json verifies with signingAuthority:valid-trust-store', async () => {
    const o = await verifyVector(
      `${MOCK}/sa_valid_sig_env.json`,
      trust({ stores: ['signingAuthority:valid-trust-store'] }),
    );
    expect(o.error).toBeUndefined();
    expect(o.ok).toBe(true);
  });

  test('sa_valid_sig_env.json does not verify against a ca store (scheme decides the store type)', async () => {
    const o = await verifyVector(
      `${MOCK}/sa_valid_sig_env.json`,
      trust({ stores: ['ca:valid-trust-store'] }),
    );
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
  });

  test.each(['ca_invalid_sig_env.json', 'sa_invalid_sig_env.json'])(
    '%s fails integrity, enforced even under audit',
    async (file) => {
      const o = await verifyVector(
        `${MOCK}/${file}`,
        trust({
          stores: ['ca:valid-trust-store', 'signingAuthority:valid-trust-store'],
          level: 'audit',
        }),
      );
      expect(o.ok).toBe(false);
      expect(check(o, 'integrity')).toMatchObject({ result: 'failed', action: 'enforced' });
    },
  );

  test('ca_expired_sig_env.json fails expiry under strict', async () => {
    const o = await verifyVector(
      `${MOCK}/ca_expired_sig_env.json`,
      trust({ stores: ['ca:valid-trust-store'] }),
    );
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_SIGNATURE_EXPIRED');
    expect(check(o, 'expiry')).toMatchObject({ result: 'failed', action: 'enforced' });
  });

  test('ca_expired_sig_env.json passes under permissive with expiry logged', async () => {
    const o = await verifyVector(
      `${MOCK}/ca_expired_sig_env.json`,
      trust({ stores: ['ca:valid-trust-store'], level: 'permissive' }),
    );
    expect(o.ok).toBe(true);
    expect(check(o, 'expiry')).toMatchObject({ result: 'failed', action: 'logged' });
  });

  test('sa_expired_sig_env.json fails expiry under strict', async () => {
    const o = await verifyVector(
      `${MOCK}/sa_expired_sig_env.json`,
      trust({ stores: ['signingAuthority:valid-trust-store'] }),
    );
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_SIGNATURE_EXPIRED');
  });

  test.each([
    'ca_plugin_sig_env.json',
    'sa_plugin_sig_env.json',
    'ca_compatible_pluginver_sig_env_1.0.0.json',
    'ca_incompatible_pluginver_sig_env_1.2.3.json',
  ])('%s fails closed: it requires a verification plugin that is not registered', async (file) => {
    const o = await verifyVector(
      `${MOCK}/${file}`,
      trust({ stores: ['ca:valid-trust-store', 'signingAuthority:valid-trust-store'] }),
    );
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_PLUGIN_REQUIRED');
    expect(o.error?.message).toMatch(/plugin/);
  });

  test.each([
    ['0.0.9', true],
    ['1.0.0-alpha', true],
    ['1.0.0-alpha.beta', true],
    ['1.0.0', true],
    ['1.0.1', false],
    ['1.0.9', false],
    ['1.1.0-alpha', false],
    ['1.2.3', false],
  ])(
    'plugin minimum version %s with a registered plugin at 1.0.0: compatible=%s',
    async (min, compatible) => {
      const file = `${MOCK}/ca_${compatible ? '' : 'in'}compatible_pluginver_sig_env_${min}.json`;
      const t = trust({ stores: ['ca:valid-trust-store'] });
      const bytes = read(file);
      const env = parseEnvelope(bytes, 'application/jose+json');
      const verifier = new Verifier(t, {
        plugins: {
          [env.verificationPlugin!]: async (req) => ({
            version: '1.0.0',
            capabilities: [
              'SIGNATURE_VERIFIER.TRUSTED_IDENTITY',
              'SIGNATURE_VERIFIER.REVOCATION_CHECK',
            ],
            verificationResults: Object.fromEntries(
              req.capabilities.map((c) => [c, { success: true }]),
            ),
            processedAttributes: [...req.criticalAttributes],
          }),
        },
      });
      const o = await verifier.verify({
        artifact: `localhost:5000/net-monitor@${env.payload.targetArtifact.digest}`,
        envelope: bytes,
        mediaType: 'application/jose+json',
      });
      if (compatible) {
        expect(o.error).toBeUndefined();
        expect(o.ok).toBe(true);
      } else {
        expect(o.ok).toBe(false);
        expect(o.error?.code).toBe('ERR_PLUGIN_REQUIRED');
        expect(o.error?.message).toMatch(/requires/);
      }
    },
  );

  describe('sig_env_with_metadata.json: user metadata must match the signed annotations', () => {
    // Its self-signed signer was valid for one day in January 2023 and is in no
    // vector store: trust the certificate itself and verify at that time.
    const file = `${MOCK}/sig_env_with_metadata.json`;
    const env = () => parseEnvelope(read(file), 'application/jose+json');
    const selfStores = () =>
      createTrustStores([
        {
          type: 'ca',
          name: 'self',
          certificates: parseStoreCertificates(env().certificateChain[0]!.der, 'ca', 'self'),
        },
      ]);
    const at = new Date('2023-01-11T18:10:00Z');
    const run = (userMetadata?: Record<string, string>) =>
      new Verifier(
        {
          stores: selfStores(),
          policy: parseOciTrustPolicy({
            version: '1.0',
            trustPolicies: [
              {
                name: 'm',
                registryScopes: ['*'],
                signatureVerification: { level: 'strict' },
                trustStores: ['ca:self'],
                trustedIdentities: ['*'],
              },
            ],
          }),
        },
        { now: () => at },
      ).verify({
        artifact: `localhost:5000/net-monitor@${env().payload.targetArtifact.digest}`,
        envelope: read(file),
        mediaType: 'application/jose+json',
        ...(userMetadata ? { userMetadata } : {}),
      });

    test('verifies with matching user metadata', async () => {
      const o = await run({ 'io.wabbit-networks.buildId': '123' });
      expect(o.error).toBeUndefined();
      expect(o.ok).toBe(true);
    });

    test('fails when user metadata is absent from the signature', async () => {
      const o = await run({ 'io.wabbit-networks.buildId': '124' });
      expect(o.ok).toBe(false);
      expect(o.error?.code).toBe('ERR_SIGNATURE_INVALID');
      expect(o.error?.message).toMatch(/metadata/);
    });
  });
});

describe('notation-go signatures of internal/testdata/oci-layout', () => {
  const manifestDigest = (): string => {
    const index = JSON.parse(read('internal/testdata/oci-layout/index.json').toString()) as {
      manifests: { digest: string }[];
    };
    return index.manifests[0]!.digest;
  };

  test.each([
    ['jws_signature.sig', 'application/jose+json'],
    ['cose_signature.sig', 'application/cose'],
  ])('%s is a valid signature over the layout manifest', async (file, mediaType) => {
    const bytes = read(`internal/testdata/${file}`);
    const env = parseEnvelope(bytes, mediaType);
    expect(env.payload.targetArtifact.digest).toBe(manifestDigest());
    const o = await new Verifier(
      trust({ stores: ['ca:valid-trust-store'], level: 'audit' }),
    ).verify({
      artifact: `localhost:5000/oci-layout@${manifestDigest()}`,
      envelope: bytes,
      mediaType,
    });
    expect(check(o, 'integrity')?.result).toBe('passed');
    expect(o.ok).toBe(true);
  });

  test('a signature does not verify for another artifact digest', async () => {
    const bytes = read('internal/testdata/jws_signature.sig');
    const o = await new Verifier(
      trust({ stores: ['ca:valid-trust-store'], level: 'audit' }),
    ).verify({
      artifact: `localhost:5000/oci-layout@sha256:${'1'.repeat(64)}`,
      envelope: bytes,
      mediaType: 'application/jose+json',
    });
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_SIGNATURE_INVALID');
  });
});

describe('authentic timestamp vectors (verifier/testdata/timestamp/sigEnv)', () => {
  const TS = 'verifier/testdata/timestamp/sigEnv';
  // The Go tests call the timestamp step on its own: these signers are in no
  // vector store, so authenticity is logged here to let the step run.
  const logAuth = { authenticity: 'log' };
  const withTsa = () =>
    trust({
      stores: ['ca:valid-trust-store', 'tsa:test-timestamp'],
      verifyTimestamp: 'always',
      override: logAuth,
    });

  test.each(['jwsWithTimestamp.sig', 'coseWithTimestamp.sig'])(
    '%s passes the authentic timestamp check',
    async (file) => {
      const o = await verifyVector(`${TS}/${file}`, withTsa());
      expect(check(o, 'authenticTimestamp')).toMatchObject({ result: 'passed' });
      expect(o.envelope?.timestamp?.genTime).toBeInstanceOf(Date);
    },
  );

  test.each(['jwsExpiredWithTimestamp.sig', 'coseExpiredWithTimestamp.sig'])(
    '%s: the expired signing certificate passes thanks to the timestamp',
    async (file) => {
      const o = await verifyVector(`${TS}/${file}`, withTsa());
      expect(check(o, 'authenticTimestamp')).toMatchObject({ result: 'passed' });
    },
  );

  test.each(['jwsExpiredWithTimestamp.sig', 'coseExpiredWithTimestamp.sig'])(
    '%s fails without a tsa store: certificate expired',
    async (file) => {
      const o = await verifyVector(
        `${TS}/${file}`,
        trust({ stores: ['ca:valid-trust-store'], override: logAuth }),
      );
      expect(check(o, 'authenticTimestamp')).toMatchObject({
        result: 'failed',
        action: 'enforced',
      });
      expect(check(o, 'authenticTimestamp')?.error?.message).toMatch(/expired/);
    },
  );

  test('withoutTimestamp.sig fails the authentic timestamp check when verifyTimestamp is always', async () => {
    const o = await verifyVector(`${TS}/withoutTimestamp.sig`, withTsa());
    expect(check(o, 'authenticTimestamp')).toMatchObject({ result: 'failed', action: 'enforced' });
    expect(o.error?.code).toBe('ERR_TIMESTAMP_INVALID');
    expect(o.error?.message).toMatch(/no timestamp countersignature/);
  });

  test.each(['timestampBeforeNotBefore.sig', 'timestampAfterNotAfter.sig'])(
    '%s: a timestamp outside the signing certificate validity fails',
    async (file) => {
      const o = await verifyVector(`${TS}/${file}`, withTsa());
      expect(check(o, 'authenticTimestamp')).toMatchObject({
        result: 'failed',
        action: 'enforced',
      });
      expect(o.ok).toBe(false);
    },
  );

  test('a wrong TSA root (tsa:test-mismatch) fails the authentic timestamp check', async () => {
    const o = await verifyVector(
      `${TS}/jwsWithTimestamp.sig`,
      trust({
        stores: ['ca:valid-trust-store', 'tsa:test-mismatch'],
        verifyTimestamp: 'always',
        override: logAuth,
      }),
    );
    expect(check(o, 'authenticTimestamp')).toMatchObject({ result: 'failed', action: 'enforced' });
    expect(o.error?.code).toBe('ERR_TIMESTAMP_INVALID');
  });

  test('authentic timestamp failure is only logged under permissive', async () => {
    const o = await verifyVector(
      `${TS}/withoutTimestamp.sig`,
      trust({
        stores: ['ca:valid-trust-store', 'tsa:test-timestamp'],
        level: 'permissive',
        override: logAuth,
      }),
    );
    expect(check(o, 'authenticTimestamp')).toMatchObject({ result: 'failed', action: 'logged' });
  });
});
