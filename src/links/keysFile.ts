/**
 * @module The JWK Set file of the key ring: strict parsing with messages that name the file and the
 * member at fault, and atomic writes (temp file + rename, mode 0600) so a crash never leaves half a
 * key file and a reader never sees one.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { entryFromJwk, jwkFromEntry, type KeyEntry } from './keyMaterial.js';
import { LinkKeyError } from './linkErrors.js';

function invalid(file: string, problem: string): LinkKeyError {
  return new LinkKeyError('keys_file_invalid', `keys file ${file}: ${problem}`, { field: file });
}

/** Parses the text of a key file into keys, or throws `LinkKeyError` (`keys_file_invalid`). */
export function parseKeysFile(text: string, file: string): KeyEntry[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw invalid(file, `not valid JSON (${(error as Error).message})`);
  }
  if (
    typeof document !== 'object' ||
    document === null ||
    !Array.isArray((document as { keys?: unknown }).keys)
  ) {
    throw invalid(file, 'must be a JWK Set: {"keys": [ … ]}');
  }
  const entries: KeyEntry[] = [];
  const kids = new Set<string>();
  for (const [index, jwk] of (document as { keys: unknown[] }).keys.entries()) {
    const entry = entryFromJwk(jwk, `keys[${index}]`);
    if (typeof entry === 'string') throw invalid(file, entry);
    if (kids.has(entry.kid)) throw invalid(file, `keys[${index}].kid ${entry.kid} appears twice`);
    kids.add(entry.kid);
    entries.push(entry);
  }
  if (!entries.some((entry) => entry.status === 'active')) {
    throw invalid(file, 'has no key with unsub_status "active" to sign links; run `unsub keys rotate`');
  }
  return entries;
}

/**
 * Reads and parses a key file; resolves undefined when it does not exist.
 * @throws LinkKeyError `keys_file_invalid` or `keys_file_unreadable`.
 */
export async function readKeysFile(file: string): Promise<KeyEntry[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LinkKeyError(
      'keys_file_unreadable',
      `keys file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        field: file,
        cause: error,
      },
    );
  }
  return parseKeysFile(text, file);
}

/** The file text of a key set. */
export function keysFileText(entries: readonly KeyEntry[]): string {
  return `${JSON.stringify({ keys: entries.map(jwkFromEntry) }, null, 2)}\n`;
}

/**
 * Writes the key file atomically with mode 0600, creating its folder. With `exclusive`, an existing
 * file is left alone and the call resolves false (two processes creating the file at once: one wins).
 */
export async function writeKeysFile(
  file: string,
  entries: readonly KeyEntry[],
  options: { exclusive?: boolean } = {},
): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(keysFileText(entries));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(temp, 0o600); // the umask could only narrow it, but be explicit
    if (!options.exclusive) {
      await rename(temp, file);
      return true;
    }
    // link() fails with EEXIST instead of replacing, which rename() would do.
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
