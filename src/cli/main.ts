#!/usr/bin/env node
/**
 * The `tuf-notary` command: thin argument parsing over the public API
 * (DESIGN.md "CLI"). Every command takes --json; exit codes: 0 success,
 * 1 verification failed or trust refused, 2 usage error, 3 source or registry
 * unreachable.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TufNotaryError, UsageError } from '../errors';
import { loadNotationConfig } from '../trust';
import { TrustClient } from '../tuf';
import { Verifier } from '../verify';
import type { VerificationOutcome } from '../verify/types';
import {
  exportTo,
  normaliseSource,
  openCache,
  statusText,
  trustText,
  writeConfig,
} from './deployer';
import { EXIT, exitCodeFor, table, toJson } from './output';

import { need, type Command, type Options, type Parsed } from './command';
import { mirrorCommand } from './mirror';
import { repoCommands } from './repo';

const common: Options = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

/** Flags of the commands that talk to a registry. */
const registryOptions: Options = {
  'plain-http': { type: 'boolean' },
  'docker-config': { type: 'string' },
};

/** A RegistryClient from the flags: Docker config.json credentials; plain HTTP only when asked (or loopback). */
async function registryClient(args: Parsed): Promise<import('../registry').RegistryClient> {
  const { RegistryClient } = await import('../registry');
  const dockerConfig = args.values['docker-config'];
  return new RegistryClient({
    plainHttp: args.values['plain-http'] === true,
    dockerConfig: typeof dockerConfig === 'string' ? dockerConfig : true,
  });
}

const commands: Record<string, Command> = {
  init: {
    summary: 'point a cache directory at a trust repository, pinned to a root.json',
    usage: 'tuf-notary init --root ROOT.json --source URL|DIR --cache DIR [--staged] [--json]',
    example:
      'tuf-notary init --root /etc/app/root.json --source https://trust.example.com/ --cache /var/lib/app/trust',
    options: {
      root: { type: 'string' },
      source: { type: 'string' },
      cache: { type: 'string' },
      staged: { type: 'boolean' },
    },
    async run(args) {
      const cache = path.resolve(need(args, 'cache'));
      const root = path.resolve(need(args, 'root'));
      const source = normaliseSource(need(args, 'source'));
      await writeConfig(cache, { root, source, updates: args.values.staged ? 'staged' : 'auto' });
      const client = await openCache(cache);
      try {
        const snapshot = await client.refresh();
        args.out(`Initialised ${cache}\n\n${statusText(client)}`, {
          cache,
          status: client.status(),
          provenance: snapshot.provenance,
        });
      } finally {
        await client.close();
      }
      return EXIT.ok;
    },
  },
  refresh: {
    summary: 'update trust from the repository (TUF workflow)',
    usage: 'tuf-notary refresh --cache DIR [--json]',
    example: 'tuf-notary refresh --cache /var/lib/app/trust',
    options: { cache: { type: 'string' } },
    async run(args) {
      const client = await openCache(need(args, 'cache'));
      try {
        await client.refresh();
        const pending = client.pending();
        args.out(
          statusText(client) +
            (pending
              ? '\n\nA staged change is pending: review it with `tuf-notary pending`, then `tuf-notary apply`.'
              : ''),
          client.status(),
        );
      } finally {
        await client.close();
      }
      return EXIT.ok;
    },
  },
  status: {
    summary: 'show versions, expiry and mode of the cached trust (no network)',
    usage: 'tuf-notary status --cache DIR [--json]',
    example: 'tuf-notary status --cache /var/lib/app/trust --json',
    options: { cache: { type: 'string' } },
    async run(args) {
      const client = await openCache(need(args, 'cache'), { offline: true });
      try {
        args.out(statusText(client), client.status());
      } finally {
        await client.close();
      }
      return EXIT.ok;
    },
  },
  pending: {
    summary: 'staged mode: show the verified change waiting for apply',
    usage: 'tuf-notary pending --cache DIR [--json]',
    example: 'tuf-notary pending --cache /var/lib/app/trust',
    options: { cache: { type: 'string' } },
    async run(args) {
      const client = await openCache(need(args, 'cache'), { offline: true });
      try {
        const change = client.pending();
        if (!change) {
          args.out('No pending change.', { pending: null });
          return EXIT.ok;
        }
        const rows = [
          ...change.addedCertificates.map((c) => ['+', c.store, c.fingerprint]),
          ...change.removedCertificates.map((c) => ['-', c.store, c.fingerprint]),
        ];
        const text = [
          `Pending: snapshot v${change.from.snapshotVersion} -> v${change.to.snapshotVersion}` +
            ' (removals and revocations are already in effect)',
          rows.length ? table(['', 'store', 'sha256'], rows) : 'No certificate changes.',
          change.policyChanged
            ? `Policy changes:\n  ${change.policyDiff.join('\n  ')}`
            : 'Policy unchanged.',
          'Activate with: tuf-notary apply --cache DIR',
        ].join('\n\n');
        args.out(text, { pending: change });
      } finally {
        await client.close();
      }
      return EXIT.ok;
    },
  },
  apply: {
    summary: 'staged mode: activate the pending change',
    usage: 'tuf-notary apply --cache DIR [--json]',
    example: 'tuf-notary apply --cache /var/lib/app/trust',
    options: { cache: { type: 'string' } },
    async run(args) {
      const client = await openCache(need(args, 'cache'), { offline: true });
      try {
        const had = client.pending() !== undefined;
        const snapshot = await client.apply();
        args.out(had ? `Applied.\n\n${statusText(client)}` : 'Nothing to apply.', {
          applied: had,
          provenance: snapshot.provenance,
        });
      } finally {
        await client.close();
      }
      return EXIT.ok;
    },
  },
  trust: {
    summary: 'list the active trust: policy statements, stores and certificates',
    usage: 'tuf-notary trust --cache DIR [--json]',
    example: 'tuf-notary trust --cache /var/lib/app/trust',
    options: { cache: { type: 'string' } },
    async run(args) {
      const client = await openCache(need(args, 'cache'), { offline: true });
      try {
        const snapshot = client.current();
        args.out(trustText(snapshot), {
          policy: snapshot.policy,
          blobPolicy: snapshot.blobPolicy,
          stores: snapshot.stores.list().map((s) => ({
            type: s.type,
            name: s.name,
            certificates: s.certificates.map((c) => ({
              fingerprint: c.fingerprint,
              subject: c.subject,
              notAfter: c.notAfter,
            })),
          })),
          revocations: snapshot.revocations,
          provenance: snapshot.provenance,
        });
      } finally {
        await client.close();
      }
      return EXIT.ok;
    },
  },
  export: {
    summary: 'write a Notation configuration directory from the verified trust',
    usage: 'tuf-notary export --cache DIR --notation-dir DIR [--json]',
    example: 'tuf-notary export --cache /var/lib/app/trust --notation-dir ~/.config/notation',
    options: { cache: { type: 'string' }, 'notation-dir': { type: 'string' } },
    async run(args) {
      const client = await openCache(need(args, 'cache'), { offline: true });
      try {
        const dir = path.resolve(need(args, 'notation-dir'));
        await exportTo(client, dir);
        args.out(`Wrote ${dir}`, { notationDir: dir });
      } finally {
        await client.close();
      }
      return EXIT.ok;
    },
  },
  mirror: mirrorCommand,
  verify: {
    summary: 'verify an artifact: a given envelope, or the signatures discovered in its registry',
    usage:
      'tuf-notary verify REFERENCE [--envelope FILE [--media-type T]] (--cache DIR | --notation-dir DIR) ' +
      '[--plain-http] [--docker-config FILE] [--max-signatures N] [--json]',
    example: 'tuf-notary verify registry.example.com/app:1.4 --cache /var/lib/app/trust',
    options: {
      envelope: { type: 'string' },
      'media-type': { type: 'string' },
      cache: { type: 'string' },
      'notation-dir': { type: 'string' },
      ...registryOptions,
      'max-signatures': { type: 'string' },
    },
    async run(args) {
      const reference = args.positionals[0];
      if (!reference) throw new UsageError('REFERENCE is required');
      const cache = args.values.cache;
      const notationDir = args.values['notation-dir'];
      if ((typeof cache === 'string') === (typeof notationDir === 'string')) {
        throw new UsageError('give exactly one of --cache DIR or --notation-dir DIR');
      }
      let client: TrustClient | undefined;
      try {
        const trust =
          typeof cache === 'string'
            ? (client = await openCache(cache, { offline: true }))
            : await loadNotationConfig(notationDir as string);
        const verifier = new Verifier(trust);
        const envelopePath = args.values.envelope;
        let outcome: VerificationOutcome;
        if (typeof envelopePath === 'string') {
          const envelope = await readFile(envelopePath);
          const mediaType =
            typeof args.values['media-type'] === 'string'
              ? args.values['media-type']
              : guessMediaType(envelopePath, envelope);
          outcome = await verifier.verify({ artifact: reference, envelope, mediaType });
        } else {
          const max = args.values['max-signatures'];
          const maxSignatures = typeof max === 'string' ? Number(max) : undefined;
          if (
            maxSignatures !== undefined &&
            !(Number.isSafeInteger(maxSignatures) && maxSignatures > 0)
          ) {
            throw new UsageError(`--max-signatures must be a positive integer, not ${String(max)}`);
          }
          const registry = await registryClient(args);
          outcome = await verifier.verifyArtifact(reference, {
            registry,
            ...(maxSignatures ? { maxSignatures } : {}),
          });
        }
        args.out(outcomeText(reference, outcome), outcome);
        return outcome.ok ? EXIT.ok : EXIT.failed;
      } finally {
        await client?.close();
      }
    },
  },
  signatures: {
    summary: 'list the Notary signatures a registry holds for an artifact (no trust decision)',
    usage: 'tuf-notary signatures REFERENCE [--plain-http] [--docker-config FILE] [--json]',
    example: 'tuf-notary signatures registry.example.com/app:1.4 --json',
    options: { ...registryOptions },
    async run(args) {
      const reference = args.positionals[0];
      if (!reference) throw new UsageError('REFERENCE is required');
      const registry = await registryClient(args);
      const resolved = await registry.resolve(reference);
      const found = await registry.listSignatures(resolved);
      const rows = found.map((d) => [
        d.digest,
        String(d.size),
        d.annotations?.['io.cncf.notary.x509chain.thumbprint#S256'] ? 'yes' : '-',
      ]);
      args.out(
        [
          `${reference} -> ${resolved.descriptor.digest}${resolved.byTag ? ' (resolved by tag)' : ''}`,
          found.length
            ? table(['signature manifest', 'size', 'thumbprints'], rows)
            : 'No Notary signatures found.',
        ].join('\n\n'),
        {
          artifact: { reference, descriptor: resolved.descriptor, byTag: resolved.byTag },
          signatures: found,
        },
      );
      return EXIT.ok;
    },
  },
};

/** `.cose.sig` / `.jws.sig` by name, else by the first byte (`{` is JSON). */
function guessMediaType(file: string, bytes: Uint8Array): string {
  if (/\.cose(\.sig)?$/i.test(file)) return 'application/cose';
  if (/\.jws(\.sig)?$/i.test(file)) return 'application/jose+json';
  return bytes[0] === 0x7b ? 'application/jose+json' : 'application/cose';
}

/** Human rendering of an outcome: one row per check. */
export function outcomeText(reference: string, o: VerificationOutcome): string {
  const rows = o.checks.map((c) => [
    c.check,
    c.result,
    c.action,
    c.error ? `${c.error.code}: ${c.error.message}` : (c.detail?.note ?? c.detail?.store ?? ''),
  ]);
  const head = o.ok
    ? `VERIFIED ${reference}${o.signer ? `\n  signed by ${o.signer.subject}` : ''}`
    : `FAILED ${reference}\n  ${o.error ? `${o.error.code}: ${o.error.message}` : ''}`;
  const lines = [head, `  policy ${o.policy ?? '-'} (level ${o.level ?? '-'})`];
  if (rows.length) lines.push('', table(['check', 'result', 'action', 'detail'], rows));
  if (o.warnings.length) lines.push('', ...o.warnings.map((w) => `warning: ${w}`));
  return lines.join('\n');
}

function helpText(): string {
  const rows = [
    ...Object.entries(commands).map(([name, c]) => [name, c.summary]),
    ...Object.entries(repoCommands).map(([name, c]) => [`repo ${name}`, c.summary]),
  ];
  return [
    'tuf-notary: verify Notary Project signatures against trust distributed through TUF',
    '',
    table(['command', 'what it does'], rows),
    '',
    'Run `tuf-notary COMMAND --help` for its flags and an example.',
    'Exit codes: 0 success, 1 verification failed or trust refused, 2 usage error, 3 source unreachable.',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(helpText());
    return name ? EXIT.ok : EXIT.usage;
  }
  let command: Command | undefined = commands[name];
  if (name === 'repo') {
    // `tuf-notary repo SUBCOMMAND …`: the administrator's commands.
    const [sub, ...subRest] = rest;
    command = sub ? repoCommands[sub] : undefined;
    if (!command) {
      const list = Object.entries(repoCommands).map(([n, c]) => [`repo ${n}`, c.summary]);
      console.error(
        `${sub ? `unknown command "repo ${sub}"` : 'repo needs a subcommand'}\n\n${table(['command', 'what it does'], list)}`,
      );
      return EXIT.usage;
    }
    name = `repo ${sub}`;
    rest = subRest;
  }
  if (!command) {
    console.error(`unknown command "${name}"\n\n${helpText()}`);
    return EXIT.usage;
  }
  let json = rest.includes('--json');
  try {
    const parsed = parseArgs({
      args: [...rest],
      options: { ...common, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    json = parsed.values.json === true;
    if (parsed.values.help) {
      console.log(`${command.summary}\n\nusage: ${command.usage}\nexample: ${command.example}`);
      return EXIT.ok;
    }
    return await command.run({
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
      json,
      out: (text, value) => console.log(json ? toJson(value) : text),
      progress: (text) => {
        if (!json) process.stderr.write(`${text}\n`);
      },
    });
  } catch (err) {
    // parseArgs throws TypeErrors coded ERR_PARSE_ARGS_* (checked by code: realms differ under jest).
    const nodeCode = (err as { code?: unknown } | undefined)?.code;
    const coded =
      err instanceof TufNotaryError
        ? err
        : typeof nodeCode === 'string' && nodeCode.startsWith('ERR_PARSE_ARGS')
          ? new UsageError(`${(err as Error).message}\nusage: ${command.usage}`)
          : undefined;
    if (json) {
      console.log(toJson({ error: coded ?? { code: 'ERR_INTERNAL', message: String(err) } }));
    } else {
      console.error(
        `error: ${coded ? `${coded.code}: ${coded.message}` : String((err as Error)?.stack ?? err)}`,
      );
    }
    return exitCodeFor(coded ?? err);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = EXIT.failed;
    },
  );
}
