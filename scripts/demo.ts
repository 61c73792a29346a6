/**
 * `npm run demo`: the main job against the bundled demo trust repository.
 *
 * 1. Bootstraps a TrustClient from the pinned tuf-fixtures/root.json through a
 *    DirectorySource (the air-gapped mirror layout), refreshes, and prints the
 *    trust TUF verified: versions, expiry, policy statements, stores.
 * 2. Verifies the sample signatures in tuf-fixtures/samples/ against that
 *    trust and prints each check. Exits non-zero when any sample does not
 *    reach the verdict samples.json expects.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { statusText, trustText } from '../src/cli/deployer';
import { outcomeText } from '../src/cli/main';
import { DirectorySource, TrustClient, Verifier } from '../src';

interface Sample {
  readonly name: string;
  readonly reference: string;
  readonly envelope: string;
  readonly mediaType: string;
  readonly expect: 'verified' | 'failed';
  readonly why: string;
}

function packageRoot(): string {
  // Runs compiled from build/scripts/: the package root is two levels up.
  return path.resolve(__dirname, '..', '..');
}

async function main(): Promise<number> {
  const fixtures = path.join(packageRoot(), 'tuf-fixtures');
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'tuf-notary-demo-'));
  try {
    console.log('== 1. Bootstrap trust from the pinned root (tuf-fixtures/root.json)\n');
    const client = await TrustClient.open({
      root: path.join(fixtures, 'root.json'),
      source: new DirectorySource(path.join(fixtures, 'repository')),
      cacheDir,
    });
    const snapshot = await client.refresh();
    console.log(statusText(client));
    console.log('\n' + trustText(snapshot));

    console.log('\n== 2. Verify sample signatures against that trust\n');
    const samplesDir = path.join(fixtures, 'samples');
    const samples = JSON.parse(
      readFileSync(path.join(samplesDir, 'samples.json'), 'utf8'),
    ) as Sample[];
    const verifier = new Verifier(client);
    let wrong = 0;
    for (const sample of samples) {
      const outcome = await verifier.verify({
        artifact: sample.reference,
        envelope: readFileSync(path.join(samplesDir, sample.envelope)),
        mediaType: sample.mediaType,
      });
      const verdict = outcome.ok ? 'verified' : 'failed';
      const as = verdict === sample.expect ? 'as expected' : `UNEXPECTED (wanted ${sample.expect})`;
      if (verdict !== sample.expect) wrong++;
      console.log(`-- ${sample.name} (${sample.envelope}): ${verdict}, ${as}\n   ${sample.why}`);
      console.log(
        outcomeText(sample.reference, outcome)
          .split('\n')
          .map((l) => `   ${l}`)
          .join('\n') + '\n',
      );
    }
    await client.close();
    console.log(
      wrong === 0
        ? `Demo complete: all ${samples.length} samples reached their expected verdicts.`
        : `Demo FAILED: ${wrong} sample(s) did not reach the expected verdict.`,
    );
    return wrong === 0 ? 0 : 1;
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
