/**
 * @module Migration 13: erasure scrubs that survive a crash.
 *
 * Erasing a contact deletes its row in one transaction, then scrubs the history (event bodies,
 * response excerpts) in pages. Until now the pages' cursors and the strings they look for lived
 * only in the process doing it: had it died between the contact's deletion and the last page, the
 * person's address would have stayed in the history with nothing left to say so. `erasure_scrubs`
 * holds an erasure's scrub from the transaction that deletes the contact (so there is never a
 * moment with neither) until the transaction of its last page, which deletes the row: the needles
 * (the lower-cased address and phone, the same strings the history still holds at that moment),
 * the two cursors (null once that table is done) and the running counts for the report. Every
 * page moves the cursors in its own transaction, so a resumed scrub goes on where the last
 * committed page ended; the retention job resumes scrubs that nobody has moved for a while.
 */
import type { Migration } from './migration.js';

const table = (bigint: string, identity: string) => `
CREATE TABLE erasure_scrubs (
  id ${identity},
  contact_id ${bigint} NOT NULL,
  needles TEXT NOT NULL,
  after_event_id ${bigint},
  after_attempt_id ${bigint},
  events INTEGER NOT NULL DEFAULT 0,
  deliveries INTEGER NOT NULL DEFAULT 0,
  cancelled INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  excerpts INTEGER NOT NULL DEFAULT 0,
  created_at ${bigint} NOT NULL,
  updated_at ${bigint} NOT NULL
);
`;

/** The table of erasure scrubs in progress. */
export const m013ErasureScrubs: Migration = {
  id: 13,
  name: 'erasure scrubs',
  sql: {
    sqlite: table('INTEGER', 'INTEGER PRIMARY KEY AUTOINCREMENT'),
    postgres: table('BIGINT', 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
  },
};
