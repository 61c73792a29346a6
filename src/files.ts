/**
 * Durable file writes and lock-owner checks shared by every stage that keeps
 * state on disk (TUF cache, mirrors, the admin workspace, the revocation
 * cache, the CLI's cache configuration): a reader sees a file whole or not at
 * all, and a crash never leaves half a file under the real name.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';

/** Creates `file` (which must not exist), writes `bytes` and flushes them to disk. */
export async function writeNewFileSynced(
  file: string,
  bytes: Uint8Array | string,
  mode = 0o644,
): Promise<void> {
  const handle = await open(file, 'wx', mode);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` atomically: a synced temporary file beside it (or in
 * `tempDir`), given exactly `mode` whatever the umask, then renamed over it.
 * The temporary file is removed when anything fails.
 */
export async function replaceFileAtomically(
  file: string,
  bytes: Uint8Array | string,
  opts: { mode?: number; tempDir?: string } = {},
): Promise<void> {
  const mode = opts.mode ?? 0o644;
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(
    opts.tempDir ?? path.dirname(file),
    `${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await writeNewFileSynced(temp, bytes, mode);
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** True when process `pid` exists on this host (a lock owner still running). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
