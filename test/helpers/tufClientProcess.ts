/**
 * Runs a TrustClient in a separate node process, for tests that need two
 * processes on one cache directory, a process killed in the middle of a
 * refresh, or a process running as another (unprivileged) user.
 *
 * The child loads the TypeScript sources directly through a require hook
 * that transpiles with @swc/core (as jest does), then prints one JSON line:
 * `RESULT {"ok":true,...}` or `RESULT {"ok":false,"code":"ERR_…","message":"…"}`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What the child does. */
export interface ClientTask {
  /** Path of the pinned root.json. */
  readonly root: string;
  readonly cacheDir: string;
  readonly source: string;
  /** `open`: open and report current(); `refresh`: open, refresh, report. */
  readonly action: 'open' | 'refresh';
  readonly updates?: 'auto' | 'staged';
  /** Run as this uid/gid (needs root), e.g. 65534 to get a really read-only cache. */
  readonly uid?: number;
}

/** What the child reported. */
export interface ClientResult {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly timestampVersion?: number;
  readonly snapshotVersion?: number;
  readonly stores?: string[];
  readonly offline?: boolean;
}

/** A running child. */
export interface ClientProcess {
  readonly child: ChildProcess;
  /** Resolves with the child's report (or `{ ok: false, code: 'KILLED' }` when it died first). */
  readonly result: Promise<ClientResult>;
}

const SRC = path.resolve(__dirname, '..', '..', 'src', 'tuf', 'index.ts');

const CHILD = `
'use strict';
const swc = require(${JSON.stringify(require.resolve('@swc/core'))});
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformFileSync(filename, {
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
const task = JSON.parse(process.argv[2]);
const { TrustClient } = require(${JSON.stringify(SRC)});
const report = (r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n');
(async () => {
  const client = await TrustClient.open({ root: task.root, cacheDir: task.cacheDir, source: task.source,
    updates: task.updates, http: { retries: 0 } });
  process.stdout.write('OPENED\\n');
  const snap = task.action === 'refresh' ? await client.refresh() : client.current();
  const st = client.status();
  report({ ok: true, timestampVersion: st.timestampVersion, snapshotVersion: snap.provenance.snapshotVersion,
    stores: snap.stores.list().map((s) => s.type + ':' + s.name), offline: st.offline });
  await client.close();
})().catch((err) => { report({ ok: false, code: err && err.code, message: String(err && err.message) }); });
`;

/** Starts a TrustClient task in a child node process. */
export function startClientProcess(task: ClientTask): ClientProcess {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tuf-notary-client-'));
  const script = path.join(dir, 'client.js');
  writeFileSync(script, CHILD);
  chmodSync(dir, 0o755);
  chmodSync(script, 0o644);
  const child = spawn(process.execPath, [script, JSON.stringify(task)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(task.uid === undefined ? {} : { uid: task.uid, gid: task.uid }),
    env: { ...process.env, TMPDIR: os.tmpdir() },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const result = new Promise<ClientResult>((resolve) => {
    child.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      resolve(
        line === undefined
          ? { ok: false, code: 'KILLED', message: err.slice(0, 2000) }
          : (JSON.parse(line.slice('RESULT '.length)) as ClientResult),
      );
    });
  });
  return { child, result };
}

/** Resolves once the child printed `marker` on stdout. */
export function waitForOutput(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes(marker)) resolve();
    });
    child.once('exit', () => resolve());
  });
}
