/**
 * A trust repository published by `tuf-notary repo publish --to oci://…` into
 * a real registry (docker-registry on 127.0.0.1) and mirrored from there with
 * `tuf-notary mirror --from oci://…` into a directory a site can use.
 */
import * as path from 'node:path';
import { cliJson, ensureBuilt } from '../helpers/cliProcess';
import { startRegistry, type RunningRegistry } from '../helpers/registry';
import { Admin, cleanup, Deployer, Publisher, tempDir } from './harness';

const APP = 'registry.example.com/acme/app';
let registry: RunningRegistry | undefined;
let admin: Admin | undefined;

beforeAll(async () => {
  await ensureBuilt();
  registry = await startRegistry();
});
afterAll(async () => {
  await admin?.close();
  await registry?.stop();
  cleanup();
});

describe('e2e: mirroring from an OCI registry', () => {
  test('a repository published to a registry is mirrored, verified, into a directory clients use', async () => {
    const acme = await Publisher.create('Acme');
    admin = await Admin.create();
    await admin.addStore('ca:acme', acme.rootPem);
    await admin.setPolicy([{ name: 'app', scopes: [APP], stores: ['ca:acme'] }]);
    await admin.publish(); // the pinned root comes from the directory publish
    const oci = `oci://${registry!.host}/trust/e2e`;
    await admin.repo('publish', '--to', oci);

    const to = path.join(tempDir(), 'mirror');
    const m = await cliJson<{ source: string; targets: { path: string }[] }>([
      'mirror',
      '--root',
      admin.pinnedRoot,
      '--from',
      oci,
      '--to',
      to,
    ]);
    expect(m.source).toBe(oci);
    expect(m.targets.map((t) => t.path).sort()).toEqual([
      'trustpolicy.oci.json',
      'truststore/x509/ca/acme.pem',
    ]);
    const deployer = new Deployer();
    await deployer.init(admin.pinnedRoot, to);
    expect(await deployer.verify(acme.sign(APP))).toMatchObject({ code: 0, ok: true });
  });
});
