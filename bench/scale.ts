/**
 * Scale (issue 7 part 5): how verification time, refresh time and memory grow
 * with the number of policy statements, trusted certificates, and TUF targets
 * (with 50 delegated roles). Verification must not grow with statements or
 * certificates: policy selection is indexed and the roots of a statement are
 * indexed once per trust (src/verify #certificatesFor + src/x509 indexOf).
 * Goals are ratios between the largest and the smallest size, same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseOciTrustPolicy } from '../src/policy';
import { TrustRepository } from '../src/repo';
import { createTrustStores, parseStoreCertificates } from '../src/trust';
import type { VerifierTrust } from '../src/trust/types';
import { TrustClient } from '../src/tuf';
import { Verifier } from '../src/verify';
import {
  createCertificate,
  createCodeSigningChain,
  generateKey,
  KeyUsage,
  type TestCert,
} from '../test/helpers/pki';
import { defaultTargetArtifact, signEnvelope } from '../test/helpers/signer';
import { formatMs, median, nowMs } from './measure';
import type { BenchContext, BenchmarkModule, BenchResult, Figure, GoalResult } from './types';

const REPOSITORY = 'registry.example.com/app';
const MAX_GROWTH = 1.5;

interface Point {
  readonly size: number;
  readonly verifyMs: number;
  readonly setupMs: number;
  readonly heapMb: number;
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function medianVerify(verifier: Verifier, envelope: Uint8Array, runs: number) {
  const artifact = `${REPOSITORY}@${String(defaultTargetArtifact().digest)}`;
  const samples: number[] = [];
  for (let i = 0; i < runs + 3; i += 1) {
    const t = nowMs();
    const o = await verifier.verify({ artifact, envelope, mediaType: 'application/jose+json' });
    if (!o.ok) throw new Error(`scale bench: verification failed: ${o.error?.message}`);
    if (i >= 3) samples.push(nowMs() - t);
  }
  return median(samples);
}

function statement(name: string, scope: string): Record<string, unknown> {
  return {
    name,
    registryScopes: [scope],
    signatureVerification: { level: 'strict' },
    trustStores: ['ca:acme'],
    trustedIdentities: ['*'],
  };
}

/** Distinct self-signed CA certificates (one key, distinct subjects). */
async function fillerCertificates(count: number): Promise<TestCert[]> {
  const key = await generateKey('ec-p256', 11);
  const out: TestCert[] = [];
  for (let i = 0; i < count; i += 1) {
    out.push(
      await createCertificate({
        subject: `C=US,O=Filler,CN=Filler Root ${i}`,
        key,
        basicConstraints: { ca: true },
        keyUsage: KeyUsage.keyCertSign,
      }),
    );
  }
  return out;
}

function trustOf(statements: Record<string, unknown>[], roots: TestCert[]): VerifierTrust {
  return {
    policy: parseOciTrustPolicy({ version: '1.0', trustPolicies: statements }),
    stores: createTrustStores([
      {
        type: 'ca',
        name: 'acme',
        certificates: roots.flatMap((c) => parseStoreCertificates(c.der, 'ca', 'acme')),
      },
    ]),
    revocations: [],
  };
}

function growthGoal(label: string, points: readonly Point[]): GoalResult {
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const ratio = last.verifyMs / first.verifyMs;
  return {
    label,
    goal: `≤ ${MAX_GROWTH.toFixed(2)}× (${last.size} vs ${first.size})`,
    measured: `${ratio.toFixed(2)}× (${formatMs(last.verifyMs)} / ${formatMs(first.verifyMs)})`,
    ratio,
    pass: ratio <= MAX_GROWTH,
  };
}

function table(title: string, what: string, points: readonly Point[], setup: string): string {
  const rows = points.map(
    (p) =>
      `| ${p.size} | ${formatMs(p.verifyMs)} | ${formatMs(p.setupMs)} | ${p.heapMb.toFixed(1)} MB |`,
  );
  return [
    `**${title}**`,
    '',
    `| ${what} | verify (median) | ${setup} | heap used |`,
    '|---|---|---|---|',
    ...rows,
    '', // a table ends at a blank line: the next title must not join it
  ].join('\n');
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const sizes = ctx.pick({ full: [100, 1000, 10_000], quick: [100, 1000], smoke: [5, 20] });
  const runs = ctx.pick({ full: 200, quick: 60, smoke: 3 });
  const chain = await createCodeSigningChain({ name: 'Acme' });
  const envelope = signEnvelope('application/jose+json', { chain });
  const figures: Figure[] = [];

  // 1. Policy statements: the matching statement is the last one.
  const byStatements: Point[] = [];
  for (const n of sizes) {
    const t = nowMs();
    const statements = Array.from({ length: n - 1 }, (_, i) =>
      statement(`s${i}`, `registry.example.com/other${i}`),
    );
    statements.push(statement('app', REPOSITORY));
    const verifier = new Verifier(trustOf(statements, [chain.root]));
    const setupMs = nowMs() - t;
    byStatements.push({
      size: n,
      setupMs,
      verifyMs: await medianVerify(verifier, envelope, runs),
      heapMb: heapMb(),
    });
    ctx.log(`  statements ${n}: ${formatMs(byStatements.at(-1)!.verifyMs)}`);
  }

  // 2. Certificates in the referenced store: the signer's root is the last one.
  const byCertificates: Point[] = [];
  const fillers = await fillerCertificates(sizes[sizes.length - 1]! - 1);
  for (const n of sizes) {
    const t = nowMs();
    const verifier = new Verifier(
      trustOf([statement('app', REPOSITORY)], [...fillers.slice(0, n - 1), chain.root]),
    );
    const setupMs = nowMs() - t;
    byCertificates.push({
      size: n,
      setupMs,
      verifyMs: await medianVerify(verifier, envelope, runs),
      heapMb: heapMb(),
    });
    ctx.log(`  certificates ${n}: ${formatMs(byCertificates.at(-1)!.verifyMs)}`);
  }

  // 3. TUF refresh with N targets spread over 50 delegated roles (directory source).
  const roles = ctx.pick({ full: 50, quick: 50, smoke: 3 });
  const byTargets: Point[] = [];
  for (const n of sizes) {
    const repo = TrustRepository.create();
    repo.setTarget(
      'trustpolicy.oci.json',
      Buffer.from(
        JSON.stringify({ version: '1.0', trustPolicies: [statement('app', REPOSITORY)] }),
      ),
    );
    repo.setTarget('truststore/x509/ca/acme.pem', Buffer.from(chain.root.pem));
    // N targets in the top-level targets role (parsed on every refresh), and
    // 50 delegated roles, each with one target.
    for (let r = 0; r < roles; r += 1) {
      repo.delegate(`team${r}`, { paths: [`extra/team${r}/*`] });
      repo.setTarget(`extra/team${r}/file.json`, Buffer.from(`{"r":${r}}`), { role: `team${r}` });
    }
    for (let i = 0; i < n; i += 1) {
      repo.setTarget(`extra/top/file-${i}.json`, Buffer.from(`{"i":${i}}`));
    }
    repo.publish();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tuf-notary-scale-'));
    try {
      await repo.writeTo(dir);
      const before = heapMb();
      const t = nowMs();
      const client = await TrustClient.open({ root: repo.rootBytes(1), source: dir });
      await client.refresh();
      const refreshMs = nowMs() - t;
      const verifier = new Verifier(client);
      byTargets.push({
        size: n,
        setupMs: refreshMs,
        verifyMs: await medianVerify(verifier, envelope, runs),
        heapMb: heapMb() - before,
      });
      await client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    ctx.log(`  targets ${n}: refresh ${formatMs(byTargets.at(-1)!.setupMs)}`);
  }

  for (const [what, points] of [
    ['statements', byStatements],
    ['certificates', byCertificates],
    ['targets', byTargets],
  ] as const) {
    for (const p of [points[0]!, points[points.length - 1]!]) {
      figures.push({
        label: `verify, ${p.size} ${what}`,
        value: p.verifyMs,
        unit: 'ms',
        digits: 3,
      });
    }
  }
  const lastTargets = byTargets[byTargets.length - 1]!;
  figures.push({
    label: `TUF refresh, ${lastTargets.size} targets / ${roles} delegated roles`,
    value: lastTargets.setupMs,
    unit: 'ms',
    digits: 0,
  });
  return {
    figures,
    goals: [
      growthGoal('verification time vs policy statements', byStatements),
      growthGoal('verification time vs certificates in the trusted store', byCertificates),
      growthGoal('verification time vs TUF targets (TrustClient as trust)', byTargets),
    ],
    method: [
      `Sizes ${sizes.join(' → ')}; verify = median of ${runs} sequential verifications of one JWS envelope (ECDSA P-256 leaf, P-384 CA), after 3 warm-up runs, one Verifier per size.`,
      'Statements: N statements with distinct registry scopes, the matching one last. Certificates: N distinct CA roots in the store the policy names, the signer’s root last.',
      `Targets: a TUF repository (directory source) whose top-level targets metadata lists N small targets, plus ${roles} delegated roles with one target each, the policy and one store; refresh = open + first refresh into a temp cache (the client fetches delegated roles only for paths it looks up).`,
      'Heap: process heapUsed after the size’s setup (targets: growth during refresh), with a GC first when node runs with --expose-gc.',
      'Not covered yet: CRLs with 100,000 entries (the revocation stage’s CRL parser is not measured here).',
    ],
    details: [
      table('Policy statements', 'statements', byStatements, 'policy parse'),
      table('Certificates in the store', 'certificates', byCertificates, 'store parse'),
      table(`TUF targets (${roles} delegated roles)`, 'targets', byTargets, 'open + refresh'),
    ],
  };
}

/** Scale: statements, certificates, targets. */
export const scaleBenchmark: BenchmarkModule = {
  id: 'scale',
  issue: 'Issue 7 — Hardening and proof',
  title: 'Scale: statements, certificates, TUF targets with delegations',
  run,
};
