/**
 * Generates tuf-fixtures/: a demo TUF trust repository (trust policy, two
 * named CA stores, an empty deny list) and the DEMO-ONLY keys and certificates
 * a later step signs sample artifacts with.
 *
 * Run with `npm run fixtures`. Reproducibility:
 * - TUF keys are derived from a fixed seed (Ed25519, deterministic signatures)
 *   and every date comes from FIXTURE_EPOCH, so the TUF metadata is
 *   byte-identical on every run given the same certificates.
 * - X.509 keys and certificates cannot be derived (WebCrypto generates the
 *   keys; ECDSA signatures are randomised), so they are made once and reused
 *   from tuf-fixtures/keys/ on later runs; pass `--fresh` to make new ones
 *   (which changes every target hash and thus the metadata).
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { privateKeyPem, TrustRepository, type LocalRepoKey } from '../src/repo';
import {
  createCertificate,
  generateKey,
  KeyUsage,
  OID,
  type TestChain,
  type TestKey,
} from '../test/helpers/pki';
import { signEnvelope, type TestEnvelopeMediaType } from '../test/helpers/signer';

/** Every fixture date is derived from this instant (notBefore of the certificates, metadata clock). */
const FIXTURE_EPOCH = new Date('2026-01-01T00:00:00Z');
/** Everything (TUF roles and certificates) stays valid 10 years, so the demo keeps working. */
const FIXTURE_EXPIRY = new Date('2036-01-01T00:00:00Z');
/** Seed of the TUF keys. Public on purpose: these keys protect nothing. */
const TUF_SEED = 'tuf-notary demo fixtures - NOT SECRET - never use these keys';

const WARNING =
  'DEMO ONLY - NOT SECRET. These keys are published in the tuf-notary repository and protect nothing. Never trust them outside tests and demos.';

/** The publishers of the demo: each gets a CA store and a code-signing chain. */
const PUBLISHERS = [
  {
    store: 'wabbit-networks',
    org: 'wabbit-networks.io',
    signer: 'C=US,ST=WA,L=Seattle,O=wabbit-networks.io,OU=Finance,CN=SecureBuilder',
    identity:
      'x509.subject: C=US, ST=WA, L=Seattle, O=wabbit-networks.io, OU=Finance, CN=SecureBuilder',
    policy: 'wabbit-networks-images',
    scope: 'registry.example.com/wabbit-networks/net-monitor',
  },
  {
    store: 'acme-rockets',
    org: 'acme-rockets.io',
    signer: 'C=US,ST=WA,L=Seattle,O=acme-rockets.io,OU=Engineering,CN=RocketBuilder',
    identity:
      'x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Engineering, CN=RocketBuilder',
    policy: 'acme-rockets',
    scope: 'registry.example.com/acme-rockets/rocket-launcher',
  },
] as const;

/** PEM files of one publisher's chain, as written under keys/notary/<store>/. */
interface ChainFiles {
  'root.crt': string;
  'intermediate.crt': string;
  'leaf.crt': string;
  'leaf.key': string;
  'intermediate.key': string;
  'root.key': string;
}

function repoRoot(): string {
  // Compiled to build/scripts/, run from source by ts tools: find the package root either way.
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  return path.basename(dir) === 'build' ? path.dirname(dir) : dir;
}

function keyPem(key: TestKey): string {
  return String(key.privateKeyObject.export({ format: 'pem', type: 'pkcs8' }));
}

/** Makes root (10 y) → intermediate → code-signing leaf, all valid until FIXTURE_EXPIRY. */
async function makeChain(p: (typeof PUBLISHERS)[number]): Promise<ChainFiles> {
  const validity = { notBefore: FIXTURE_EPOCH, notAfter: FIXTURE_EXPIRY };
  const rootKey = await generateKey('ec-p384');
  const intermediateKey = await generateKey('ec-p384');
  const leafKey = await generateKey('ec-p256');
  const root = await createCertificate({
    ...validity,
    subject: `C=US,ST=WA,O=${p.org},CN=${p.org} Demo Root CA`,
    key: rootKey,
    basicConstraints: { ca: true },
    keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
  });
  const intermediate = await createCertificate({
    ...validity,
    subject: `C=US,ST=WA,O=${p.org},CN=${p.org} Demo Intermediate CA`,
    key: intermediateKey,
    issuer: { cert: root, key: rootKey },
    basicConstraints: { ca: true, pathLength: 0 },
    keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
  });
  const leaf = await createCertificate({
    ...validity,
    subject: p.signer,
    key: leafKey,
    issuer: { cert: intermediate, key: intermediateKey },
    basicConstraints: false,
    keyUsage: KeyUsage.digitalSignature,
    extKeyUsage: [OID.codeSigning],
  });
  return {
    'root.crt': root.pem,
    'intermediate.crt': intermediate.pem,
    'leaf.crt': leaf.pem,
    'leaf.key': keyPem(leafKey),
    'intermediate.key': keyPem(intermediateKey),
    'root.key': keyPem(rootKey),
  };
}

/** Reuses the chain under keys/notary/<store>/ when every file is there (see the header). */
async function loadOrMakeChain(
  dir: string,
  p: (typeof PUBLISHERS)[number],
  fresh: boolean,
): Promise<ChainFiles> {
  const names: (keyof ChainFiles)[] = [
    'root.crt',
    'intermediate.crt',
    'leaf.crt',
    'leaf.key',
    'intermediate.key',
    'root.key',
  ];
  if (!fresh && names.every((n) => existsSync(path.join(dir, n)))) {
    const entries = await Promise.all(
      names.map(async (n) => [n, await readFile(path.join(dir, n), 'utf8')] as const),
    );
    return Object.fromEntries(entries) as unknown as ChainFiles;
  }
  return makeChain(p);
}

function trustPolicy(): string {
  const policy = {
    version: '1.0',
    trustPolicies: PUBLISHERS.map((p) => ({
      name: p.policy,
      registryScopes: [p.scope],
      signatureVerification: { level: 'strict' },
      trustStores: [`ca:${p.store}`],
      trustedIdentities: [p.identity],
    })),
  };
  return JSON.stringify(policy, null, 2) + '\n';
}

async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

async function main(): Promise<void> {
  const fresh = process.argv.includes('--fresh');
  const out = path.join(repoRoot(), 'tuf-fixtures');
  const keysDir = path.join(out, 'keys');

  const chains = new Map<string, ChainFiles>();
  for (const p of PUBLISHERS) {
    chains.set(p.store, await loadOrMakeChain(path.join(keysDir, 'notary', p.store), p, fresh));
  }

  const expires = Object.fromEntries(
    ['root', 'targets', 'snapshot', 'timestamp'].map((r) => [r, FIXTURE_EXPIRY]),
  );
  const repo = TrustRepository.create({ seed: TUF_SEED, now: () => FIXTURE_EPOCH, expires });
  const content = new Map<string, string>([
    ['trustpolicy.oci.json', trustPolicy()],
    ['revocations.json', JSON.stringify({ version: 1, certificates: [] }, null, 2) + '\n'],
  ]);
  for (const p of PUBLISHERS) {
    content.set(`truststore/x509/ca/${p.store}.pem`, chains.get(p.store)!['root.crt']);
  }
  for (const [targetPath, text] of content) repo.setTarget(targetPath, Buffer.from(text));
  repo.publish();

  // Rebuild the generated parts from scratch; keep the reused certificates.
  for (const sub of ['repository', 'content', 'root.json', 'keys/tuf']) {
    await rm(path.join(out, sub), { recursive: true, force: true });
  }
  await repo.writeTo(path.join(out, 'repository'));
  await writeFile(path.join(out, 'root.json'), repo.rootBytes(1));
  for (const [targetPath, text] of content)
    await writeText(path.join(out, 'content', targetPath), text);

  for (const [store, files] of chains) {
    for (const [name, text] of Object.entries(files)) {
      await writeText(path.join(keysDir, 'notary', store, name), text);
    }
    await writeText(
      path.join(keysDir, 'notary', store, 'chain.pem'),
      files['leaf.crt'] + files['intermediate.crt'],
    );
  }
  for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
    for (const [i, key] of repo.keys(role).entries()) {
      await writeText(
        path.join(keysDir, 'tuf', `${role}-${i + 1}.key.pem`),
        privateKeyPem(key as LocalRepoKey),
      );
    }
  }
  await writeText(path.join(keysDir, 'DEMO-ONLY-NOT-SECRET.txt'), WARNING + '\n');
  await writeSamples(path.join(out, 'samples'), chains);
  await writeText(path.join(out, 'README.md'), readme());
  console.log(`wrote ${out} (root v${repo.version('root')}, targets v${repo.version('targets')})`);
}

/** One sample the demo verifies, with the verdict it must reach. */
interface Sample {
  readonly name: string;
  readonly reference: string;
  readonly envelope: string;
  readonly mediaType: TestEnvelopeMediaType;
  readonly expect: 'verified' | 'failed';
  readonly why: string;
}

/** The signer parts of a stored chain: its certificates and the leaf key. */
function signerOf(files: ChainFiles): { chain: TestChain; certificates: Uint8Array[] } {
  const leafKey = createPrivateKey(files['leaf.key']);
  const chain = {
    leafKey: { privateKeyObject: leafKey, publicKeyObject: createPublicKey(leafKey) },
  } as unknown as TestChain;
  const der = (pem: string): Uint8Array => new X509Certificate(pem).raw;
  return {
    chain,
    certificates: [der(files['leaf.crt']), der(files['intermediate.crt']), der(files['root.crt'])],
  };
}

/**
 * Signed sample artifacts for `npm run demo`: a good JWS and a good COSE
 * signature, a tampered envelope, and a signature by a publisher the policy
 * does not trust for that repository. Envelope bytes change on every run
 * (ECDSA signatures are randomised); the verdicts do not.
 */
async function writeSamples(dir: string, chains: Map<string, ChainFiles>): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
      },
      layers: [],
      annotations: { 'org.opencontainers.image.title': 'net-monitor demo artifact' },
    }) + '\n',
  );
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  const reference = `${PUBLISHERS[0].scope}@${digest}`;
  const targetArtifact = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest,
    size: manifest.length,
  };
  const signingTime = new Date(FIXTURE_EPOCH.getTime() + 86400_000);
  const wabbit = signerOf(chains.get('wabbit-networks')!);
  const acme = signerOf(chains.get('acme-rockets')!);
  const samples: (Sample & { bytes: Uint8Array })[] = [
    {
      name: 'good JWS signature by wabbit-networks',
      envelope: 'net-monitor.good.jws.sig',
      mediaType: 'application/jose+json',
      expect: 'verified',
      why: 'signed by the publisher the policy trusts for this repository',
      reference,
      bytes: signEnvelope('application/jose+json', { ...wabbit, targetArtifact, signingTime }),
    },
    {
      name: 'good COSE signature by wabbit-networks',
      envelope: 'net-monitor.good.cose.sig',
      mediaType: 'application/cose',
      expect: 'verified',
      why: 'the same, in the COSE envelope format',
      reference,
      bytes: signEnvelope('application/cose', { ...wabbit, targetArtifact, signingTime }),
    },
    {
      name: 'tampered signature',
      envelope: 'net-monitor.tampered.jws.sig',
      mediaType: 'application/jose+json',
      expect: 'failed',
      why: 'a byte of the signed payload was changed after signing: integrity fails',
      reference,
      bytes: signEnvelope('application/jose+json', {
        ...wabbit,
        targetArtifact,
        signingTime,
        tamper: 'payload',
      }),
    },
    {
      name: 'signature by an untrusted publisher',
      envelope: 'net-monitor.untrusted.jws.sig',
      mediaType: 'application/jose+json',
      expect: 'failed',
      why: 'acme-rockets signed it, but the policy trusts only ca:wabbit-networks for this repository',
      reference,
      bytes: signEnvelope('application/jose+json', { ...acme, targetArtifact, signingTime }),
    },
  ];
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'net-monitor.manifest.json'), manifest);
  for (const s of samples) await writeFile(path.join(dir, s.envelope), s.bytes);
  const index = samples.map(({ bytes: _bytes, ...s }) => s);
  await writeText(path.join(dir, 'samples.json'), JSON.stringify(index, null, 2) + '\n');
}

function readme(): string {
  return `# tuf-fixtures (generated by \`npm run fixtures\`; do not edit)

A demo TUF trust repository for tuf-notary, and the keys to sign sample artifacts.

> ${WARNING}

| path | what |
|---|---|
| \`root.json\` | root v1: what a client pins (\`TrustClient.open({ root })\`) |
| \`repository/metadata/\` | TUF metadata, consistent snapshots (\`N.root.json\`, \`N.snapshot.json\`, \`N.targets.json\`, \`timestamp.json\`) |
| \`repository/targets/\` | target files named \`<sha256>.<name>\` |
| \`content/\` | the same targets under their plain names, for reading |
| \`keys/notary/<store>/\` | per publisher: \`root.crt\` (the \`ca:<store>\` trust store), \`intermediate.crt\`, \`leaf.crt\` (code signing), \`chain.pem\` (leaf + intermediate), and their PKCS#8 private keys |
| \`keys/tuf/\` | the TUF role keys (Ed25519, derived from a public seed in scripts/make-fixtures.ts) |
| \`samples/\` | a demo artifact manifest and signatures of it: good (JWS, COSE), tampered, and by an untrusted publisher; \`samples.json\` lists each with the verdict \`npm run demo\` must reach |

Targets: \`trustpolicy.oci.json\` (statements ${PUBLISHERS.map((p) => `\`${p.policy}\` → \`ca:${p.store}\``).join(', ')}),
${PUBLISHERS.map((p) => `\`truststore/x509/ca/${p.store}.pem\``).join(', ')}, and an empty \`revocations.json\`.

Every TUF role and certificate is valid from ${FIXTURE_EPOCH.toISOString()} until ${FIXTURE_EXPIRY.toISOString()}.

Reproducibility: the TUF metadata is byte-identical on every run for the same
certificates (derived Ed25519 keys, fixed clock). Certificates and their keys
are random; they are created once and reused on later runs — \`npm run fixtures -- --fresh\`
makes new ones (and so new target hashes and metadata).
`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
