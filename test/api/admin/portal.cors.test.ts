import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmoAutomationHarness } from "../../crm/amocrm/automation-harness.js";
import { backends } from "../../support/db.js";

/**
 * The amoCRM widget changes the account's phone region with PATCH /api/portal from the account's
 * own origin: a JSON PATCH is not a simple request, so the browser asks first (OPTIONS) and
 * sends it only if the answer allows PATCH, the origin and the headers.
 */
describe.each(await backends())("admin API CORS: PATCH /api/portal from the amoCRM widget (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const preflight = (origin: string) =>
    h.app.request("/api/portal", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "PATCH", "access-control-request-headers": "authorization,content-type" },
    });

  async function widgetSession(accountId: string, origin: string): Promise<string> {
    const res = await h.app.request("/api/session", { method: "POST", headers: { "x-auth-token": await h.widgetToken(accountId, 1), origin } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }

  it("the preflight from an amoCRM or Kommo account origin allows PATCH with Authorization and Content-Type, without credentials", async () => {
    for (const origin of ["https://acme.amocrm.ru", "https://acme.kommo.com", "https://acme.amocrm.com"]) {
      const res = await preflight(origin);
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      expect((res.headers.get("access-control-allow-methods") ?? "").split(",")).toContain("PATCH");
      const headers = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(",");
      expect(headers).toEqual(expect.arrayContaining(["authorization", "content-type"]));
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("the PATCH itself from the widget's origin changes the region and its answer is readable there", async () => {
    const account = await h.seedAccount();
    const origin = "https://acme.amocrm.ru";
    const token = await widgetSession(account.accountId, origin);
    const res = await h.app.request("/api/portal", {
      method: "PATCH",
      headers: { origin, authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ region: "KZ" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    expect(await res.json()).toMatchObject({ ok: true, portal: { crm: "amocrm", region: "KZ", region_is_default: false } });
    const shown = await h.app.request("/api/portal", { headers: { origin, authorization: `Bearer ${token}` } });
    expect(shown.headers.get("access-control-allow-origin")).toBe(origin);
    expect(await shown.json()).toMatchObject({ portal: { region: "KZ" } });
  });

  it("security: a preflight or PATCH from a foreign origin gets no allow-origin, so a page elsewhere cannot read or drive it", async () => {
    for (const origin of ["https://evil.example", "https://acme.amocrm.ru.evil.example", "http://acme.amocrm.ru"]) {
      expect((await preflight(origin)).headers.get("access-control-allow-origin")).toBeNull();
    }
    const account = await h.seedAccount();
    const token = await widgetSession(account.accountId, "https://acme.amocrm.ru");
    const res = await h.app.request("/api/portal", {
      method: "PATCH",
      headers: { origin: "https://evil.example", authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ region: "GB" }),
    });
    // the server cannot tell a browser from a script; the browser withholds the answer without allow-origin
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
