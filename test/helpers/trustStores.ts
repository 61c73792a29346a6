/**
 * Fixtures for the trust stage: temporary Notation configuration directories
 * built from the real notation-go trust store vectors or from test PKI
 * certificates, and a stores builder for in-memory tests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StoreType, TrustedCertificate } from '../../src/trust/types';
import type { TestCert } from './pki';
import { NOTATION_VECTORS } from './vectors';

/** The notation-go trust store vectors (`shared/` is the sibling of the repository). */
export const TRUSTSTORE_VECTORS = path.join(
  NOTATION_VECTORS,
  'verifier',
  'testdata',
  'truststore',
  'x509',
);

/** Bytes of one vector file, by its path under `truststore/x509/`. */
export function vectorBytes(relative: string): Buffer {
  return fs.readFileSync(path.join(TRUSTSTORE_VECTORS, relative));
}

const created: string[] = [];

/** A fresh empty directory under the OS temp folder, removed by {@link removeTempDirs}. */
export function makeTempDir(prefix = 'tuf-notary-trust-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every directory {@link makeTempDir} created (call in afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** `DIR/truststore/x509/<type>/<name>` of a configuration directory. */
export function storeDir(configDir: string, type: StoreType | string, name: string): string {
  return path.join(configDir, 'truststore', 'x509', type, name);
}

/**
 * Copies a vector store folder (path under `truststore/x509/`, e.g.
 * `ca/valid-trust-store`) into `configDir` as store `type:name`, regular files
 * and sub-directories alike. Returns the new store directory.
 */
export function copyVectorStore(
  configDir: string,
  vectorStore: string,
  type: StoreType | string,
  name = path.basename(vectorStore),
): string {
  const dest = storeDir(configDir, type, name);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.cpSync(path.join(TRUSTSTORE_VECTORS, vectorStore), dest, { recursive: true });
  // The vectors are read-only; the copies must be removable.
  chmodTree(dest);
  return dest;
}

function chmodTree(p: string): void {
  const stat = fs.lstatSync(p);
  if (stat.isSymbolicLink()) return;
  fs.chmodSync(p, stat.isDirectory() ? 0o755 : 0o644);
  if (stat.isDirectory()) for (const e of fs.readdirSync(p)) chmodTree(path.join(p, e));
}

/** Writes test certificates as one PEM bundle file into store `type:name`. */
export function writeStoreFile(
  configDir: string,
  type: StoreType | string,
  name: string,
  file: string,
  certs: readonly TestCert[] | Buffer | string,
): string {
  const dir = storeDir(configDir, type, name);
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, file);
  const content = Array.isArray(certs) ? certs.map((c) => c.pem).join('') : certs;
  fs.writeFileSync(target, content as string | Buffer);
  return target;
}

/** Writes a JSON document (e.g. a trust policy) into the configuration directory. */
export function writeJson(configDir: string, file: string, doc: unknown): string {
  const target = path.join(configDir, file);
  fs.writeFileSync(target, JSON.stringify(doc, null, 2));
  return target;
}

/** A minimal valid OCI trust policy naming `stores` for every registry. */
export function ociPolicy(stores: string[], name = 'everything') {
  return {
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
  };
}

/** A minimal valid blob trust policy naming `stores`. */
export function blobPolicy(stores: string[], name = 'blobs') {
  return {
    version: '1.0',
    trustPolicies: [
      {
        name,
        signatureVerification: { level: 'strict' },
        trustStores: stores,
        trustedIdentities: ['*'],
      },
    ],
  };
}

/** A TrustedCertificate made from a test certificate without the parser (for lookups). */
export function trustedFromTestCert(cert: TestCert): TrustedCertificate {
  return {
    fingerprint: cert.sha256,
    subject: cert.subject,
    notAfter: cert.cert.notAfter,
    pem: cert.pem,
    der: new Uint8Array(cert.der),
  };
}
