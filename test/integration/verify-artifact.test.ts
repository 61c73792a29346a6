/**
 * verifier.verifyArtifact and `tuf-notary verify REFERENCE` / `signatures`
 * against Debian's docker-registry on 127.0.0.1: discovery through the
 * referrers tag schema, the first passing signature wins, every attempt is
 * reported, and the request budget holds (1 resolve + 1 listing + ≤ 2 per
 * signature, plus the one 404 that detects a registry without the API).
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import { parseOciTrustPolicy } from '../../src/policy';
import { RegistryClient, parseReference, type ResolvedArtifact } from '../../src/registry';
import { createTrustStores, exportNotationConfig, parseStoreCertificates } from '../../src/trust';
import type { VerifierTrust } from '../../src/trust/types';
import { Verifier } from '../../src/verify';
import type { TestChain } from '../helpers/pki';
import { startRegistry, type RunningRegistry } from '../helpers/registry';
import { signEnvelope, type TestEnvelopeMediaType } from '../helpers/signer';

const KEYS = path.resolve(__dirname, '..', '..', 'tuf-fixtures', 'keys', 'notary');

/** A demo publisher's chain from tuf-fixtures/keys, as the test signer wants it. */
function publisher(store: string) {
  const read = (f: string) => readFileSync(path.join(KEYS, store, f), 'utf8');
  const key = createPrivateKey(read('leaf.key'));
  const chain = {
    leafKey: { privateKeyObject: key, publicKeyObject: createPublicKey(key) },
  } as unknown as TestChain;
  const der = (f: string) => new X509Certificate(read(f)).raw;
  return {
    chain,
    certificates: [der('leaf.crt'), der('intermediate.crt'), der('root.crt')],
    root: read('root.crt'),
  };
}

const wabbit = publisher('wabbit-networks');
const acme = publisher('acme-rockets');

function trust(level = 'strict'): VerifierTrust {
  return {
    stores: createTrustStores([
      {
        type: 'ca',
        name: 'wabbit-networks',
        certificates: parseStoreCertificates(Buffer.from(wabbit.root), 'ca', 'wabbit-networks'),
      },
    ]),
    policy: parseOciTrustPolicy({
      version: '1.0',
      trustPolicies: [
        {
          name: 'skipped',
          registryScopes: [`${registry.host}/skipped/app`],
          signatureVerification: { level: 'skip' },
          trustStores: [],
          trustedIdentities: [],
        },
        {
          name: 'all',
          registryScopes: ['*'],
          signatureVerification: { level },
          trustStores: ['ca:wabbit-networks'],
          trustedIdentities: ['*'],
        },
      ],
    }),
  };
}

let registry: RunningRegistry;
let client: RegistryClient;
const dirs: string[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient();
});
afterAll(async () => {
  await registry?.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

let counter = 0;
/** Pushes a fresh artifact `<host>/<repo>:v1` and signs it with each signer given. */
async function artifact(
  repo: string,
  signers: { who: typeof wabbit; mediaType?: TestEnvelopeMediaType; tamper?: 'payload' }[],
): Promise<ResolvedArtifact> {
  const ref = parseReference(`${registry.host}/${repo}:v1`);
  const config = Buffer.from('{}');
  await client.pushBlob(ref, config, 'application/vnd.oci.empty.v1+json');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: `sha256:${createHash('sha256').update(config).digest('hex')}`,
        size: 2,
      },
      layers: [],
      annotations: { n: String(counter++) },
    }),
  );
  await client.pushManifest(ref, manifest, 'application/vnd.oci.image.manifest.v1+json');
  const resolved = await client.resolve(ref);
  for (const s of signers) {
    const mediaType = s.mediaType ?? 'application/jose+json';
    const envelope = signEnvelope(mediaType, {
      chain: s.who.chain,
      certificates: s.who.certificates,
      targetArtifact: { ...resolved.descriptor },
      ...(s.tamper ? { tamper: s.tamper } : {}),
    });
    await client.pushSignature(resolved, envelope, mediaType);
  }
  return resolved;
}

describe('verifyArtifact', () => {
  test('a tag reference with one good signature verifies, warns about the tag, and stays within the request budget', async () => {
    const resolved = await artifact('team/app', [{ who: wabbit }]);
    const fresh = new RegistryClient();
    const o = await new Verifier(trust()).verifyArtifact(`${registry.host}/team/app:v1`, {
      registry: fresh,
    });
    expect(o.error).toBeUndefined();
    expect(o.ok).toBe(true);
    expect(o.artifact).toEqual({
      reference: `${registry.host}/team/app:v1`,
      digest: resolved.descriptor.digest,
      byTag: true,
    });
    expect(o.warnings.join('\n')).toMatch(/resolved by tag/);
    expect(o.signatures).toHaveLength(1);
    // 1 resolve + 1 referrers probe (404: no API) + 1 tag-schema listing + 2 for the signature.
    expect(fresh.requestCount).toBeLessThanOrEqual(5);
  });

  test('a digest reference does not warn', async () => {
    const resolved = await artifact('team/digest', [
      { who: wabbit, mediaType: 'application/cose' },
    ]);
    const o = await new Verifier(trust()).verifyArtifact(
      `${registry.host}/team/digest@${resolved.descriptor.digest}`,
      { registry: client },
    );
    expect(o.ok).toBe(true);
    expect(o.artifact?.byTag).toBe(false);
    expect(o.warnings).toEqual([]);
  });

  test('many signatures with one good: it is found and every earlier failure is listed', async () => {
    await artifact('team/many', [
      { who: acme },
      { who: wabbit, tamper: 'payload' },
      { who: acme },
      { who: wabbit },
    ]);
    const o = await new Verifier(trust()).verifyArtifact(`${registry.host}/team/many:v1`, {
      registry: client,
    });
    expect(o.ok).toBe(true);
    const failed = o.signatures!.filter((s) => !s.ok);
    expect(o.signatures!.filter((s) => s.ok)).toHaveLength(1);
    expect(o.signatures).toHaveLength(4); // registry order: the good one was pushed last
    expect(failed).toHaveLength(3);
    for (const f of failed)
      expect(['ERR_UNTRUSTED_SIGNER', 'ERR_SIGNATURE_INVALID']).toContain(f.error?.code);
  });

  test('none good: the outcome fails and lists why each signature failed', async () => {
    await artifact('team/bad', [{ who: acme }, { who: wabbit, tamper: 'payload' }]);
    const o = await new Verifier(trust()).verifyArtifact(`${registry.host}/team/bad:v1`, {
      registry: client,
    });
    expect(o.ok).toBe(false);
    expect(o.signatures).toHaveLength(2);
    expect(o.error?.message).toMatch(/none of the 2 signature/);
    expect(o.signatures!.map((s) => s.error?.code).sort()).toEqual([
      'ERR_SIGNATURE_INVALID',
      'ERR_UNTRUSTED_SIGNER',
    ]);
  });

  test('an unsigned artifact fails with no signature found', async () => {
    await artifact('team/unsigned', []);
    const o = await new Verifier(trust()).verifyArtifact(`${registry.host}/team/unsigned:v1`, {
      registry: client,
    });
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_UNTRUSTED_SIGNER');
    expect(o.error?.message).toMatch(/no signature is associated/);
    expect(o.checks.map((c) => c.result)).toEqual([
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
  });

  test('an unsigned artifact under audit still fails: there is nothing to verify', async () => {
    const o = await new Verifier(trust('audit')).verifyArtifact(
      `${registry.host}/team/unsigned:v1`,
      { registry: client },
    );
    expect(o.ok).toBe(false);
  });

  test('a skip policy succeeds without contacting the registry', async () => {
    const fresh = new RegistryClient();
    const o = await new Verifier(trust()).verifyArtifact(`${registry.host}/skipped/app:v1`, {
      registry: fresh,
    });
    expect(o.ok).toBe(true);
    expect(o.level).toBe('skip');
    expect(fresh.requestCount).toBe(0);
  });

  test('maxSignatures stops the evaluation and says so', async () => {
    await artifact('team/limit', [{ who: acme }, { who: acme }, { who: acme }, { who: wabbit }]);
    const o = await new Verifier(trust()).verifyArtifact(`${registry.host}/team/limit:v1`, {
      registry: client,
      maxSignatures: 2,
    });
    expect(o.ok).toBe(false);
    expect(o.signatures!.length).toBeLessThanOrEqual(2);
    expect(o.error?.message).toMatch(/limit of 2 signatures/);
  });

  test('an unknown reference throws ERR_REGISTRY', async () => {
    await expect(
      new Verifier(trust()).verifyArtifact(`${registry.host}/team/none:v1`, { registry: client }),
    ).rejects.toMatchObject({ code: 'ERR_REGISTRY' });
  });
});

describe('tuf-notary verify REFERENCE and signatures (registry discovery)', () => {
  async function run(...argv: string[]): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const log = jest
      .spyOn(console, 'log')
      .mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const err = jest
      .spyOn(console, 'error')
      .mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    try {
      return { code: await main(argv), out: out.join('\n') };
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  }

  let notationDir: string;
  beforeAll(async () => {
    notationDir = path.join(mkdtempSync(path.join(tmpdir(), 'tuf-notary-cli-reg-')), 'notation');
    dirs.push(path.dirname(notationDir));
    const t = trust();
    await exportNotationConfig({ policy: t.policy!, stores: t.stores }, notationDir);
    await artifact('cli/good', [{ who: wabbit }]);
    await artifact('cli/bad', [{ who: acme }]);
  });

  test('verify discovers and verifies (exit 0), --json includes the attempts', async () => {
    const r = await run(
      'verify',
      `${registry.host}/cli/good:v1`,
      '--notation-dir',
      notationDir,
      '--json',
    );
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out);
    expect(o.ok).toBe(true);
    expect(o.signatures).toHaveLength(1);
  });

  test('verify of an untrusted signature exits 1', async () => {
    const r = await run('verify', `${registry.host}/cli/bad:v1`, '--notation-dir', notationDir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAILED/);
  });

  test('signatures lists what the registry holds', async () => {
    const r = await run('signatures', `${registry.host}/cli/good:v1`, '--json');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out);
    expect(o.artifact.byTag).toBe(true);
    expect(o.signatures).toHaveLength(1);
    expect(o.signatures[0].artifactType).toBe('application/vnd.cncf.notary.signature');
  });

  test('an unreachable registry exits 3', async () => {
    const r = await run('signatures', '127.0.0.1:9/nothing/here:v1');
    expect(r.code).toBe(3);
  });
});
