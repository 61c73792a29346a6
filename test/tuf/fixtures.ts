/**
 * Fixtures for TrustClient tests: a TUF trust repository built with
 * TrustRepository, served by the static test server on 127.0.0.1, with CA
 * certificates from the test PKI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrustRepository, type CreateRepositoryOptions } from '../../src/repo';
import {
  createCertificate,
  generateKey,
  KeyUsage,
  type TestCert,
  type TestKeyType,
} from '../helpers/pki';
import { startStaticServer, type StaticServer } from '../helpers/server';

const DAY = 86_400_000;
const tempDirs: string[] = [];

/** A temp dir removed by {@link removeTempDirs}. */
export function tempDir(prefix = 'tuf-client-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every temp dir made by {@link tempDir}. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A self-signed CA certificate named `name`. */
export async function makeCa(name: string, keyType: TestKeyType = 'ec-p256'): Promise<TestCert> {
  return createCertificate({
    subject: `C=US,ST=WA,O=${name},CN=${name} Root ${Math.random().toString(36).slice(2, 8)}`,
    key: await generateKey(keyType),
    basicConstraints: { ca: true },
    keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
    notAfter: new Date(Date.now() + 3650 * DAY),
  });
}

/** An OCI trust policy trusting `stores` (e.g. `['ca:acme']`) for every registry. */
export function ociPolicy(stores: string[], name = 'everything'): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      version: '1.0',
      trustPolicies: [
        {
          name,
          registryScopes: ['*'],
          signatureVerification: { level: 'strict' },
          trustStores: stores,
          trustedIdentities: ['*'],
        },
      ],
    }),
  );
}

/** A PEM bundle of certificates. */
export function bundle(...certs: TestCert[]): Uint8Array {
  return Buffer.from(certs.map((c) => c.pem).join('\n'));
}

/** revocations.json listing `certs`. */
export function revocations(...certs: TestCert[]): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      version: 1,
      certificates: certs.map((c) => ({
        sha256: c.sha256,
        reason: 'keyCompromise',
        revokedAt: new Date().toISOString(),
      })),
    }),
  );
}

/** A served trust repository. */
export interface ServedRepo {
  readonly repo: TrustRepository;
  readonly dir: string;
  readonly server: StaticServer;
  /** The pinned root (version 1). */
  readonly pin: Uint8Array;
  /** Publishes the repository and writes it where the server serves it. */
  publish(opts?: { timestampVersion?: number }): Promise<void>;
  /** Request paths seen since the last call (and forgets them). */
  takeRequests(): string[];
  close(): Promise<void>;
}

/**
 * Starts a repository with policy `ca:acme` and store `ca:acme` holding `acme`,
 * published once (every role version 1) and served on 127.0.0.1.
 */
export async function serveRepo(
  acme: TestCert,
  opts: CreateRepositoryOptions & { setup?: (repo: TrustRepository) => void } = {},
): Promise<ServedRepo> {
  const repo = TrustRepository.create(opts);
  repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme']));
  repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme));
  opts.setup?.(repo);
  repo.publish();
  const dir = tempDir('tuf-repo-');
  await repo.writeTo(dir);
  const server = await startStaticServer(dir);
  let seen = 0;
  return {
    repo,
    dir,
    server,
    pin: repo.rootBytes(1),
    async publish(o = {}) {
      repo.publish();
      await repo.writeTo(dir, o);
    },
    takeRequests() {
      const paths = server.requests.slice(seen).map((r) => r.path);
      seen = server.requests.length;
      return paths;
    },
    close: () => server.close(),
  };
}
