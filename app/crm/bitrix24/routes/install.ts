import { Hono } from "hono";
import type { AppEnv } from "../../../deps.js";
import { verifyInstallEventToken } from "../application-token.js";
import {
  grantFromInstallAuth,
  grantFromInstallPage,
  installAuthOf,
  installPortal,
  installQuerySchema,
  parseForm,
  uiInstallBodySchema,
} from "../install.js";
import { bitrix24BodyLimit, readBracketBody } from "./form-body.js";

/**
 * The page Bitrix24 shows while installing an app with a UI: the app counts as installed (and
 * events flow) only after it calls installFinish (reference/bitrix24.md 1.1). No frame-blocking
 * headers: it runs in Bitrix24's iframe (section 0).
 */
const INSTALL_FINISH_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>chatbridge</title>
<script src="https://api.bitrix24.com/api/v1/"></script></head>
<body><p>chatbridge is installed. / chatbridge установлен.</p>
<script>BX24.init(function () { BX24.installFinish(); });</script>
</body></html>`;

/**
 * POST /b24/install, both variants (1.1): the install page of an app with a UI (DOMAIN,
 * PROTOCOL... in the query, AUTH_ID/REFRESH_ID/member_id in the body; answered with the page
 * above) and the API-only callback (`auth[...]` like ONAPPINSTALL; answered with JSON).
 */
export const bitrix24Install = new Hono<AppEnv>().post("/b24/install", bitrix24BodyLimit, async (c) => {
  const deps = c.var.deps;
  const form = await readBracketBody(c);
  if (form.auth !== undefined) {
    const auth = installAuthOf(form);
    await verifyInstallEventToken(deps.db, deps.keyring, auth.member_id, auth.application_token);
    const portal = await installPortal(deps, grantFromInstallAuth(auth));
    return c.json({ ok: true, portal_id: portal.id });
  }
  const query = parseForm(installQuerySchema, c.req.query());
  const body = parseForm(uiInstallBodySchema, form);
  // Any user of the portal holds a valid AUTH_ID: replacing the stored application_token from
  // this page needs the current one, or a user could take over the portal's events.
  if (body.APPLICATION_TOKEN) await verifyInstallEventToken(deps.db, deps.keyring, body.member_id, body.APPLICATION_TOKEN);
  await installPortal(deps, grantFromInstallPage(query, body));
  return c.html(INSTALL_FINISH_PAGE);
});
