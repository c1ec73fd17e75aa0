/**
 * @module Composer example: load the link-signing keys, compile a template once with a group
 * catalog, render it per recipient, and hand the HTML and the List-Unsubscribe headers to a mailer.
 * Run: npx tsx examples/compose.ts (writes ./data/keys.json on the first run; back that file up).
 */
import { KeyRing, compile, parseGroupCatalog, render } from 'unsub';

// One key ring per process: it signs every link and verifies them when recipients click.
const keyRing = await KeyRing.load('./data/keys.json', { create: true });

// Groups by id, display name and Latin system name (or the text of a groups.json file).
const groups = parseGroupCatalog([
  { id: 1, name: 'Новости', systemName: 'news', channel: 'email' },
  { id: 2, name: 'Promotions', systemName: 'promo', channel: 'email' },
]);

// Compile once: tag errors come back with line and column, never as an exception.
const compiled = compile(
  `<p>Hello {{first_name}}!</p>
<p><a href="<<Unsubscribe('promo')>>">No more promotions</a> ·
<a href="<<link_unsubscribe_manager>>">Choose what you get</a> ·
<a href="<<link_unsubscribe>>">Unsubscribe from everything</a></p>`,
  { groups, requireUnsubscribe: true },
);
if (!compiled.ok) {
  for (const e of compiled.errors) console.error(`${e.line}:${e.column} ${e.code}: ${e.message}`);
  process.exit(1);
}

// Render per recipient: the contact id goes into the signed links, the rest is merge data.
const recipients = [{ contactId: 42, email: 'anna@example.com', first_name: 'Anna' }];
for (const recipient of recipients) {
  const { html, headers, links } = render(
    compiled.template,
    recipient,
    {},
    {
      keyRing,
      baseUrl: 'https://unsub.example.com',
      messageUid: `spring-sale-${recipient.contactId}`,
    },
  );
  // Give `html` and `headers` (List-Unsubscribe, List-Unsubscribe-Post) to your mailer.
  console.log(JSON.stringify({ to: recipient.email, headers, links: links.map((l) => l.url), html }));
}
