import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, TufNotaryError } from '../../src/errors';
import {
  createTrustStores,
  exportNotationConfig,
  loadNotationConfig,
  NOTATION_CONFIG_LIMITS,
  parseStoreCertificates,
  type TrustedCertificate,
  type TrustStores,
} from '../../src/trust';
import { parseOciTrustPolicy, parseBlobTrustPolicy } from '../../src/policy';
import { createCodeSigningChain, type TestChain } from '../helpers/pki';
import {
  blobPolicy,
  copyVectorStore,
  makeTempDir,
  ociPolicy,
  removeTempDirs,
  storeDir,
  TRUSTSTORE_VECTORS,
  writeJson,
  writeStoreFile,
} from '../helpers/trustStores';

/** Stores as comparable data: certificates sorted by fingerprint (export names files by it). */
function storesOf(stores: TrustStores): { store: string; certificates: TrustedCertificate[] }[] {
  return stores.list().map((s) => ({
    store: `${s.type}:${s.name}`,
    certificates: [...s.certificates].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1)),
  }));
}

async function loadError(dir: string): Promise<TufNotaryError> {
  try {
    await loadNotationConfig(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(TufNotaryError);
    return err as TufNotaryError;
  }
  throw new Error('expected loadNotationConfig to fail');
}

let chain: TestChain;
let tsaChain: TestChain;
beforeAll(async () => {
  chain = await createCodeSigningChain({ name: 'Acme' });
  tsaChain = await createCodeSigningChain({ name: 'Stamp', timeStamping: true });
});
afterAll(removeTempDirs);

describe('notation config: valid stores from the notation-go vectors', () => {
  test('ca, signingAuthority and tsa stores load with DER and PEM files mixed', async () => {
    const dir = makeTempDir();
    copyVectorStore(dir, 'ca/valid-trust-store', 'ca');
    copyVectorStore(dir, 'ca/valid-trust-store-2', 'ca');
    copyVectorStore(dir, 'ca/valid-trust-store-self-signed', 'ca');
    copyVectorStore(dir, 'signingAuthority/valid-trust-store', 'signingAuthority');
    copyVectorStore(dir, 'tsa/test-timestamp', 'tsa');
    const config = await loadNotationConfig(dir);
    expect(config.stores.list().map((s) => `${s.type}:${s.name}:${s.certificates.length}`)).toEqual(
      [
        // valid-trust-store: 6 files, GlobalSign.der and GlobalSignRootCA.crt are one certificate
        'ca:valid-trust-store:5',
        'ca:valid-trust-store-2:1',
        'ca:valid-trust-store-self-signed:1',
        'signingAuthority:valid-trust-store:2',
        'tsa:test-timestamp:1',
      ],
    );
    expect(config.policy).toBeUndefined();
    expect(config.blobPolicy).toBeUndefined();
    expect(config.warnings).toEqual([]);
  });

  test('a directory without truststore gives no stores', async () => {
    const config = await loadNotationConfig(makeTempDir());
    expect(config.stores.list()).toEqual([]);
  });
});

describe('notation config: invalid certificates fail the load', () => {
  test.each([
    [
      'ca/trust-store-with-leaf-certs',
      'ca',
      'failed to validate the trusted certificate non-ca.crt in trust store trust-store-with-leaf-certs of type ca',
    ],
    [
      'ca/trust-store-with-leaf-certs-in-single-file',
      'ca',
      'failed to validate the trusted certificate RootAndLeafCerts.crt in trust store trust-store-with-leaf-certs-in-single-file of type ca',
    ],
    [
      'ca/trust-store-with-invalid-certs',
      'ca',
      'failed to read the trusted certificate invalid in trust store trust-store-with-invalid-certs of type ca',
    ],
    ['tsa/test-nonCA', 'tsa', 'is not a root CA certificate'],
    ['tsa/test-nonSelfIssued', 'tsa', 'is not a root CA certificate'],
  ])('the vector store %s is refused', async (vector, type, fragment) => {
    const dir = makeTempDir();
    copyVectorStore(dir, 'ca/valid-trust-store-2', 'ca', 'good');
    copyVectorStore(dir, vector, type);
    const err = await loadError(dir);
    expect(err.code).toBe(ErrorCode.TRUST_INCOMPLETE);
    expect(err.message).toContain(fragment);
  });

  test('a leaf certificate in a store nobody references still fails the load (fail closed)', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'signingAuthority', 'unused', 'leaf.pem', [chain.leaf]);
    const err = await loadError(dir);
    expect(err.code).toBe(ErrorCode.TRUST_INCOMPLETE);
    expect(err.details).toMatchObject({ store: 'signingAuthority:unused' });
  });

  test('an empty file in a store fails the load', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'ca', 'acme', 'root.pem', [chain.root]);
    writeStoreFile(dir, 'ca', 'acme', '.keep', '');
    expect((await loadError(dir)).message).toContain(
      'failed to read the trusted certificate .keep',
    );
  });
});

describe('notation config: symlinks are refused (spec: MUST NOT be symlinks)', () => {
  test('a symlinked named-store directory is refused', async () => {
    const dir = makeTempDir();
    const real = copyVectorStore(dir, 'ca/valid-trust-store', 'ca');
    // Same shape as the vector ca/valid-trust-store_SYMLINK, as a real symlink.
    fs.symlinkSync(real, storeDir(dir, 'ca', 'valid-trust-store_SYMLINK'));
    const err = await loadError(dir);
    expect(err.code).toBe(ErrorCode.TRUST_INCOMPLETE);
    expect(err.message).toContain('the trust store valid-trust-store_SYMLINK of type ca with path');
    expect(err.message).toContain('is not a regular directory (symlinks are not supported)');
  });

  test('a symlinked certificate file is refused', async () => {
    const dir = makeTempDir();
    const store = copyVectorStore(dir, 'trust-store-with-cert-symlinks', 'ca');
    // The vector stores the link as a text file holding its target; make it a real link.
    const link = path.join(store, 'GlobalSignRootCA_SYMLINK.crt');
    const target = fs.readFileSync(link, 'utf8').trim();
    fs.rmSync(link);
    fs.symlinkSync(target, link);
    const err = await loadError(dir);
    expect(err.code).toBe(ErrorCode.TRUST_INCOMPLETE);
    expect(err.message).toContain(
      'trusted certificate GlobalSignRootCA_SYMLINK.crt in trust store trust-store-with-cert-symlinks of type ca is not a regular file (symlinks are not supported)',
    );
  });

  test('a symlink to a certificate outside the configuration is refused even when the target is valid', async () => {
    const dir = makeTempDir();
    const outside = path.join(makeTempDir(), 'root.pem');
    fs.writeFileSync(outside, chain.root.pem);
    fs.mkdirSync(storeDir(dir, 'ca', 'acme'), { recursive: true });
    fs.symlinkSync(outside, path.join(storeDir(dir, 'ca', 'acme'), 'root.pem'));
    expect((await loadError(dir)).message).toContain('is not a regular file');
  });

  test('a FIFO in a store is refused without blocking', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'ca', 'acme', 'root.pem', [chain.root]);
    execFileSync('mkfifo', [path.join(storeDir(dir, 'ca', 'acme'), 'pipe')]);
    expect((await loadError(dir)).message).toContain(
      'trusted certificate pipe in trust store acme of type ca is not a regular file',
    );
  });
});

describe('notation config: sub-directories inside a store are ignored with a warning (spec)', () => {
  test('the vector trust-store-with-directories loads its file and warns about sub-dir', async () => {
    const dir = makeTempDir();
    copyVectorStore(dir, 'trust-store-with-directories', 'ca');
    const config = await loadNotationConfig(dir);
    expect(config.stores.get('ca', 'trust-store-with-directories')).toHaveLength(1);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain(
      'ignored the sub-directory sub-dir of trust store trust-store-with-directories of type ca',
    );
  });

  test('certificates inside a sub-directory confer no trust', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'ca', 'acme', 'root.pem', [chain.root]);
    const nested = path.join(storeDir(dir, 'ca', 'acme'), 'nested');
    fs.mkdirSync(nested);
    fs.writeFileSync(path.join(nested, 'other.pem'), tsaChain.root.pem);
    const config = await loadNotationConfig(dir);
    expect(config.stores.get('ca', 'acme')?.map((c) => c.fingerprint)).toEqual([chain.root.sha256]);
  });
});

describe('notation config: entries that are not stores', () => {
  test('an empty store is left out with a warning', async () => {
    const dir = makeTempDir();
    fs.mkdirSync(storeDir(dir, 'ca', 'empty'), { recursive: true });
    const config = await loadNotationConfig(dir);
    expect(config.stores.get('ca', 'empty')).toBeUndefined();
    expect(config.warnings.join('\n')).toContain(
      'no x509 certificates were found in trust store "empty" of type "ca"',
    );
  });

  test('an unknown store type directory and a stray file are ignored with warnings', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'CA', 'acme', 'root.pem', [chain.root]);
    writeStoreFile(dir, 'ca', 'acme', 'root.pem', [chain.root]);
    fs.writeFileSync(path.join(dir, 'truststore', 'x509', 'ca', 'loose.pem'), chain.root.pem);
    const config = await loadNotationConfig(dir);
    expect(config.stores.list().map((s) => `${s.type}:${s.name}`)).toEqual(['ca:acme']);
    expect(config.warnings.join('\n')).toContain('"CA" is not a trust store type');
    expect(config.warnings.join('\n')).toContain('loose.pem');
  });

  test('a store directory with an invalid name is ignored with a warning', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'ca', 'acme rockets', 'root.pem', [chain.root]);
    const config = await loadNotationConfig(dir);
    expect(config.stores.list()).toEqual([]);
    expect(config.warnings.join('\n')).toContain('"acme rockets" is invalid');
  });

  test('a missing configuration directory is ERR_USAGE', async () => {
    const err = await loadError(path.join(makeTempDir(), 'nope'));
    expect(err.code).toBe(ErrorCode.USAGE);
  });
});

describe('notation config: bounds', () => {
  test('a store file larger than the limit is refused before it is parsed', async () => {
    const dir = makeTempDir();
    writeStoreFile(
      dir,
      'ca',
      'acme',
      'big.pem',
      Buffer.alloc(NOTATION_CONFIG_LIMITS.maxStoreFileBytes + 1, 0x41),
    );
    const err = await loadError(dir);
    expect(err.code).toBe(ErrorCode.TRUST_INCOMPLETE);
    expect(err.message).toContain(
      `more than the ${NOTATION_CONFIG_LIMITS.maxStoreFileBytes}-byte limit`,
    );
  });

  test('a store with more directory entries than the limit is refused before any is read', async () => {
    const dir = makeTempDir();
    const store = path.dirname(writeStoreFile(dir, 'ca', 'acme', 'root.pem', [chain.root]));
    for (let i = 0; i < NOTATION_CONFIG_LIMITS.maxDirectoryEntries; i++) {
      fs.writeFileSync(path.join(store, `junk-${i}`), '');
    }
    const err = await loadError(dir);
    expect(err.code).toBe(ErrorCode.TRUST_INCOMPLETE);
    expect(err.message).toContain(
      `more than ${NOTATION_CONFIG_LIMITS.maxDirectoryEntries} entries`,
    );
  });

  test('a policy file larger than the limit is refused', async () => {
    const dir = makeTempDir();
    fs.writeFileSync(
      path.join(dir, 'trustpolicy.oci.json'),
      Buffer.alloc(NOTATION_CONFIG_LIMITS.maxPolicyBytes + 1, 0x20),
    );
    const err = await loadError(dir);
    expect(err.code).toBe(ErrorCode.POLICY_INVALID);
  });
});

describe('notation config: trust policy files', () => {
  test('trustpolicy.oci.json and trustpolicy.blob.json are parsed', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'ca', 'acme', 'root.pem', [chain.root]);
    writeJson(dir, 'trustpolicy.oci.json', ociPolicy(['ca:acme']));
    writeJson(dir, 'trustpolicy.blob.json', blobPolicy(['ca:acme']));
    const config = await loadNotationConfig(dir);
    expect(config.policy).toEqual(parseOciTrustPolicy(JSON.stringify(ociPolicy(['ca:acme']))));
    expect(config.blobPolicy).toEqual(
      parseBlobTrustPolicy(JSON.stringify(blobPolicy(['ca:acme']))),
    );
    expect(config.warnings).toEqual([]);
  });

  test('the legacy trustpolicy.json is read when trustpolicy.oci.json does not exist', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'ca', 'legacy', 'root.pem', [chain.root]);
    writeJson(dir, 'trustpolicy.json', ociPolicy(['ca:legacy'], 'legacy'));
    const config = await loadNotationConfig(dir);
    expect(config.policy?.trustPolicies[0]?.name).toBe('legacy');
  });

  test('trustpolicy.oci.json wins over trustpolicy.json', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'ca', 'acme', 'root.pem', [chain.root]);
    writeJson(dir, 'trustpolicy.json', { broken: true });
    writeJson(dir, 'trustpolicy.oci.json', ociPolicy(['ca:acme'], 'new'));
    const config = await loadNotationConfig(dir);
    expect(config.policy?.trustPolicies[0]?.name).toBe('new');
  });

  test('a symlinked trust policy is refused', async () => {
    const dir = makeTempDir();
    const real = writeJson(makeTempDir(), 'policy.json', ociPolicy(['ca:acme']));
    fs.symlinkSync(real, path.join(dir, 'trustpolicy.oci.json'));
    const err = await loadError(dir);
    expect(err.code).toBe(ErrorCode.POLICY_INVALID);
    expect(err.message).toContain(
      'trust policy is not a regular file (symlinks are not supported)',
    );
  });

  test('an invalid trust policy is ERR_POLICY_INVALID naming the file', async () => {
    const dir = makeTempDir();
    writeJson(dir, 'trustpolicy.oci.json', { version: '2.0', trustPolicies: [] });
    const err = await loadError(dir);
    expect(err.code).toBe(ErrorCode.POLICY_INVALID);
    expect(err.message).toContain('trustpolicy.oci.json');
  });

  test('a store the policy names that does not exist is reported in warnings', async () => {
    const dir = makeTempDir();
    writeStoreFile(dir, 'ca', 'acme', 'root.pem', [chain.root]);
    writeJson(dir, 'trustpolicy.oci.json', ociPolicy(['ca:acme', 'tsa:missing']));
    const config = await loadNotationConfig(dir);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain('the trust store "missing" of type "tsa" does not exist');
  });
});

describe('notation config: export', () => {
  function trust() {
    return {
      policy: parseOciTrustPolicy(JSON.stringify(ociPolicy(['ca:acme', 'tsa:stamp']))),
      blobPolicy: parseBlobTrustPolicy(JSON.stringify(blobPolicy(['ca:acme']))),
      stores: createTrustStores([
        {
          type: 'ca',
          name: 'acme',
          certificates: parseStoreCertificates(
            Buffer.from(chain.root.pem + chain.intermediate.pem),
            'ca',
            'acme',
          ),
        },
        {
          type: 'tsa',
          name: 'stamp',
          certificates: parseStoreCertificates(Buffer.from(tsaChain.root.pem), 'tsa', 'stamp'),
        },
      ]),
    };
  }

  test('export then load gives the same policies and stores', async () => {
    const dir = path.join(makeTempDir(), 'notation');
    const t = trust();
    await exportNotationConfig(t, dir);
    const loaded = await loadNotationConfig(dir);
    expect(loaded.policy).toEqual(t.policy);
    expect(loaded.blobPolicy).toEqual(t.blobPolicy);
    expect(storesOf(loaded.stores)).toEqual(storesOf(t.stores));
    expect(loaded.warnings).toEqual([]);
  });

  test('one PEM file per certificate, named by fingerprint', async () => {
    const dir = path.join(makeTempDir(), 'notation');
    await exportNotationConfig(trust(), dir);
    expect(fs.readdirSync(storeDir(dir, 'ca', 'acme')).sort()).toEqual(
      [`${chain.root.sha256}.pem`, `${chain.intermediate.sha256}.pem`].sort(),
    );
    expect(
      fs.readFileSync(path.join(storeDir(dir, 'ca', 'acme'), `${chain.root.sha256}.pem`), 'utf8'),
    ).toContain('-----BEGIN CERTIFICATE-----');
  });

  test('the vector stores survive an export and load round trip', async () => {
    const src = makeTempDir();
    copyVectorStore(src, 'ca/valid-trust-store', 'ca');
    copyVectorStore(src, 'tsa/test-timestamp', 'tsa');
    const loaded = await loadNotationConfig(src);
    const dir = path.join(makeTempDir(), 'out');
    await exportNotationConfig({ policy: trust().policy, stores: loaded.stores }, dir);
    expect(storesOf((await loadNotationConfig(dir)).stores)).toEqual(storesOf(loaded.stores));
    expect(fs.existsSync(path.join(dir, 'trustpolicy.blob.json'))).toBe(false);
  });

  test('an existing empty directory is filled', async () => {
    const dir = makeTempDir();
    await exportNotationConfig(trust(), dir);
    expect(fs.existsSync(path.join(dir, 'trustpolicy.oci.json'))).toBe(true);
  });

  test('a non-empty directory is refused without replace and left untouched', async () => {
    const dir = makeTempDir();
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    let caught: unknown;
    await exportNotationConfig(trust(), dir).catch((err: unknown) => (caught = err));
    expect((caught as TufNotaryError).code).toBe(ErrorCode.USAGE);
    expect(fs.readdirSync(dir)).toEqual(['keep.txt']);
    // No temporary directory is left beside it.
    expect(
      fs.readdirSync(path.dirname(dir)).filter((n) => n.includes(path.basename(dir) + '.tmp-')),
    ).toEqual([]);
  });

  test('replace: true swaps the old configuration for the new one and leaves nothing behind', async () => {
    const parent = makeTempDir();
    const dir = path.join(parent, 'notation');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'old.txt'), 'old');
    await exportNotationConfig(trust(), dir, { replace: true });
    expect(fs.existsSync(path.join(dir, 'old.txt'))).toBe(false);
    expect(fs.readdirSync(parent)).toEqual(['notation']);
    expect((await loadNotationConfig(dir)).stores.list()).toHaveLength(2);
  });

  test('a path that is a file is refused', async () => {
    const file = path.join(makeTempDir(), 'file');
    fs.writeFileSync(file, 'x');
    await expect(exportNotationConfig(trust(), file, { replace: true })).rejects.toMatchObject({
      code: ErrorCode.USAGE,
    });
  });
});

test('the vector folder is where the tests expect it', () => {
  expect(fs.existsSync(path.join(TRUSTSTORE_VECTORS, 'ca', 'valid-trust-store'))).toBe(true);
});
