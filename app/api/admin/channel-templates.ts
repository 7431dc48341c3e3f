import { Hono } from "hono";
import { providerFailure, scheduleAutomationRefresh } from "../../core/admin-channels.js";
import { AppError } from "../../core/errors.js";
import { channelHasTemplates, listChannelTemplates, syncChannelTemplates, type TemplateRow } from "../../core/templates.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";

/** A template as the settings pages show it. */
function templateView(t: TemplateRow) {
  return {
    name: t.name,
    language: t.language,
    category: t.category,
    status: t.status,
    body: t.body,
    header: t.header,
    footer: t.footer,
    header_params: t.headerParams,
    body_params: t.bodyParams,
    synced_at: t.syncedAt.toISOString(),
  };
}

/**
 * GET /api/channels/:id/templates: the channel's message templates as last synced;
 * POST /api/channels/:id/templates/sync reads them again from the provider (a template approved
 * since shows up). Channels whose provider has no templates answer `unsupported`.
 */
export const channelTemplatesRoutes = new Hono<AdminEnv>()
  .get("/api/channels/:id/templates", adminAuth, async (c) => {
    const channel = await channelOfRequest(c);
    if (!channelHasTemplates(channel)) throw new AppError("unsupported", "this channel's provider has no message templates");
    const rows = await listChannelTemplates(c.var.deps.db, channel.id);
    return c.json({ ok: true as const, templates: rows.map(templateView) });
  })
  .post("/api/channels/:id/templates/sync", adminAuth, async (c) => {
    const channel = await channelOfRequest(c);
    let rows: TemplateRow[];
    try {
      rows = await syncChannelTemplates(c.var.deps, channel);
      // the Bitrix24 template robot offers the approved ones: its list follows
      if (channel.portalId) await scheduleAutomationRefresh(c.var.deps, channel.portalId);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw providerFailure(err, "list the templates");
    }
    return c.json({ ok: true as const, templates: rows.map(templateView) });
  });
