import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import type { AppEnv } from "../../../deps.js";
import { installAmoAccount } from "../install.js";
import { verifyOAuthState } from "../oauth-state.js";
import { amoDisconnectHook } from "./disconnect.js";
import { amoInstallRedirect } from "./install.js";
import { pageLang, resultPage, wantsJson } from "./result-page.js";

/** 1.3: what amoCRM puts on the redirect URI. */
const redirectSchema = z.object({
  code: z.string().min(1).max(4096).optional(),
  referer: z.string().min(1).max(300).optional(),
  state: z.string().min(1).optional(),
  from_widget: z.string().optional(),
  platform: z.string().optional(),
  error: z.string().optional(),
});

const TEXT = {
  ru: {
    connected: "amoCRM подключена",
    connectedText: (domain: string) => `Аккаунт ${domain} подключён к chatbridge. Окно можно закрыть и вернуться в amoCRM.`,
    denied: "Доступ не выдан",
    deniedText: "Вы отказались выдать доступ к аккаунту amoCRM, поэтому chatbridge не подключён. Чтобы подключить, установите интеграцию снова.",
  },
  en: {
    connected: "amoCRM connected",
    connectedText: (domain: string) => `The account ${domain} is connected to chatbridge. You can close this window and go back to amoCRM.`,
    denied: "Access not granted",
    deniedText: "Access to the amoCRM account was refused, so chatbridge is not connected. Install the integration again to connect it.",
  },
};

/**
 * GET /amocrm/oauth, the integration's Redirect URI (1.3). Authenticated before anything else:
 * a `state` must be one we issued (oauth-state.ts); without one, only amoCRM's own install
 * webhook (`from_widget`) is accepted, and the code it carries proves itself at the account.
 * `error=access_denied` ends on a page saying so. Then install.ts exchanges the code.
 */
const amoOAuthRedirect = new Hono<AppEnv>().get("/amocrm/oauth", async (c) => {
  const deps = c.var.deps;
  const lang = pageLang(c.req.header("accept-language"));
  const parsed = redirectSchema.safeParse(c.req.query());
  if (!parsed.success) throw new AppError("invalid_parameter", `${String(parsed.error.issues[0]?.path[0] ?? "query")}: invalid`);
  const q = parsed.data;
  if (q.state !== undefined) {
    if (!(await verifyOAuthState(deps.keyring, q.state, deps.clock.now()))) {
      throw new AppError("unauthorized", "The install link expired or was not issued here: start the install again");
    }
  } else if (q.from_widget === undefined) {
    throw new AppError("unauthorized", "An amoCRM redirect without state is accepted only from amoCRM's install webhook");
  }
  if (q.error !== undefined) {
    const message = q.error === "access_denied" ? TEXT[lang].deniedText : `amoCRM ended the consent with: ${q.error}`;
    if (wantsJson(c)) return c.json({ ok: false, error: "forbidden", message, request_id: c.var.requestId }, 403);
    return resultPage(c, 403, TEXT[lang].denied, message, lang);
  }
  if (!q.code) throw new AppError("missing_parameter", "code: required", { field: "code" });
  if (!q.referer) throw new AppError("missing_parameter", "referer: required", { field: "referer" });
  const { row, reinstall } = await installAmoAccount(deps, { code: q.code, referer: q.referer, platform: q.platform });
  if (wantsJson(c)) return c.json({ ok: true, portal_id: row.id, account_id: row.externalId, domain: row.domain, reinstall });
  return resultPage(c, 200, TEXT[lang].connected, TEXT[lang].connectedText(row.domain), lang);
});

/** amoCRM's OAuth-side routes: the Redirect URI, our install link and the disconnect hook. */
export const amoOAuthRoutes = new Hono<AppEnv>();
amoOAuthRoutes.route("/", amoOAuthRedirect);
amoOAuthRoutes.route("/", amoInstallRedirect);
amoOAuthRoutes.route("/", amoDisconnectHook);
