/**
 * @module `unsub links decode URL|TOKEN`: verify a link (a full `/u/`, `/m/` or compact `/s/` URL,
 * or a bare JWS or compact code) with the key ring and print its key, form and claims as JSON; exit
 * 1 with a one-line reason otherwise.
 */
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { KeyRing, tokenFromLink, type LinkInvalidReason } from '../links/index.js';

const reasons: Record<LinkInvalidReason, string> = {
  malformed: 'malformed (not a link token)',
  bad_signature: 'tampered (the signature does not match)',
  unknown_key: 'unknown key (signed with a key that is not in the keys file)',
  retired_key: 'retired key (its links were revoked)',
  expired: 'expired',
  invalid_claims: 'invalid claims',
};

function refuse(reason: string): void {
  process.stderr.write(`unsub: invalid link: ${reason}\n`);
  process.exitCode = 1;
}

/** The `links` command (`links decode`). */
export function linksCommand(): Command {
  // exitOverride before the subcommand so it inherits it (see keysCommand).
  const links = new Command('links').description('inspect signed links').exitOverride().showHelpAfterError();

  links
    .command('decode')
    .description('verify a link and print {kid, alg, claims} as JSON; exit 1 with the reason when it is bad')
    .argument('<link>', 'a full /u/, /m/ or /s/ URL, or a bare token or compact code')
    .action(async (link: string) => {
      const config = loadConfig();
      const ring = await KeyRing.load(config.keysFile, { maxAgeDays: config.linkMaxAgeDays });
      const found = tokenFromLink(link);
      if (!found) return refuse('malformed (a URL without /u/TOKEN, /m/TOKEN or /s/CODE)');
      // A bare value without dots can only be a compact code; under /u/ and /m/ only a JWS counts.
      const form =
        found.page === 's' || (found.page === undefined && !found.token.includes('.')) ? 'compact' : 'jws';
      const result = form === 'compact' ? ring.verifyCompactLink(found.token) : ring.verifyLink(found.token);
      if (!result.ok) return refuse(reasons[result.reason]);
      const manage = result.claims.action === 'manage';
      if (form === 'jws' && found.page !== undefined && manage !== (found.page === 'm')) {
        return refuse(`wrong page (a ${result.claims.action} token under /${found.page}/)`);
      }
      const alg = ring.list().find((key) => key.kid === result.kid)?.alg;
      process.stdout.write(
        `${JSON.stringify({ kid: result.kid, alg, form, claims: result.claims }, null, 2)}\n`,
      );
    });

  return links;
}
