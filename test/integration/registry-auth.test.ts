/**
 * Registry authentication against docker-registry on 127.0.0.1: htpasswd
 * Basic auth and the bearer-token flow (behind the test token server), with
 * credentials from options or a Docker config.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RegistryClient, parseReference } from '../../src/registry';
import { startRegistry, type RunningRegistry } from '../helpers/registry';
import { startTokenServer, type TokenServer } from '../helpers/tokenServer';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'registry-auth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Pushes a tiny artifact `repo:1` and returns its reference text. */
async function pushArtifact(client: RegistryClient, host: string, repo: string): Promise<string> {
  const ref = parseReference(`${host}/${repo}:1`);
  const config = await client.pushBlob(ref, Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: [],
    }),
  );
  await client.pushManifest(ref, manifest, 'application/vnd.oci.image.manifest.v1+json');
  return `${host}/${repo}:1`;
}

describe('htpasswd Basic authentication', () => {
  let registry: RunningRegistry;
  let reference: string;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd', users: { alice: 's3cret' } });
    const admin = new RegistryClient({
      credentials: { [registry.host]: { username: 'alice', password: 's3cret' } },
    });
    reference = await pushArtifact(admin, registry.host, 'team/app');
  });
  afterAll(async () => registry?.stop());

  test('anonymous access fails with "authentication failed … check credentials"', async () => {
    await expect(new RegistryClient().resolve(reference)).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(
        new RegExp(`authentication failed for ${registry.host}: check credentials.*no credentials`),
      ),
    });
  });

  test('a wrong password fails with the same clear error naming the user', async () => {
    const client = new RegistryClient({
      credentials: { [registry.host]: { username: 'alice', password: 'wrong' } },
    });
    await expect(client.resolve(reference)).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(
        /authentication failed for .*: check credentials.*"alice" were refused/,
      ),
    });
  });

  test('credentials from a Docker config.json (auth = base64 user:password) work; Basic is then sent pre-emptively', async () => {
    const file = path.join(tmp, 'config.json');
    const auth = Buffer.from('alice:s3cret').toString('base64');
    writeFileSync(
      file,
      JSON.stringify({ auths: { [`http://${registry.host}`]: { auth } }, credsStore: 'desktop' }),
    );
    const client = new RegistryClient({ dockerConfig: file });
    await client.resolve(reference);
    expect(client.requests.map((r) => r.status)).toEqual([401, 200]);
    client.resetRequestLog();
    await client.listSignatures(reference);
    expect(client.requests.every((r) => r.status !== 401)).toBe(true);
  });

  test('username/password entries of config.json work too', async () => {
    const file = path.join(tmp, 'config2.json');
    writeFileSync(
      file,
      JSON.stringify({ auths: { [registry.host]: { username: 'alice', password: 's3cret' } } }),
    );
    const r = await new RegistryClient({ dockerConfig: file }).resolve(reference);
    expect(r.byTag).toBe(true);
  });
});

describe('bearer-token authentication (distribution token flow)', () => {
  let registry: RunningRegistry;
  let tokens: TokenServer;
  let reference: string;
  beforeAll(async () => {
    tokens = await startTokenServer({
      users: {
        ci: { password: 'pushpw', actions: ['pull', 'push'] },
        reader: { password: 'readpw', actions: ['pull'] },
      },
    });
    registry = await startRegistry({ auth: 'token', tokenServer: tokens });
    const ci = new RegistryClient({
      credentials: { [registry.host]: { username: 'ci', password: 'pushpw' } },
    });
    reference = await pushArtifact(ci, registry.host, 'team/app');
    const artifact = await ci.resolve(reference);
    await ci.pushSignature(
      artifact,
      Buffer.from('{"not":"a real envelope"}'),
      'application/jose+json',
    );
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.close();
  });

  test('a reader gets a pull-scoped token once and reuses it for every request of that repository', async () => {
    const client = new RegistryClient({
      credentials: { [registry.host]: { username: 'reader', password: 'readpw' } },
    });
    const before = tokens.requests.length;
    const artifact = await client.resolve(reference);
    const sigs = await client.listSignatures(artifact);
    expect(sigs).toHaveLength(1);
    const sig = await client.fetchSignature(artifact, sigs[0]!);
    expect(Buffer.from(sig.envelope).toString()).toBe('{"not":"a real envelope"}');
    const issued = tokens.requests.slice(before);
    expect(issued).toEqual([{ user: 'reader', scope: 'repository:team/app:pull', status: 200 }]);
    expect(client.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  test('a wrong password is refused by the token service with a clear error', async () => {
    const client = new RegistryClient({
      credentials: { [registry.host]: { username: 'reader', password: 'nope' } },
    });
    await expect(client.resolve(reference)).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(/authentication failed for .*: check credentials/),
    });
  });

  test('anonymous users get a token without access: authentication failed', async () => {
    await expect(new RegistryClient().resolve(reference)).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(/authentication failed/),
    });
  });

  test('a pull-only user cannot push (push scope refused)', async () => {
    const client = new RegistryClient({
      credentials: { [registry.host]: { username: 'reader', password: 'readpw' } },
    });
    await expect(pushArtifact(client, registry.host, 'team/other')).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
    });
  });
});
