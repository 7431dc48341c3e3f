import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EVOLUTION_INSTANCE } from "../../providers/evolution/fake.js";
import { WAHA_SESSION } from "../../providers/waha/fake.js";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";
import { SelfHostedFakes } from "./self-hosted-fakes.js";

const REQUEST_CODE = `POST /api/${WAHA_SESSION}/auth/request-code`;

/**
 * POST /api/channels/:id/pairing-code: logging a WAHA or Evolution API number in with the code
 * typed on the phone instead of the QR, through the fakes of both servers (channels-next.md 3
 * and 4); what bad input and another portal's admin get.
 */
describe.each(await backends())("admin API: pairing-code login (%s)", (backend) => {
  const h = new AdminHarness(backend);
  const fakes = new SelfHostedFakes();
  beforeAll(async () => {
    await h.start();
    await fakes.start();
  });
  afterAll(async () => {
    await fakes.close();
    await h.close();
  });
  beforeEach(() => fakes.reset());

  const pairing = (token: string, channelId: string, body: unknown) => h.call("POST", `/api/channels/${channelId}/pairing-code`, token, body);
  const wahaCalls = () => fakes.waha.requests.map((r) => `${r.method} ${r.path}`);

  describe("happy", () => {
    it("GET /api/providers tells the pages which providers log in by pairing code", async () => {
      const { token } = await h.adminPortal();
      const listed = (await h.call("GET", "/api/providers", token)).body.providers as Array<{ name: string; capabilities: { pairingLogin?: boolean } }>;
      expect(listed.filter((p) => p.capabilities.pairingLogin).map((p) => p.name).sort()).toEqual(["evolution", "waha"]);
    });

    it("WAHA: a session waiting for its login gives the code for the owner's number (request-code)", async () => {
      const { token } = await h.adminPortal();
      const channelId = await fakes.apiChannel(h, token, "waha");
      fakes.waitForLogin("waha");
      const res = await pairing(token, channelId, { phone: "+7 (900) 123-45-67" });
      expect(res).toMatchObject({ status: 200, body: { ok: true, code: "ABCD-ABCD", connected: false } });
      const asked = fakes.waha.requests.filter((r) => `${r.method} ${r.path}` === REQUEST_CODE);
      expect(asked.map((r) => JSON.parse(r.body) as unknown)).toEqual([{ phoneNumber: "79001234567" }]);
      expect(fakes.waha.violations).toEqual([]);
    });

    it("Evolution API: a closed instance is connected with the number; the code comes grouped as WhatsApp shows it", async () => {
      const { token } = await h.adminPortal();
      const channelId = await fakes.apiChannel(h, token, "evolution");
      fakes.waitForLogin("evolution");
      fakes.evolution.reset();
      const res = await pairing(token, channelId, { phone: "79001234567" });
      expect(res).toMatchObject({ status: 200, body: { ok: true, code: "WZYE-H1YY", connected: false } });
      expect(fakes.evolution.requests.map((r) => `${r.method} ${r.path}?${r.query}`)).toEqual([`GET /instance/connect/${EVOLUTION_INSTANCE}?number=79001234567`]);
      expect(fakes.evolution.violations).toEqual([]);
    });

    it("the number is read in the portal's region, like a test send's", async () => {
      const { token } = await h.adminPortal();
      expect((await h.call("PATCH", "/api/portal", token, { region: "BY" })).status).toBe(200);
      const channelId = await fakes.apiChannel(h, token, "waha");
      fakes.waitForLogin("waha");
      expect((await pairing(token, channelId, { phone: "8 029 123-45-67" })).body).toMatchObject({ ok: true, code: "ABCD-ABCD" });
      expect(JSON.parse(fakes.waha.requests.at(-1)!.body)).toEqual({ phoneNumber: "375291234567" });
    });

    it.each(["waha", "evolution"] as const)("%s: an already logged-in channel answers code null, connected true, and asks for no code", async (provider) => {
      const { token } = await h.adminPortal();
      const channelId = await fakes.apiChannel(h, token, provider);
      const res = await pairing(token, channelId, { phone: "79001234567" });
      expect(res).toEqual({ status: 200, body: { ok: true, code: null, connected: true } });
      expect(wahaCalls()).not.toContain(REQUEST_CODE);
      expect(fakes.evolution.requests.some((r) => r.path.includes("/instance/logout/"))).toBe(false);
    });
  });

  describe("error", () => {
    it("a session still starting: 503 unavailable with Retry-After, the page asks again", async () => {
      const { token } = await h.adminPortal();
      const channelId = await fakes.apiChannel(h, token, "waha");
      fakes.wahaState.sessions.get(WAHA_SESSION)!.status = "STARTING";
      const res = await h.app.request(`/api/channels/${channelId}/pairing-code`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ phone: "79001234567" }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(await res.json()).toMatchObject({ ok: false, error: "unavailable" });
      expect(wahaCalls()).not.toContain(REQUEST_CODE);
    });

    it("a provider without pairing-code login (Wappi): 422 unsupported", async () => {
      const { token } = await h.adminPortal();
      const channelId = await h.apiChannel(token);
      const res = await pairing(token, channelId, { phone: "79001234567" });
      expect(res).toMatchObject({ status: 422, body: { ok: false, error: "unsupported" } });
      expect(String(res.body.message)).toContain("pairing code");
    });

    it.each([
      ["a number that is not one", { phone: "+7 900" }, 400, "invalid_phone"],
      ["letters", { phone: "call me" }, 400, "invalid_phone"],
      ["no phone", {}, 400, "missing_parameter"],
      ["a phone that is not a string", { phone: 79001234567 }, 400, "invalid_parameter"],
    ])("%s: %i %s on phone; nothing reaches WAHA", async (_name, body, status, error) => {
      const { token } = await h.adminPortal();
      const channelId = await fakes.apiChannel(h, token, "waha");
      fakes.waitForLogin("waha");
      const res = await pairing(token, channelId, body);
      expect(res).toMatchObject({ status, body: { ok: false, error, field: "phone" } });
      expect(wahaCalls()).not.toContain(REQUEST_CODE);
    });

    it("an unknown field: 400 invalid_parameter (the body is strict)", async () => {
      const { token } = await h.adminPortal();
      const channelId = await fakes.apiChannel(h, token, "waha");
      const res = await pairing(token, channelId, { phone: "79001234567", session: "other" });
      expect(res).toMatchObject({ status: 400, body: { ok: false, error: "invalid_parameter" } });
    });
  });

  describe("security", () => {
    it("another portal's channel: 404 not_found, its server is not asked", async () => {
      const owner = await h.adminPortal();
      const stranger = await h.adminPortal();
      const channelId = await fakes.apiChannel(h, owner.token, "waha");
      fakes.waitForLogin("waha");
      const res = await pairing(stranger.token, channelId, { phone: "79001234567" });
      expect(res).toMatchObject({ status: 404, body: { ok: false, error: "not_found" } });
      expect(wahaCalls()).not.toContain(REQUEST_CODE);
    });

    it("no session: 401 before the body is read", async () => {
      const { token } = await h.adminPortal();
      const channelId = await fakes.apiChannel(h, token, "waha");
      expect((await h.call("POST", `/api/channels/${channelId}/pairing-code`, undefined, { phone: "79001234567" })).body).toMatchObject({ error: "unauthorized" });
    });
  });
});
