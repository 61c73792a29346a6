import type { BaseFetcher } from 'tuf-js';
import { assertSupportedKeys } from './keys';
import { isNotFound, TufSourceTooLargeError, type TufSource } from './sources/source';
import { SourceUnavailableError } from '../errors';

/** Pseudo base URLs handed to tuf-js; the fetcher maps them back to the source. */
export const METADATA_BASE = 'tuf-source://metadata/';
export const TARGETS_BASE = 'tuf-source://targets/';

/** What the fetcher saw, for error messages and for keeping every root version. */
export interface FetchLog {
  /** The metadata file requested last (e.g. `3.snapshot.json`). */
  lastName?: string;
  /** The last failure thrown to tuf-js (tuf-js often wraps errors into text). */
  lastFailure?: unknown;
  /** Bytes of every `<N>.root.json` downloaded, by version. */
  readonly roots: Map<number, Uint8Array>;
  /** Number of requests made. */
  requests: number;
}

type TufErrors = typeof import('tuf-js/dist/error');

/**
 * Creates a tuf-js fetcher that reads through `source`. tuf-js classes are
 * loaded lazily (tuf-js costs ~40 ms to require). `online: false` makes every
 * request fail, for re-verifying the cache with no network.
 */
export function createSourceFetcher(source: TufSource, log: FetchLog, online = true): BaseFetcher {
  const tuf = require('tuf-js') as typeof import('tuf-js');

  const errors = require('tuf-js/dist/error') as TufErrors;

  class SourceFetcher extends tuf.BaseFetcher {
    override async fetch(): Promise<never> {
      // tuf-js calls fetch() only from downloadFile, which we replace below.
      throw new errors.ValueError('SourceFetcher streams only through downloadBytes');
    }

    override async downloadFile(): Promise<never> {
      throw new errors.ValueError('SourceFetcher does not download target files; TrustClient does');
    }

    override async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
      const name = decodeURIComponent(url.slice(METADATA_BASE.length));
      log.lastName = name;
      if (!online) {
        const err = new SourceUnavailableError(
          `offline: not fetching ${name} from ${source.describe()}`,
        );
        log.lastFailure = err;
        throw err;
      }
      log.requests += 1;
      let bytes: Uint8Array;
      try {
        if (!url.startsWith(METADATA_BASE)) {
          throw new errors.ValueError(`unexpected URL ${url}`);
        }
        bytes = await source.fetchMetadata(name, maxLength);
        // A custom source may ignore maxLength: enforce it here as well.
        if (bytes.length > maxLength) {
          throw new TufSourceTooLargeError(`${source.describe()}: metadata/${name}`, maxLength);
        }
      } catch (err) {
        log.lastFailure = err;
        // tuf-js's root loop (client workflow 5.3.3) ends only on HTTP 403/404.
        if (isNotFound(err)) throw new errors.DownloadHTTPError(`${name} not found`, 404);
        throw err;
      }
      const buffer = Buffer.from(bytes);
      const rootMatch = /^(\d+)\.root\.json$/.exec(name);
      if (rootMatch !== null || /\.json$/.test(name)) {
        let doc: unknown;
        try {
          doc = JSON.parse(buffer.toString('utf8'));
        } catch {
          doc = undefined; // tuf-js reports the malformed JSON itself
        }
        try {
          assertSupportedKeys(doc, `${source.describe()}: metadata/${name}`);
        } catch (err) {
          log.lastFailure = err;
          throw err;
        }
      }
      if (rootMatch?.[1] !== undefined) {
        log.roots.set(Number(rootMatch[1]), new Uint8Array(buffer));
      }
      return buffer;
    }
  }
  return new SourceFetcher();
}
