/**
 * @module Admin API routes for the branding of the public pages: `GET /settings/pages` and
 * `PUT /settings/pages` (the whole branding; fields left out fall back to the defaults). The schema,
 * the setting key and the reader are the http part's (`pageBranding.ts`), shared with the pages.
 */
import { Router } from 'express';
import type { Store } from '../../store/index.js';
import { brandingSettingKey, pageBrandingSchema, readBranding, type PageBranding } from '../pageBranding.js';
import { parseAdminInput } from './parseAdminInput.js';

/** The page-settings routes (mounted on the admin router). */
export function pageSettingsRoutes(store: Store, now: () => number): Router {
  const router = Router();

  router.get('/settings/pages', async (_req, res) => {
    res.json(await readBranding(store));
  });

  router.put('/settings/pages', async (req, res) => {
    const branding: PageBranding = parseAdminInput(pageBrandingSchema, req.body);
    // Stored without undefined members: the value is JSON.
    await store.setSetting(brandingSettingKey, JSON.parse(JSON.stringify(branding)), now());
    res.json(branding);
  });

  return router;
}
