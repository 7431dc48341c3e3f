import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allowedWidgetOrigin } from "../../../app/api/admin/cors.js";
import { readDpSecret } from "../../../app/crm/amocrm/automation/dp-secret.js";
import { findAmoPortalById } from "../../../app/crm/amocrm/portal.js";
import { adminSessions, portals } from "../../../app/db/schema.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import { AmoAutomationHarness } from "./automation-harness.js";

/** What the widget's `$authorizedAjax({url: …/api/session, method: "POST"})` sends (reference/amocrm.md 4.3). */
function sessionRequest(h: AmoAutomationHarness, token: string, origin = "https://acme.amocrm.ru") {
  return h.app.request("/api/session", { method: "POST", headers: { "x-auth-token": token, origin } });
}

describe.each(await backends())("amoCRM widget session: POST /api/session with the widget's X-Auth-Token (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("happy: an account admin's widget token opens a session that drives the admin API: create a channel, list it with its state, show its webhook URL, read the DP secret", async () => {
    const account = await h.seedAccount();
    const res = await sessionRequest(h, await h.widgetToken(account.accountId, 1));
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://acme.amocrm.ru");
    const session = (await res.json()) as { ok: boolean; token: string; crm: string; user_id: string };
    expect(session).toMatchObject({ ok: true, crm: "amocrm", user_id: "1", token_type: "Bearer" });
    expect(h.amo.restCalls().map((c) => c.path)).toContain("/api/v4/users/1");
    const auth = { authorization: `Bearer ${session.token}`, "content-type": "application/json" };

    const created = await h.app.request("/api/channels", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ provider: "wappi", name: "Sales WhatsApp", credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: h.wappiServer.url } }),
    });
    expect(created.status).toBe(201);
    const { channel } = (await created.json()) as { channel: { id: string; webhook_url: string } };

    const list = (await (await h.app.request("/api/channels", { headers: auth })).json()) as { channels: Array<Record<string, unknown>> };
    expect(list.channels).toEqual([expect.objectContaining({ id: channel.id, name: "Sales WhatsApp", provider: "wappi", state: expect.any(String) })]);

    const hook = await h.app.request(`/api/channels/${channel.id}/webhook-token`, { headers: auth });
    expect(hook.status).toBe(200);
    expect(await hook.json()).toMatchObject({ ok: true, url: expect.stringMatching(/^https:\/\/bridge\.example\/rest\/webhook\/wa\/[A-Za-z0-9_-]{20,}$/) });
    expect(channel.webhook_url).toMatch(/^https:\/\/bridge\.example\/rest\/webhook\//);

    const dp = await h.app.request("/api/amocrm/dp-secret", { headers: auth });
    expect(dp.headers.get("cache-control")).toBe("no-store");
    expect(await dp.json()).toEqual({ ok: true, secret: account.dpSecret });
  });

  it("happy: the token may come in the body as amocrm_token; the DP secret is made on first use when the install left none", async () => {
    const account = await h.seedAccount();
    await h.t.db.update(portals).set({ settings: { baseUrl: h.amo.url } }).where(eq(portals.id, account.portal.id));
    const res = await h.post("/api/session", { amocrm_token: await h.widgetToken(account.accountId, 1) });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const first = (await (await h.app.request("/api/amocrm/dp-secret", { headers: { authorization: `Bearer ${token}` } })).json()) as { secret: string };
    const again = (await (await h.app.request("/api/amocrm/dp-secret", { headers: { authorization: `Bearer ${token}` } })).json()) as { secret: string };
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(again.secret).toBe(first.secret);
    expect(await readDpSecret(h.deps, (await findAmoPortalById(h.t.db, account.portal.id))!)).toBe(first.secret);
  });

  it("forbidden: a user who is not an account admin gets 403 and no session", async () => {
    const account = await h.seedAccount();
    h.amo.setUser({ id: 77, name: "Manager", isAdmin: false });
    const res = await sessionRequest(h, await h.widgetToken(account.accountId, 77));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ ok: false, error: "forbidden" });
    // a user amoCRM does not know (deleted since the token was made) is no admin either
    expect((await sessionRequest(h, await h.widgetToken(account.accountId, 4242))).status).toBe(403);
    expect(await h.t.db.select().from(adminSessions).where(eq(adminSessions.portalId, account.portal.id))).toHaveLength(0);
  });

  it("security: expired, forged, foreign-audience, other-integration and unknown-account tokens get 401 without asking amoCRM", async () => {
    const account = await h.seedAccount();
    const callsBefore = h.amo.restCalls().length;
    const refused = [
      await h.widgetToken(account.accountId, 1, {}, { issuedAgoS: 1800 + 61 }),
      await h.widgetToken(account.accountId, 1, {}, { secret: "another-secret-0123456789abcdef0123456789abcdef" }),
      await h.widgetToken(account.accountId, 1, { aud: "https://other-integration.example" }),
      await h.widgetToken(account.accountId, 1, { client_uuid: "00000000-0000-4000-8000-000000000000" }),
      await h.widgetToken("39999999", 1),
      await h.botToken(account.accountId),
      "not-a-jwt-at-all-0123456789",
    ];
    for (const token of refused) {
      const res = await sessionRequest(h, token);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ ok: false, error: "unauthorized" });
    }
    expect(h.amo.restCalls().length).toBe(callsBefore);
  });

  it("error: a request with neither CRM's fields names both", async () => {
    const res = await h.post("/api/session", {});
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("missing_parameter");
    expect(body.message).toContain("member_id");
    expect(body.message).toContain("amocrm_token");
    expect(body.message).toContain("X-Auth-Token");
  });

  it("security: the DP secret is not given to a session of another account's channel list (each session sees its own account)", async () => {
    const a = await h.seedAccount();
    const b = await h.seedAccount();
    const open = async (accountId: string) => ((await (await sessionRequest(h, await h.widgetToken(accountId, 1))).json()) as { token: string }).token;
    const [ta, tb] = [await open(a.accountId), await open(b.accountId)];
    const secretOf = async (token: string) => ((await (await h.app.request("/api/amocrm/dp-secret", { headers: { authorization: `Bearer ${token}` } })).json()) as { secret: string }).secret;
    expect(await secretOf(ta)).toBe(a.dpSecret);
    expect(await secretOf(tb)).toBe(b.dpSecret);
    expect((await h.app.request("/api/amocrm/dp-secret")).status).toBe(401);
  });
});

describe.each(await backends())("admin API CORS for the amoCRM widget (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const preflight = (origin: string, path = "/api/session") =>
    h.app.request(path, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "x-auth-token,content-type" },
    });

  it("a preflight from an amoCRM or Kommo account origin is allowed with the widget's headers, without credentials", async () => {
    for (const origin of ["https://acme.amocrm.ru", "https://acme.kommo.com", "https://old-acme.amocrm.com"]) {
      const res = await preflight(origin, "/api/channels");
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      const headers = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
      for (const name of ["authorization", "x-auth-token", "content-type"]) expect(headers).toContain(name);
      expect(res.headers.get("access-control-allow-methods")).toContain("POST");
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
      expect(res.headers.get("vary")).toContain("Origin");
    }
  });

  it("a preflight from any other origin gets no allow-origin (never *)", async () => {
    for (const origin of ["https://evil.example", "https://acme.amocrm.ru.evil.example", "http://acme.amocrm.ru", "https://www.amocrm.ru", "null"]) {
      const res = await preflight(origin);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("loopback origins are allowed only under OUTBOUND_ALLOW_LOOPBACK (tests run with it)", async () => {
    const res = await preflight("http://127.0.0.1:5173");
    expect(res.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:5173");
    expect(allowedWidgetOrigin("http://127.0.0.1:5173", false)).toBeNull();
    expect(allowedWidgetOrigin("http://127.0.0.1", true)).toBeNull();
    expect(allowedWidgetOrigin("https://acme.kommo.com", false)).toBe("https://acme.kommo.com");
  });

  it("an error answer to a cross-origin call still carries allow-origin, so the widget can show the message", async () => {
    const res = await h.app.request("/api/channels", { headers: { origin: "https://acme.amocrm.ru", authorization: "Bearer nope-nope-nope-nope" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://acme.amocrm.ru");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
  });
});

describe.each(await backends())("amoCRM widget session rate limit (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("is counted per user: one user's card views cannot lock the administrator out", async () => {
    const account = await h.seedAccount();
    h.amo.setUser({ id: 42, name: "Seller", isAdmin: false });
    const seller: number[] = [];
    for (let i = 0; i < 11; i++) seller.push((await sessionRequest(h, await h.widgetToken(account.accountId, 42))).status);
    expect(seller.slice(0, 10).every((s) => s === 403)).toBe(true);
    expect(seller[10]).toBe(429);
    expect((await sessionRequest(h, await h.widgetToken(account.accountId, 1))).status).toBe(200);
  });
});
