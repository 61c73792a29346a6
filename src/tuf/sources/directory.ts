import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SourceUnavailableError } from '../../errors';
import {
  BoundedBuffer,
  TufSourceNotFoundError,
  TufSourceTooLargeError,
  safeSegments,
  type TufSource,
} from './source';

/** Options of {@link DirectorySource}. */
export interface DirectorySourceOptions {
  /** Folder of TUF metadata (default `<root>/metadata`). */
  readonly metadataDir?: string;
  /** Folder of target files (default `<root>/targets`). */
  readonly targetsDir?: string;
}

/**
 * A TUF repository on disk (`metadata/` and `targets/`), e.g. an air-gapped
 * mirror. Refuses symbolic links anywhere below the repository folders and
 * paths that would leave them, and never reads more than the TUF length limit.
 */
export class DirectorySource implements TufSource {
  private readonly metadataDir: string;
  private readonly targetsDir: string;

  constructor(
    readonly root: string,
    options: DirectorySourceOptions = {},
  ) {
    this.metadataDir = path.resolve(options.metadataDir ?? path.join(root, 'metadata'));
    this.targetsDir = path.resolve(options.targetsDir ?? path.join(root, 'targets'));
  }

  /** Names the repository folder. */
  describe(): string {
    return `directory ${path.resolve(this.root)}`;
  }

  /** Reads `metadata/<name>`. */
  fetchMetadata(name: string, maxLength: number): Promise<Uint8Array> {
    return this.read(this.metadataDir, name, maxLength);
  }

  /** Reads `targets/<path>`. */
  fetchTarget(targetPath: string, maxLength: number): Promise<Uint8Array> {
    return this.read(this.targetsDir, targetPath, maxLength);
  }

  private async read(base: string, relPath: string, maxLength: number): Promise<Uint8Array> {
    const segments = safeSegments(relPath);
    const location = `${this.describe()}: ${path.relative(this.root, base) || '.'}/${relPath}`;
    // Walk component by component with lstat so that no symlink (file or
    // folder) can redirect the read outside the repository.
    let current = base;
    for (const segment of ['', ...segments]) {
      current = segment === '' ? current : path.join(current, segment);
      let stat;
      try {
        stat = await fs.lstat(current);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          throw new TufSourceNotFoundError(location, { cause: err });
        }
        throw new SourceUnavailableError(`cannot read ${location}: ${String(err)}`, { cause: err });
      }
      if (stat.isSymbolicLink()) {
        throw new SourceUnavailableError(
          `refusing ${location}: ${current} is a symbolic link; a directory source must hold real files`,
          { details: { path: current } },
        );
      }
    }
    const handle = await fs
      .open(current, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW)
      .catch((err: unknown) => {
        throw new SourceUnavailableError(`cannot open ${location}: ${String(err)}`, { cause: err });
      });
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        throw new TufSourceNotFoundError(location);
      }
      if (stat.size > maxLength) {
        throw new TufSourceTooLargeError(location, maxLength);
      }
      const sink = new BoundedBuffer(location, maxLength);
      const chunk = Buffer.alloc(Math.min(65536, maxLength + 1));
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        sink.push(chunk.subarray(0, bytesRead));
      }
      return sink.bytes();
    } finally {
      await handle.close();
    }
  }
}
