/**
 * @module Writes `examples/recipients.ndjson`: 1,000 made-up recipients for `newsletter.hbs`, the
 * same every run (seeded generator). Run: `npx tsx examples/makeRecipients.ts [COUNT] [FILE]`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** mulberry32: a tiny seeded PRNG, so the file is byte-for-byte reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const firstNames = [
  'Anna',
  'Ben',
  'Chloé',
  'Dmitri',
  'Elif',
  'Fatima',
  'George',
  'Hana',
  'Иван',
  'Мария',
  'Seán',
  'Zoë',
];
const lastNames = [
  'Andersen',
  'Brown',
  'Castillo',
  "O'Brien",
  'Nguyen',
  'Petrova',
  'Смирнов',
  'Tanaka',
  'Weiß',
  'Young & Co',
];
const cities = ['Portsmouth', 'London', 'Berlin', 'Москва', 'Lisbon', 'Kraków', ''];
const articles = [
  {
    title: 'Spring catalogue is out',
    summary: 'Forty new teas, three new coffee roasts and a refreshed biscuit line.',
    minutes: 3,
  },
  {
    title: 'Behind the scenes: our Portsmouth warehouse',
    summary: 'How 14 people pack 2,000 parcels a day — and keep the cat fed.',
    minutes: 6,
  },
  {
    title: 'Recipe: cardamom buns',
    summary: 'A weekend bake that fills the house with the smell of cardamom <and> butter.',
    minutes: 8,
  },
  {
    title: 'Новости компании',
    summary: 'Открыли склад в Казани: доставка по Поволжью теперь за два дня.',
    minutes: 2,
  },
  {
    title: 'Webinar: brewing at home',
    summary: 'Our head taster on water temperature, timing and the perfect cup.',
    minutes: 4,
  },
  {
    title: 'Why we switched to paper tape',
    summary: 'Fewer plastics, same strength: what we learnt in six months.',
    minutes: 5,
  },
];

/** The recipients, generated deterministically from `seed`. */
export function makeRecipients(count: number, seed = 2024): object[] {
  const random = seeded(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  return Array.from({ length: count }, (_, index) => {
    const contactId = index + 1;
    const chosen = new Set<number>();
    const wanted = 2 + Math.floor(random() * 2);
    while (chosen.size < wanted) chosen.add(Math.floor(random() * articles.length));
    return {
      contactId,
      email: `reader${contactId}@example.com`,
      first_name: pick(firstNames),
      last_name: pick(lastNames),
      city: pick(cities),
      vip: random() < 0.3,
      points: Math.floor(random() * 5000),
      promo_code: `NW-${(contactId * 7919).toString(36).toUpperCase()}`,
      issue_date: '2025-03-14',
      articles: [...chosen].map((n) => ({ ...articles[n], url: `https://northwind.example.com/a/${n + 1}` })),
    };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? 1000);
  const file =
    process.argv[3] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'recipients.ndjson');
  writeFileSync(
    file,
    makeRecipients(count)
      .map((row) => JSON.stringify(row))
      .join('\n') + '\n',
  );
  process.stdout.write(`wrote ${count} recipients to ${file}\n`);
}
