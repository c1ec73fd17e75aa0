/**
 * @module The demo's preview page (`GET /`): the rendered newsletter in a sandboxed iframe, its
 * List-Unsubscribe headers with a one-click form, every link of the copy, the demo contact's
 * memberships and the latest outbox events. Handlebars escapes everything; no inline script or
 * style (the page is served under a strict CSP with its own stylesheet).
 */
import Handlebars from 'handlebars';

/** One link of the rendered copy, as the page lists it. */
export interface PreviewLink {
  url: string;
  label: string;
  tag: string;
}

/** What the preview page shows. */
export interface PreviewView {
  email: string;
  contactId: number;
  headers: { name: string; value: string }[];
  headerUrl: string;
  links: PreviewLink[];
  memberships: { group: string; channel: string; state: string; source: string; changedAt: string }[];
  events: string[];
}

const source = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>unsub demo</title>
<link rel="stylesheet" href="preview/preview.css">
</head>
<body>
<header>
<h1>unsub demo</h1>
<p><code>examples/newsletter.hbs</code> rendered for the demo contact <strong>{{email}}</strong> (contact {{contactId}}).
Every link is signed for this server: click one, confirm or pick groups, then reload this page to see the
subscriptions and the events change. Links open in a new tab, as from a mail client.</p>
</header>
<div class="columns">
<section class="mail">
<h2>The e-mail</h2>
<iframe src="preview/email" title="The rendered newsletter" sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>
</section>
<div class="side">
<section>
<h2>Headers</h2>
<pre>{{#each headers}}{{name}}: {{value}}
{{/each}}</pre>
<p>A mailbox provider's "Unsubscribe" button POSTs <code>List-Unsubscribe=One-Click</code> to that URL (RFC 8058):</p>
<form method="post" action="{{headerUrl}}" target="_blank">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">One-click unsubscribe</button>
</form>
</section>
<section>
<h2>Links in this copy</h2>
<ul class="links">
{{#each links}}<li><a href="{{url}}" target="_blank" rel="noopener">{{label}}</a> <code>{{tag}}</code></li>
{{/each}}</ul>
</section>
<section>
<h2>Subscriptions of {{email}}</h2>
<table>
<thead><tr><th>Group</th><th>Channel</th><th>State</th><th>Source</th><th>Changed</th></tr></thead>
<tbody>
{{#each memberships}}<tr class="{{state}}"><td>{{group}}</td><td>{{channel}}</td><td>{{state}}</td><td>{{source}}</td><td>{{changedAt}}</td></tr>
{{/each}}</tbody>
</table>
<form method="post" action="preview/reset">
<button type="submit">Re-subscribe the demo contact to everything</button>
</form>
</section>
<section>
<h2>Latest events</h2>
<p>What webhook endpoints receive, newest first (from the outbox):</p>
{{#each events}}<pre>{{this}}</pre>
{{else}}<p>None yet.</p>
{{/each}}
</section>
<footer>
<p>Also here: the admin API under <code>/api</code> (bearer token printed at the first start),
<a href="healthz">/healthz</a>.</p>
</footer>
</div>
</div>
</body>
</html>
`;

const template = Handlebars.create().compile<PreviewView>(source, { strict: true });

/** The preview page's HTML. */
export function previewPageHtml(view: PreviewView): string {
  return template(view);
}

/** The page shown at `/` without `--demo`. */
export function runningPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex, nofollow"><title>unsub</title></head>
<body>
<h1>unsub is running</h1>
<p>Unsubscribe links are served under <code>/u/</code> and <code>/m/</code>, the admin API under <code>/api</code>.
Health: <a href="healthz">/healthz</a>. Run <code>unsub serve --demo</code> for a clickable preview.</p>
</body>
</html>
`;
}

/** The preview page's stylesheet (served as a file: the CSP allows no inline style). */
export const previewCss = `:root { color-scheme: light dark; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0 auto; max-width: 84rem; padding: 1rem 1.5rem 3rem; }
h1 { margin: 0.5rem 0; } h2 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
.columns { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
.mail { flex: 1 1 40rem; } .side { flex: 1 1 24rem; min-width: 0; }
iframe { width: 100%; height: 80vh; border: 1px solid #c9ced8; border-radius: 6px; background: #fff; }
pre { white-space: pre-wrap; word-break: break-all; background: rgba(127,127,127,0.12); padding: 0.5rem; border-radius: 4px; font-size: 12px; }
ul.links { padding-left: 1.2rem; } ul.links li { margin: 0.3rem 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 0.25rem 0.4rem; border-bottom: 1px solid rgba(127,127,127,0.3); }
tr.unsubscribed td { opacity: 0.6; }
button { font: inherit; padding: 0.4rem 0.9rem; margin: 0.5rem 0; cursor: pointer; }
`;
