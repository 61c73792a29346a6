/**
 * The generated demo repository (tuf-fixtures/, `npm run fixtures`) is a valid
 * TUF repository with the targets DESIGN.md names, valid for years.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, copyFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { Updater } from 'tuf-js';
import { startStaticServer, type StaticServer } from '../helpers/server';

const FIXTURES = path.resolve(__dirname, '..', '..', 'tuf-fixtures');
const YEAR_MS = 365 * 86_400_000;

let work: string;
let server: StaticServer;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'repo-fixtures-'));
  server = await startStaticServer(path.join(FIXTURES, 'repository'));
});
afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

async function download(targetPath: string): Promise<string> {
  const client = path.join(work, 'client');
  await mkdir(path.join(client, 'targets'), { recursive: true });
  await copyFile(path.join(FIXTURES, 'root.json'), path.join(client, 'root.json'));
  const updater = new Updater({
    metadataDir: client,
    metadataBaseUrl: `${server.url}metadata`,
    targetDir: path.join(client, 'targets'),
    targetBaseUrl: `${server.url}targets`,
    config: { fetchRetries: 0 },
  });
  await updater.refresh();
  const info = await updater.getTargetInfo(targetPath);
  if (!info) throw new Error(`tuf-fixtures has no target ${targetPath}`);
  return readFile(await updater.downloadTarget(info), 'utf8');
}

describe('tuf-fixtures demo repository', () => {
  it('pins root.json = repository/metadata/1.root.json', async () => {
    expect(await readFile(path.join(FIXTURES, 'root.json'))).toEqual(
      await readFile(path.join(FIXTURES, 'repository', 'metadata', '1.root.json')),
    );
  });

  it('serves a trust policy whose statements name the two stores', async () => {
    const policy = JSON.parse(await download('trustpolicy.oci.json'));
    expect(policy.version).toBe('1.0');
    expect(
      policy.trustPolicies.map((s: { name: string; trustStores: string[] }) => [
        s.name,
        s.trustStores,
      ]),
    ).toEqual([
      ['wabbit-networks-images', ['ca:wabbit-networks']],
      ['acme-rockets', ['ca:acme-rockets']],
    ]);
  });

  it.each(['wabbit-networks', 'acme-rockets'])(
    'serves store ca:%s, the root that issued the demo chain',
    async (name) => {
      const pem = await download(`truststore/x509/ca/${name}.pem`);
      const root = new X509Certificate(pem);
      const keys = path.join(FIXTURES, 'keys', 'notary', name);
      const intermediate = new X509Certificate(await readFile(path.join(keys, 'intermediate.crt')));
      const leaf = new X509Certificate(await readFile(path.join(keys, 'leaf.crt')));
      expect(intermediate.verify(root.publicKey)).toBe(true);
      expect(leaf.verify(intermediate.publicKey)).toBe(true);
      expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(Date.now() + YEAR_MS);
      expect(existsSync(path.join(keys, 'leaf.key'))).toBe(true);
    },
  );

  it('serves an empty revocation list', async () => {
    expect(JSON.parse(await download('revocations.json'))).toEqual({
      version: 1,
      certificates: [],
    });
  });

  it('every role stays valid for years', async () => {
    for (const name of ['1.root.json', '1.targets.json', '1.snapshot.json', 'timestamp.json']) {
      const md = JSON.parse(
        await readFile(path.join(FIXTURES, 'repository', 'metadata', name), 'utf8'),
      );
      expect(new Date(md.signed.expires).getTime()).toBeGreaterThan(Date.now() + YEAR_MS);
    }
  });
});
