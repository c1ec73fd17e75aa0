/**
 * @module The store contract of the message-template verbs, run by each backend's test file beside
 * `runStoreContract` (same options).
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { openStore } from './openStore.js';
import type { StoreContractOptions } from './storeContract.js';
import type { Store, TemplateContent } from './index.js';

const t0 = 1_700_000_000_000;
const content = (n: number): TemplateContent => ({
  name: `Weekly ${n}`,
  channel: 'email',
  subject: `Привет, {{first_name}} — №${n}`,
  html: `<p>Issue ${n}</p> <<link_unsubscribe>>`,
  text: n % 2 === 0 ? `Issue ${n} <<link_unsubscribe>>` : null,
});

/** Runs the message-template contract against one backend. */
export function runTemplatesContract(options: StoreContractOptions): void {
  describe.skipIf(options.skip ?? false)(`templates store contract: ${options.name}`, () => {
    const open = async (context: TestContext): Promise<Store> => {
      const store = await openStore(await options.makeDatabase(context));
      context.onTestFinished(() => store.close());
      return store;
    };

    test('create, new versions, read any version, list, activate an earlier one', async (context) => {
      const store = await open(context);
      const created = await store.createTemplate(content(1), t0);
      expect(created).toEqual({
        id: created.id,
        version: 1,
        activeVersion: 1,
        latestVersion: 1,
        ...content(1),
        createdAt: t0,
        updatedAt: t0,
        versionCreatedAt: t0,
      });
      const second = await store.addTemplateVersion(created.id, content(2), t0 + 10);
      expect(second).toMatchObject({
        version: 2,
        activeVersion: 2,
        text: content(2).text,
        updatedAt: t0 + 10,
      });
      expect(await store.getTemplate(created.id)).toEqual(second);
      expect(await store.getTemplate(created.id, 1)).toMatchObject({
        ...content(1),
        version: 1,
        activeVersion: 2,
      });
      expect(await store.getTemplate(created.id, 3)).toBeUndefined();
      expect(await store.getTemplate(created.id + 100)).toBeUndefined();

      const activated = await store.activateTemplateVersion(created.id, 1, t0 + 20);
      expect(activated).toMatchObject({ version: 1, activeVersion: 1, latestVersion: 2, updatedAt: t0 + 20 });
      expect((await store.getTemplate(created.id))?.subject).toBe(content(1).subject);
      // A save after re-activating an old version still takes the next number.
      expect((await store.addTemplateVersion(created.id, content(3), t0 + 30)).version).toBe(3);
      expect(await store.listTemplateVersions(created.id)).toEqual([
        { version: 3, name: 'Weekly 3', subject: content(3).subject, createdAt: t0 + 30, active: true },
        { version: 2, name: 'Weekly 2', subject: content(2).subject, createdAt: t0 + 10, active: false },
        { version: 1, name: 'Weekly 1', subject: content(1).subject, createdAt: t0, active: false },
      ]);
      const other = await store.createTemplate({ ...content(5), channel: 'sms', html: '' }, t0);
      expect((await store.listTemplates()).map((t) => [t.id, t.version, t.channel])).toEqual([
        [created.id, 3, 'email'],
        [other.id, 1, 'sms'],
      ]);
    });

    test('missing templates and versions are reported by code and field', async (context) => {
      const store = await open(context);
      const created = await store.createTemplate(content(1), t0);
      await expect(store.addTemplateVersion(999, content(2), t0)).rejects.toMatchObject({
        code: 'template_not_found',
        field: 'id',
      });
      await expect(store.activateTemplateVersion(999, 1, t0)).rejects.toMatchObject({
        code: 'template_not_found',
      });
      await expect(store.activateTemplateVersion(created.id, 7, t0)).rejects.toMatchObject({
        code: 'template_version_not_found',
        field: 'version',
      });
      expect(await store.listTemplateVersions(999)).toBeUndefined();
    });

    test('concurrent saves get distinct version numbers; delete removes every version', async (context) => {
      const store = await open(context);
      const created = await store.createTemplate(content(1), t0);
      const saved = await Promise.all(
        [2, 3, 4, 5, 6].map((n) => store.addTemplateVersion(created.id, content(n), t0 + n)),
      );
      expect(saved.map((t) => t.version).sort()).toEqual([2, 3, 4, 5, 6]);
      expect(await store.deleteTemplate(created.id)).toBe(true);
      expect(await store.deleteTemplate(created.id)).toBe(false);
      expect(await store.getTemplate(created.id, 1)).toBeUndefined();
      expect(await store.listTemplates()).toEqual([]);
      const next = await store.createTemplate(content(1), t0);
      expect(next.id).toBeGreaterThan(created.id);
    });
  });
}
