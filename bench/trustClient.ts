/**
 * Issue 2 (TrustClient): what a refresh with nothing new costs, in requests
 * and in time, against a bare tuf-js Updater doing the same TUF work on the
 * same repository in the same run.
 *
 * The repository is built with TrustRepository (policy, two CA stores,
 * revocations.json) and served by the test static server on 127.0.0.1.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Updater } from 'tuf-js';
import { TrustClient } from '../src/index';
import { TrustRepository } from '../src/repo';
import { createCertificate, generateKey, KeyUsage, type TestCert } from '../test/helpers/pki';
import { startStaticServer, type StaticServer } from '../test/helpers/server';
import { interleave, median, nowMs, ratioGoal } from './measure';
import type { BenchContext, BenchmarkModule, BenchResult, Figure, GoalResult } from './types';

/** The refresh-time goal of issue 2: ours ≤ 1.2 × bare tuf-js. */
const REFRESH_GOAL = 1.2;

export interface Fixture {
  readonly server: StaticServer;
  readonly pin: Uint8Array;
  readonly work: string;
  /** Targets a client reads (the policy, the stores it names, revocations.json). */
  readonly targets: readonly string[];
  tempDir(prefix: string): string;
}

async function makeCa(name: string): Promise<TestCert> {
  return createCertificate({
    subject: `C=US,O=${name},CN=${name} Root`,
    key: await generateKey('ec-p256'),
    basicConstraints: { ca: true },
    keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
  });
}

/** Builds the benchmark trust repository and serves it on 127.0.0.1 (close the server, remove `work`). */
export async function serveRepository(): Promise<Fixture> {
  const [acme, beta, revoked] = await Promise.all([makeCa('Acme'), makeCa('Beta'), makeCa('Old')]);
  const repo = TrustRepository.create();
  const policy = {
    version: '1.0',
    trustPolicies: [
      {
        name: 'everything',
        registryScopes: ['*'],
        signatureVerification: { level: 'strict' },
        trustStores: ['ca:acme', 'ca:beta'],
        trustedIdentities: ['*'],
      },
    ],
  };
  repo.setTarget('trustpolicy.oci.json', Buffer.from(JSON.stringify(policy)));
  repo.setTarget('truststore/x509/ca/acme.pem', Buffer.from(acme.pem));
  repo.setTarget('truststore/x509/ca/beta.pem', Buffer.from(beta.pem));
  repo.setTarget(
    'revocations.json',
    Buffer.from(
      JSON.stringify({
        version: 1,
        certificates: [
          { sha256: revoked.sha256, reason: 'keyCompromise', revokedAt: new Date().toISOString() },
        ],
      }),
    ),
  );
  repo.publish();
  const work = mkdtempSync(path.join(os.tmpdir(), 'tuf-notary-bench-'));
  const served = path.join(work, 'repo');
  await repo.writeTo(served);
  const server = await startStaticServer(served);
  let n = 0;
  return {
    server,
    pin: repo.rootBytes(1),
    work,
    targets: [
      'trustpolicy.oci.json',
      'revocations.json',
      'truststore/x509/ca/acme.pem',
      'truststore/x509/ca/beta.pem',
    ],
    tempDir(prefix) {
      return path.join(work, `${prefix}-${n++}`);
    },
  };
}

/** The bare tuf-js client workflow an application would write: refresh, then each target from its cache or the network. */
async function bareUpdaterRefresh(f: Fixture, metadataDir: string): Promise<void> {
  const updater = new Updater({
    metadataDir,
    metadataBaseUrl: `${f.server.url}metadata`,
    targetBaseUrl: `${f.server.url}targets`,
    targetDir: path.join(metadataDir, 'targets'),
  });
  await updater.refresh();
  for (const target of f.targets) {
    const info = await updater.getTargetInfo(target);
    if (info === undefined) throw new Error(`bench: tuf-js found no target ${target}`);
    const file = (await updater.findCachedTarget(info)) ?? (await updater.downloadTarget(info));
    await readFile(file);
  }
}

/** A tuf-js metadata dir holding only the pinned root (what tuf-js needs to bootstrap). */
function pinnedMetadataDir(f: Fixture): string {
  const dir = f.tempDir('tufjs');
  mkdirSync(path.join(dir, 'targets'), { recursive: true });
  writeFileSync(path.join(dir, 'root.json'), f.pin);
  return dir;
}

function requestsSince(server: StaticServer, from: number): string[] {
  return server.requests.slice(from).map((r) => `${r.method} ${r.path} → ${r.status}`);
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const rounds = ctx.pick({ full: 31, quick: 9, smoke: 1 });
  const warmup = ctx.pick({ full: 3, quick: 2, smoke: 0 });
  const f = await serveRepository();
  try {
    // ---- warm caches (one bootstrap each), then the request list of a no-news refresh
    const cacheDir = f.tempDir('cache');
    const first = await TrustClient.open({ root: f.pin, cacheDir, source: f.server.url });
    const snapshot = await first.refresh();
    await first.close();
    const readByUs = snapshot.provenance.targets.map((t) => t.path).sort();
    if (JSON.stringify(readByUs) !== JSON.stringify([...f.targets].sort())) {
      throw new Error(
        `bench: the client read ${readByUs.join(', ')}, expected ${f.targets.join(', ')}`,
      );
    }
    const tufjsDir = pinnedMetadataDir(f);
    await bareUpdaterRefresh(f, tufjsDir);

    const beforeOpen = f.server.requests.length;
    const reopened = await TrustClient.open({ root: f.pin, cacheDir, source: f.server.url });
    const beforeRefresh = f.server.requests.length;
    await reopened.refresh();
    const openRequests = requestsSince(f.server, beforeOpen).slice(0, beforeRefresh - beforeOpen);
    const refreshRequests = requestsSince(f.server, beforeRefresh);
    await reopened.close();
    const beforeTufjs = f.server.requests.length;
    await bareUpdaterRefresh(f, tufjsDir);
    const tufjsRequests = requestsSince(f.server, beforeTufjs);
    const expected = ['GET /metadata/2.root.json → 404', 'GET /metadata/timestamp.json → 200'];
    const requestsOk =
      openRequests.length === 0 && JSON.stringify(refreshRequests) === JSON.stringify(expected);

    // ---- warm refresh: re-opened client vs new Updater on a warm metadata dir
    ctx.log(`  warm refresh: ${rounds} interleaved rounds`);
    const warm = await interleave(
      {
        ours: async () => {
          const client = await TrustClient.open({ root: f.pin, cacheDir, source: f.server.url });
          const start = nowMs();
          await client.refresh();
          const ms = nowMs() - start;
          await client.close();
          return ms;
        },
        oursWithOpen: async () => {
          const start = nowMs();
          const client = await TrustClient.open({ root: f.pin, cacheDir, source: f.server.url });
          await client.refresh();
          const ms = nowMs() - start;
          await client.close();
          return ms;
        },
        tufjs: async () => {
          const start = nowMs();
          await bareUpdaterRefresh(f, tufjsDir);
          return nowMs() - start;
        },
      },
      rounds,
      warmup,
    );

    // ---- first bootstrap: empty cache vs empty tuf-js metadata dir
    ctx.log(`  bootstrap: ${rounds} interleaved rounds`);
    const boot = await interleave(
      {
        ours: async () => {
          const dir = f.tempDir('boot');
          const start = nowMs();
          const client = await TrustClient.open({
            root: f.pin,
            cacheDir: dir,
            source: f.server.url,
          });
          await client.refresh();
          const ms = nowMs() - start;
          await client.close();
          rmSync(dir, { recursive: true, force: true });
          return ms;
        },
        tufjs: async () => {
          const dir = pinnedMetadataDir(f);
          const start = nowMs();
          await bareUpdaterRefresh(f, dir);
          const ms = nowMs() - start;
          rmSync(dir, { recursive: true, force: true });
          return ms;
        },
      },
      rounds,
      warmup,
    );

    const m = {
      warmOurs: median(warm.ours),
      warmOursOpen: median(warm.oursWithOpen),
      warmTufjs: median(warm.tufjs),
      bootOurs: median(boot.ours),
      bootTufjs: median(boot.tufjs),
    };
    const figures: Figure[] = [
      {
        label: 'warm refresh, TrustClient.refresh() on a re-opened client',
        value: m.warmOurs,
        unit: 'ms',
      },
      { label: 'warm refresh, TrustClient.open() + refresh()', value: m.warmOursOpen, unit: 'ms' },
      { label: 'warm refresh, bare tuf-js Updater', value: m.warmTufjs, unit: 'ms' },
      { label: 'first bootstrap, TrustClient.open() + refresh()', value: m.bootOurs, unit: 'ms' },
      { label: 'first bootstrap, bare tuf-js Updater', value: m.bootTufjs, unit: 'ms' },
      {
        label: 'requests of a no-news refresh (ours)',
        value: refreshRequests.length,
        unit: '',
        digits: 0,
      },
    ];
    const goals: GoalResult[] = [
      {
        label: 'No-news refresh requests only the next-root probe and timestamp.json',
        goal: '`2.root.json`, `timestamp.json`; none at open()',
        measured: `open(): ${openRequests.length} request(s); refresh(): ${refreshRequests.map((r) => r.split(' ')[1]).join(', ')}`,
        pass: requestsOk,
      },
      ratioGoal(
        'Warm refresh time: refresh() / bare tuf-js',
        m.warmOurs,
        m.warmTufjs,
        REFRESH_GOAL,
      ),
      ratioGoal(
        'Warm refresh time incl. open(): open()+refresh() / bare tuf-js',
        m.warmOursOpen,
        m.warmTufjs,
        REFRESH_GOAL,
      ),
      ratioGoal(
        'First bootstrap time: open()+refresh() / bare tuf-js',
        m.bootOurs,
        m.bootTufjs,
        REFRESH_GOAL,
      ),
    ];
    return {
      figures,
      goals,
      method: [
        `Repository: TrustRepository (ed25519 keys, consistent snapshots) with trustpolicy.oci.json naming ca:acme and ca:beta, both store files and revocations.json (${f.targets.length} targets), served by test/helpers/server.ts on 127.0.0.1.`,
        'Baseline: a bare tuf-js 5 `Updater({ metadataDir, metadataBaseUrl, targetBaseUrl, targetDir })` then `refresh()` and, for the same 4 targets, `getTargetInfo()` + `findCachedTarget() ?? downloadTarget()` + reading the file — the workflow an application writes by hand. A new Updater each time (tuf-js refreshes once per instance).',
        'Warm: both caches hold everything, the server has nothing new. "refresh()" times only `refresh()` of a client already re-opened on the warm cache (open() re-verifies the cached generation offline); "open()+refresh()" times both, as a restarted process pays them.',
        'First bootstrap: an empty cache dir / a metadata dir holding only the pinned root, fresh for every sample; both download the same 4 targets.',
        `Medians of ${rounds} rounds after ${warmup} warm-up rounds; in every round each variant runs once, in rotating order, so noise hits all alike.`,
        'Requests: the server request log around `TrustClient.open()` and around `refresh()` on a warm cache, compared with what the same bare tuf-js workflow requests.',
      ],
      details: [
        '**Requests of a no-news refresh**',
        '',
        '| client | step | requests |',
        '|---|---|---|',
        `| TrustClient | open() on warm cache | ${openRequests.length === 0 ? '(none)' : openRequests.join('<br>')} |`,
        `| TrustClient | refresh() | ${refreshRequests.join('<br>') || '(none)'} |`,
        `| bare tuf-js | new Updater + refresh() + targets | ${tufjsRequests.join('<br>') || '(none)'} |`,
      ],
    };
  } finally {
    await f.server.close();
    rmSync(f.work, { recursive: true, force: true });
  }
}

/** Issue 2: refresh requests and refresh time against bare tuf-js. */
export const trustClientRefreshBenchmark: BenchmarkModule = {
  id: 'trust-client-refresh',
  issue: 'Issue 2 — TrustClient',
  title: 'Refresh: requests and time against a bare tuf-js Updater',
  run,
};
