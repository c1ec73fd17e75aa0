/**
 * @module `unsub keys generate | list | rotate | retire KID`: manage the JWK Set file of link signing
 * keys (`UNSUB_KEYS_FILE`, default `./data/keys.json`). Secrets are never printed.
 */
import { Command, Option } from 'commander';
import { loadConfig } from '../config/index.js';
import { KeyRing, LinkKeyError, type KeyAlg, type KeyInfo } from '../links/index.js';

const algOption = () =>
  new Option('--alg <alg>', 'signature algorithm of the new key').choices(['HS256', 'EdDSA']);

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Aligned columns, one row per key; the signing key is marked. */
function keyTable(keys: KeyInfo[]): string {
  const rows = [
    ['KID', 'ALG', 'STATUS', 'CREATED', ''],
    ...keys.map((key) => [key.kid, key.alg, key.status, key.created, key.signing ? 'signs new links' : '']),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function existingRing(file: string): Promise<KeyRing> {
  return KeyRing.load(file); // no create: rotating or retiring in a new file makes no sense
}

/** The `keys` command with its four subcommands. */
export function keysCommand(): Command {
  // addCommand() does not pass the program's exitOverride down, so set it here (before the
  // subcommands, which copy it): errors then reach main() instead of exiting the process.
  const keys = new Command('keys')
    .description('manage the link signing keys (JWK Set file UNSUB_KEYS_FILE, default ./data/keys.json)')
    .exitOverride()
    .showHelpAfterError();

  keys
    .command('generate')
    .description('create the keys file with one signing key (refuses when it exists: use rotate)')
    .addOption(algOption().default('HS256'))
    .action(async (options: { alg: KeyAlg }) => {
      const file = loadConfig().keysFile;
      let created = false;
      const ring = await KeyRing.load(file, {
        create: true,
        alg: options.alg,
        onCreate: () => (created = true),
      });
      if (!created) {
        throw new LinkKeyError(
          'keys_file_exists',
          `keys file ${file} already exists; run \`unsub keys rotate\` to add a new signing key`,
          {
            field: file,
          },
        );
      }
      print(
        `Created ${file} with signing key ${ring.signingKid} (${options.alg}). Keep it secret and back it up: links die with it.`,
      );
    });

  keys
    .command('list')
    .description('show every key: kid, algorithm, status, creation time (never the secret)')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const ring = await existingRing(loadConfig().keysFile);
      print(options.json ? JSON.stringify(ring.list(), null, 2) : keyTable(ring.list()));
    });

  keys
    .command('rotate')
    .description('add a new signing key; the current one keeps verifying the links it signed')
    .addOption(algOption())
    .action(async (options: { alg?: KeyAlg }) => {
      const file = loadConfig().keysFile;
      const ring = await existingRing(file);
      const previous = ring.signingKid;
      const added = ring.rotate({ alg: options.alg });
      await ring.save();
      print(
        `Added ${added.kid} (${added.alg}), which signs new links; ${previous} now only verifies. ` +
          'Restart running `unsub serve` processes to pick it up.',
      );
    });

  keys
    .command('retire')
    .description(
      'revoke a key: links it signed stop working (the signing key cannot be retired: rotate first)',
    )
    .argument('<kid>', 'the key id, as shown by `unsub keys list`')
    .action(async (kid: string) => {
      const ring = await existingRing(loadConfig().keysFile);
      if (ring.list().find((key) => key.kid === kid)?.status === 'retired') {
        print(`${kid} is already retired.`);
        return;
      }
      ring.retire(kid);
      await ring.save();
      print(
        `Retired ${kid}: links signed with it no longer work. Restart running \`unsub serve\` processes to apply it.`,
      );
    });

  return keys;
}
