/**
 * `tuf-notary mirror`: copy a trust repository for an air-gapped site,
 * verifying it on the way from a pinned root (src/tuf/mirror.ts), into a
 * directory that `tuf-notary init --source DIR` or any static web server can
 * serve once it has been carried across the gap.
 */
import path from 'node:path';
import { normaliseSource } from './deployer';
import { need, type Command } from './command';
import { EXIT, table, when } from './output';

/** Progress lines start after this long, then come at most this often (ms). */
const PROGRESS_AFTER_MS = 1000;

/** The `mirror` command. */
export const mirrorCommand: Command = {
  summary:
    'copy a trust repository into a directory for an air-gapped site, verifying it on the way',
  usage:
    'tuf-notary mirror --root ROOT.json --from URL|DIR|oci://REG/REPO --to DIR [--all-targets] [--json]',
  example:
    'tuf-notary mirror --root /etc/app/root.json --from https://trust.example.com/ --to /media/usb/trust-mirror',
  options: {
    root: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'all-targets': { type: 'boolean' },
  },
  async run(args) {
    const root = path.resolve(need(args, 'root'));
    const from = normaliseSource(need(args, 'from'));
    const to = path.resolve(need(args, 'to'));
    const { mirrorRepository } = await import('../tuf/mirror');
    const started = Date.now();
    let lastLine = started;
    const result = await mirrorRepository({
      root,
      from,
      to,
      allTargets: args.values['all-targets'] === true,
      onProgress: (p) => {
        // A line only for downloads that take long; quick mirrors stay quiet.
        const now = Date.now();
        if (now - started < PROGRESS_AFTER_MS || now - lastLine < PROGRESS_AFTER_MS) return;
        lastLine = now;
        args.progress(
          `mirroring: ${p.files} files verified (${formatBytes(p.bytes)}), last ${p.file}`,
        );
      },
    });
    const rows = [
      ['mirror', result.to],
      ['source', result.source],
      ['root versions', result.roots.join(', ')],
      ['timestamp version', String(result.timestampVersion)],
      ['snapshot version', String(result.snapshotVersion)],
      ['targets version', String(result.targetsVersion)],
      ['metadata files', String(result.metadata.length)],
      ['targets', String(result.targets.length)],
      ['size', formatBytes(result.bytes)],
      ['expires', `${when(result.expires)} (${result.expiresRole})`],
    ];
    if (result.replaced) {
      const r = result.replaced;
      rows.push([
        'replaced',
        `root v${r.rootVersion}, timestamp v${r.timestampVersion}, snapshot v${r.snapshotVersion}`,
      ]);
    }
    args.out(
      [
        `Mirrored and verified ${result.source}`,
        '',
        table(['field', 'value'], rows),
        '',
        `Carry ${result.to} across and point clients at it: tuf-notary init --root ROOT.json --source DIR --cache DIR`,
        `Bring a newer mirror before ${when(result.expires)}: clients stop trusting this one then.`,
      ].join('\n'),
      result,
    );
    return EXIT.ok;
  },
};

/** `1.2 MB`-style sizes for progress and summaries. */
function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
