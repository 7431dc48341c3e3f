import { type Context, Hono } from "hono";
import { channelView, listPortalChannels } from "../../../core/admin-channels.js";
import { AppError } from "../../../core/errors.js";
import type { AppEnv } from "../../../deps.js";
import { findActiveBindingsOfLine } from "../connector/binding.js";
import { bitrix24BodyLimit } from "../routes/form-body.js";
import { type ConnectorPlacement, connectorPlacementOf, openFrameSession } from "./frame-session.js";
import { frameAncestorOf, loadsBx24, newNonce, setSettingsPageHeaders } from "./frame-page-security.js";
import { type PageLanguage, pickLanguage, textsOf } from "./page-texts.js";
import { errorPageHtml, type SettingsBoot, settingsPageHtml } from "./settings-page.js";

type SettingsFrame = "app" | "connector";

/** GET /docs of this deployment in the page's language (the docs page reads `lang`). */
export function webhookDocsUrl(publicUrl: string, lang: PageLanguage): string {
  return `${publicUrl.replace(/\/+$/, "")}/docs?lang=${lang}`;
}

/** The API relative to each page's URL: /b24/app -> ../api, /b24/placement/connector -> ../../api. */
const API_BASE: Record<SettingsFrame, string> = { app: "../api", connector: "../../api" };

async function bootOf(c: Context<AppEnv>, frame: SettingsFrame): Promise<SettingsBoot> {
  const deps = c.var.deps;
  const session = await openFrameSession(c);
  // the placement's options are read only once the frame is verified (authenticate before parsing)
  const placement: ConnectorPlacement | null = frame === "connector" ? connectorPlacementOf(session.form) : null;
  const { portalId } = session.identity;
  const rows = await listPortalChannels(deps.db, portalId);
  const bindings = placement ? await findActiveBindingsOfLine(deps.db, portalId, placement.line) : [];
  const lang = pickLanguage(c.req.query("LANG"));
  return {
    token: session.token,
    apiBase: API_BASE[frame],
    lang,
    texts: textsOf(lang),
    line: placement?.line ?? null,
    boundChannelId: bindings[0]?.channelId ?? null,
    channels: await Promise.all(rows.map((row) => channelView(deps, row))),
    docsUrl: webhookDocsUrl(deps.config.PUBLIC_URL, lang),
  };
}

/**
 * Answers a Bitrix24 frame POST with the settings page, or with an HTML error page in the
 * frame: a JSON error there would be unreadable, and the onError handler's JSON is for API
 * callers. Statuses stay those of the API (401 not verified, 403 not an admin).
 */
async function answerSettingsFrame(c: Context<AppEnv>, frame: SettingsFrame): Promise<Response> {
  const nonce = newNonce();
  const frameAncestor = frameAncestorOf(c.req.query("DOMAIN"), c.req.query("PROTOCOL"));
  setSettingsPageHeaders(c, nonce, frameAncestor);
  try {
    return c.html(settingsPageHtml(await bootOf(c, frame), nonce, loadsBx24(frameAncestor)));
  } catch (err) {
    const lang = pickLanguage(c.req.query("LANG"));
    const known = err instanceof AppError ? err : undefined;
    if (!known) {
      c.var.deps.logger.error("bitrix24 settings page failed", {
        request_id: c.var.requestId,
        path: c.req.path,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    if (known?.details?.retryAfterMs !== undefined) c.header("Retry-After", String(Math.max(1, Math.ceil(known.details.retryAfterMs / 1000))));
    const page = errorPageHtml(
      {
        lang,
        texts: textsOf(lang),
        code: known?.code ?? "internal",
        message: known?.message ?? "Internal error",
        requestId: c.var.requestId,
        placement: frame === "connector",
      },
      nonce,
    );
    return c.html(page, known?.status ?? 500);
  }
}

/**
 * POST /b24/app (the app's main page) and POST /b24/placement/connector (the Open Lines
 * connector settings, SETTING_CONNECTOR, 3.4): both open the same page, a thin client of the
 * admin API; the placement adds its Open Line.
 */
export const bitrix24SettingsPages = new Hono<AppEnv>()
  .post("/b24/app", bitrix24BodyLimit, (c) => answerSettingsFrame(c, "app"))
  .post("/b24/placement/connector", bitrix24BodyLimit, (c) => answerSettingsFrame(c, "connector"));
