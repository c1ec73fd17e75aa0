/**
 * @module `npm run bench:render`: signed links/s against the raw node:crypto HMAC floor, compact
 * (SMS) links/s against the same floor, compact verifications/s against JWS verifications/s, and
 * recipients/s for examples/newsletter.hbs against bare Handlebars rendering the same template with
 * fixed links plus the HMACs those links need. Warm-up, then rounds that alternate ours and the
 * floor, medians. Time is the process's CPU time (user + system): on a shared machine wall time also
 * counts the moments other processes held the core. Every ratio is our throughput ÷ the floor's
 * (1.0 = at the floor); the last line is one JSON object with the figures.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { parseTemplate } from '../grammar/index.js';
import { KeyRing, type LinkClaimsInput } from '../src/links/index.js';
import { compile, parseGroupCatalog, render, type Recipient } from '../src/template/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = (name: string) => readFileSync(path.join(root, 'examples', name), 'utf8');
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
/** Passes over the 1,000 recipients per round: long enough rounds that a scheduler hiccup averages out. */
const passes = 3;

/** CPU seconds `body` takes. */
function cpuSeconds(body: () => void): number {
  const before = process.cpuUsage();
  body();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/**
 * Median throughputs (operations per CPU second) of two bodies, measured in alternating rounds so
 * that whatever else the machine does weighs on both alike.
 */
function measurePair(operations: number, ours: () => void, floor: () => void): [number, number] {
  for (let i = 0; i < 2; i++) {
    ours(); // warm-up: JIT, inline caches, lazy compilation
    floor();
  }
  const oursRates: number[] = [];
  const floorRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    oursRates.push(operations / cpuSeconds(ours));
    floorRates.push(operations / cpuSeconds(floor));
  }
  const median = (rates: number[]) => rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
  return [median(oursRates), median(floorRates)];
}

const format = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (ours: number, floor: number) => Math.round((ours / floor) * 1000) / 1000;
const keyRing = KeyRing.generate();
const baseUrl = 'https://unsub.example.com';
const floorKey = randomBytes(32);
let sink = 0; // results feed this, so no engine can drop the work

// --- links ---------------------------------------------------------------------------------------
const linkCount = 50_000;
const claims: LinkClaimsInput = {
  action: 'unsubscribe_groups',
  contactId: 1,
  channel: 'email',
  groupIds: [1, 2],
  messageUid: 'msg-2025-03-14-000001',
  issuedAt: 1_741_950_000,
};
const sample = keyRing.signLink(claims);
const signingInput = sample.slice(0, sample.lastIndexOf('.'));
const [linksPerSecond, hmacPerSecond] = measurePair(
  linkCount,
  () => {
    for (let i = 1; i <= linkCount; i++) {
      claims.contactId = i;
      sink += keyRing.signLink(claims).length;
    }
  },
  // The floor: one HMAC-SHA256 over a same-size JWS signing input, base64url, joined as a token.
  () => {
    for (let i = 1; i <= linkCount; i++) {
      sink += `${signingInput}.${createHmac('sha256', floorKey).update(signingInput).digest('base64url')}`
        .length;
    }
  },
);

// --- compact links (SMS) -------------------------------------------------------------------------
// Signing against the same HMAC floor; verifying against verifying the JWS of the same claims.
const compactClaims: LinkClaimsInput = {
  action: 'unsubscribe_groups',
  contactId: 1,
  channel: 'sms',
  groupIds: [1, 2],
  issuedAt: 1_741_950_000,
};
const [compactPerSecond, compactHmacPerSecond] = measurePair(
  linkCount,
  () => {
    for (let i = 1; i <= linkCount; i++) {
      compactClaims.contactId = i;
      sink += keyRing.signCompactLink(compactClaims).length;
    }
  },
  () => {
    for (let i = 1; i <= linkCount; i++) {
      sink += `${signingInput}.${createHmac('sha256', floorKey).update(signingInput).digest('base64url')}`
        .length;
    }
  },
);
const verifyCount = 20_000;
const compactCodes = Array.from({ length: verifyCount }, (_, i) =>
  keyRing.signCompactLink({ ...compactClaims, contactId: i + 1 }),
);
const jwsTokens = Array.from({ length: verifyCount }, (_, i) =>
  keyRing.signLink({ ...compactClaims, contactId: i + 1 }),
);
const [compactVerifyPerSecond, jwsVerifyPerSecond] = measurePair(
  verifyCount,
  () => {
    for (const code of compactCodes) sink += keyRing.verifyCompactLink(code).ok ? 1 : 0;
  },
  () => {
    for (const token of jwsTokens) sink += keyRing.verifyLink(token).ok ? 1 : 0;
  },
);

// --- render --------------------------------------------------------------------------------------
const source = example('newsletter.hbs');
const compiled = compile(source, { groups: parseGroupCatalog(JSON.parse(example('groups.json'))) });
if (!compiled.ok)
  throw new Error(`examples/newsletter.hbs does not compile: ${JSON.stringify(compiled.errors)}`);
const template = compiled.template;
const recipients = example('recipients.ndjson')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Recipient);
const options = { keyRing, baseUrl, messageUid: 'msg-2025-03-14-000001', now: () => 1_741_950_000_000 };

// The HMACs a recipient needs: one per distinct link (the header link usually repeats a body link).
let linksSigned = 0;
for (const recipient of recipients) {
  linksSigned += new Set(render(template, recipient, undefined, options).links.map((link) => link.url)).size;
}
const linksPerRecipient = linksSigned / recipients.length;

// Bare Handlebars: the same template with every tag replaced by a fixed link of the same length.
const fixedUrl = `${baseUrl}/u/${sample}`;
let bareSource = '';
let at = 0;
for (const node of parseTemplate(source).ast.nodes) {
  if (node.kind === 'tag') {
    bareSource += source.slice(at, node.start) + fixedUrl;
    at = node.end;
  }
}
bareSource += source.slice(at);
const bare = Handlebars.create().compile(bareSource);

const [renderPerSecond, barePerSecond] = measurePair(
  recipients.length * passes,
  () => {
    for (let pass = 0; pass < passes; pass++) {
      for (const recipient of recipients) sink += render(template, recipient, undefined, options).html.length;
    }
  },
  () => {
    for (let pass = 0; pass < passes; pass++) {
      for (const recipient of recipients) sink += bare(recipient).length;
    }
  },
);
// The floor pays bare rendering plus the HMACs of the links each recipient needs.
const renderFloorPerSecond = 1 / (1 / barePerSecond + linksPerRecipient / hmacPerSecond);

const result = {
  links_per_s: Math.round(linksPerSecond),
  hmac_floor_per_s: Math.round(hmacPerSecond),
  links_ratio: ratio(linksPerSecond, hmacPerSecond),
  recipients_per_s: Math.round(renderPerSecond),
  bare_handlebars_per_s: Math.round(barePerSecond),
  links_per_recipient: Math.round(linksPerRecipient * 100) / 100,
  render_floor_per_s: Math.round(renderFloorPerSecond),
  render_ratio: ratio(renderPerSecond, renderFloorPerSecond),
  compact_links_per_s: Math.round(compactPerSecond),
  compact_links_ratio: ratio(compactPerSecond, compactHmacPerSecond),
  compact_verify_per_s: Math.round(compactVerifyPerSecond),
  jws_verify_per_s: Math.round(jwsVerifyPerSecond),
  compact_verify_ratio: ratio(compactVerifyPerSecond, jwsVerifyPerSecond),
  rounds,
};
process.stdout.write(
  `links:  ${format(linksPerSecond)} signed links/s vs ${format(hmacPerSecond)}/s raw HMAC floor → ratio ${result.links_ratio}\n`,
);
process.stdout.write(
  `render: ${format(renderPerSecond)} recipients/s vs ${format(renderFloorPerSecond)}/s floor ` +
    `(bare Handlebars ${format(barePerSecond)}/s + ${result.links_per_recipient} HMACs/recipient) → ratio ${result.render_ratio}\n`,
);
process.stdout.write(
  `compact: ${format(compactPerSecond)} compact links/s vs ${format(compactHmacPerSecond)}/s raw HMAC floor → ratio ${result.compact_links_ratio}\n`,
);
process.stdout.write(
  `verify: ${format(compactVerifyPerSecond)} compact/s vs ${format(jwsVerifyPerSecond)} JWS/s → ratio ${result.compact_verify_ratio}\n`,
);
if (sink === 0) process.stdout.write('\n');
process.stdout.write(`${JSON.stringify(result)}\n`);
