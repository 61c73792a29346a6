/**
 * End-to-end scenario (issue 6): an air-gapped site runs from a mirror
 * directory. On the connected side `tuf-notary mirror` copies the published
 * repository (served over HTTP on 127.0.0.1) into a transfer directory; on the
 * site `tuf-notary mirror` verifies the carried copy into the site directory,
 * which the site's deployers use as their source. The repository's timestamp
 * lives ~17 s, so the scenario can watch the site stop trusting an old mirror.
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { cliJson, ensureBuilt, runCli } from '../helpers/cliProcess';
import { Admin, cleanup, Deployer, Publisher, tempDir } from './harness';

const APP = 'registry.example.com/acme/app';
/** Timestamp lifetime in days (≈17 s): the mirror's expiry. */
const TIMESTAMP_DAYS = '0.0002';

let admin: Admin | undefined;

beforeAll(ensureBuilt);
afterAll(async () => {
  await admin?.close();
  cleanup();
});

interface MirrorJson {
  to: string;
  snapshotVersion: number;
  expires: string;
  expiresRole: string;
  replaced?: { snapshotVersion: number };
}

/** `tuf-notary mirror --root PIN --from SOURCE --to DIR --json`. */
function mirror(pin: string, from: string, to: string): Promise<MirrorJson> {
  return cliJson<MirrorJson>(['mirror', '--root', pin, '--from', from, '--to', to]);
}

function sleepUntil(when: Date): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, when.getTime() - Date.now() + 1000)));
}

describe('e2e: air-gapped site', () => {
  test('an air-gapped site runs from a mirror, is refreshed by carrying a new mirror across, and stops trusting once the mirror is older than its expiry', async () => {
    const acme = await Publisher.create('Acme');
    const beta = await Publisher.create('Beta');
    admin = await Admin.create(['--expires', `timestamp=${TIMESTAMP_DAYS}`]);
    await admin.addStore('ca:acme', acme.rootPem);
    await admin.setPolicy([{ name: 'app', scopes: [APP], stores: ['ca:acme'] }]);
    await admin.publish();

    const connected = tempDir('tuf-notary-e2e-connected-');
    const site = tempDir('tuf-notary-e2e-site-');
    const siteMirror = path.join(site, 'trust-mirror');
    // The pinned root is carried to the site once, like the mirrors.
    const sitePin = path.join(site, 'root.json');
    cpSync(admin.pinnedRoot, sitePin);

    // 1. First mirror: made on the connected side, verified again on the site.
    const transferA = path.join(connected, 'transfer-a');
    const a = await mirror(admin.pinnedRoot, admin.url, transferA);
    expect(a.expiresRole).toBe('timestamp');
    await mirror(sitePin, transferA, siteMirror);
    const deployer = new Deployer('site');
    const init = await deployer.init(sitePin, siteMirror);
    expect(init.status.source).toContain(siteMirror);
    expect(await deployer.verify(acme.sign(APP))).toMatchObject({ code: 0, ok: true });
    const betaSig = beta.sign(APP);
    expect(await deployer.verify(betaSig)).toMatchObject({ code: 1 });

    // 2. The administrators trust Beta too; a new mirror is carried across.
    await admin.addStore('ca:beta', beta.rootPem);
    await admin.setPolicy([{ name: 'app', scopes: [APP], stores: ['ca:acme', 'ca:beta'] }]);
    await admin.publish();
    const transferB = path.join(connected, 'transfer-b');
    const b = await mirror(admin.pinnedRoot, admin.url, transferB);
    const installed = await mirror(sitePin, transferB, siteMirror);
    expect(installed.replaced?.snapshotVersion).toBe(a.snapshotVersion);
    expect(installed.snapshotVersion).toBe(b.snapshotVersion);
    expect((await deployer.refresh()).snapshotVersion).toBe(b.snapshotVersion);
    expect(await deployer.verify(betaSig)).toMatchObject({ code: 0, ok: true });

    // 3. Carrying the old mirror again never goes back: `mirror` refuses it,
    //    and a raw copy over the site directory is refused by the clients.
    const back = await runCli([
      'mirror',
      '--root',
      sitePin,
      '--from',
      transferA,
      '--to',
      siteMirror,
      '--json',
    ]);
    expect(back.code).toBe(1);
    expect(JSON.parse(back.stdout)).toMatchObject({ error: { code: 'ERR_TUF_ROLLBACK' } });
    rmSync(siteMirror, { recursive: true });
    cpSync(transferA, siteMirror, { recursive: true });
    expect(await deployer.refresh(1)).toMatchObject({ error: { code: 'ERR_TUF_ROLLBACK' } });
    expect(await deployer.verify(betaSig)).toMatchObject({ code: 0, ok: true }); // the newer trust stays
    rmSync(siteMirror, { recursive: true });
    cpSync(transferB, siteMirror, { recursive: true });

    // 4. Nobody brings a new mirror in time: once the mirror's expiry passes,
    //    the site refuses to verify (freeze protection), and refreshing from the
    //    stale mirror fails too.
    await sleepUntil(new Date(b.expires));
    const frozen = await deployer.verify(betaSig);
    expect(frozen).toMatchObject({ code: 1, errorCode: 'ERR_TRUST_EXPIRED' });
    expect(await deployer.refresh(1)).toMatchObject({ error: { code: 'ERR_TUF_EXPIRED' } });
    // A stale copy cannot even be mirrored onwards.
    const stale = await runCli([
      'mirror',
      '--root',
      sitePin,
      '--from',
      transferB,
      '--to',
      path.join(site, 'copy'),
      '--json',
    ]);
    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout)).toMatchObject({ error: { code: 'ERR_TUF_EXPIRED' } });

    // 5. The administrators' cron re-signs the timestamp; a fresh mirror brings the site back.
    await admin.repo('refresh');
    await admin.publish();
    const transferC = path.join(connected, 'transfer-c');
    mkdirSync(transferC);
    await mirror(admin.pinnedRoot, admin.url, transferC);
    await mirror(sitePin, transferC, siteMirror);
    await deployer.refresh();
    expect(await deployer.verify(betaSig)).toMatchObject({ code: 0, ok: true });
  });
});
