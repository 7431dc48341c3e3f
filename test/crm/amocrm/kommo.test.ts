import { SignJWT } from "jose";
import { z } from "zod";
import { AmoCrmClient } from "../../../app/crm/amocrm/client.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disconnectSignature } from "../../../app/crm/amocrm/disconnect.js";
import { allIntegrationKeys, integrationKeysFor, platformOf } from "../../../app/crm/amocrm/platform.js";
import { backends } from "../../support/db.js";
import { testConfig } from "../../support/deps.js";
import { FakeAmojo } from "./fake-amojo.js";
import type { FakeAmoCrm } from "./fake-amocrm.js";
import { AmoHarness } from "./harness.js";

const PUBLIC_URL = "https://bridge.example";
const KOMMO = { clientId: "7f1e6a52-0c4b-4a55-9d55-6a1c3c1b0e01", clientSecret: "kommo-secret-0123456789abcdef0123456789abcdef" };
const KOMMO_CHANNEL = { id: "c0ffee00-5d7f-11e7-907b-a6006ad3dba0", secret: "0f1e2d3c4b5a69788796a5b4c3d2e1f001234567" };

describe("amoCRM / Kommo keys (reference/amocrm.md 6.1: one registration per platform)", () => {
  it("without KOMMO_* the amoCRM keys serve both platforms; with them each platform has its own", () => {
    const one = testConfig({ AMOCRM_CLIENT_ID: "amo-id", AMOCRM_CLIENT_SECRET: "amo-secret" });
    expect(integrationKeysFor(one, "kommo")).toMatchObject({ clientId: "amo-id" });
    expect(allIntegrationKeys(one)).toEqual([{ platform: "amocrm", clientId: "amo-id", clientSecret: "amo-secret", serves: ["amocrm", "kommo"] }]);
    const two = testConfig({ AMOCRM_CLIENT_ID: "amo-id", AMOCRM_CLIENT_SECRET: "amo-secret", KOMMO_CLIENT_ID: "k-id", KOMMO_CLIENT_SECRET: "k-secret" });
    expect(integrationKeysFor(two, "kommo")).toMatchObject({ clientId: "k-id" });
    expect(allIntegrationKeys(two).map((k) => [k.clientId, k.serves])).toEqual([
      ["amo-id", ["amocrm"]],
      ["k-id", ["kommo"]],
    ]);
  });

  it("an account's platform: what its install recorded, else its domain", () => {
    expect(platformOf({ domain: "acme.kommo.com", settings: {} })).toBe("kommo");
    expect(platformOf({ domain: "acme.amocrm.com", settings: {} })).toBe("kommo");
    expect(platformOf({ domain: "acme.amocrm.ru", settings: {} })).toBe("amocrm");
    expect(platformOf({ domain: "127.0.0.1:4000", settings: { baseUrl: "http://127.0.0.1:4000", platform: "2" } })).toBe("kommo");
  });
});

describe.each(await backends())("a Kommo account with its own registration (%s)", (backend) => {
  const h = new AmoHarness(backend);
  const kommoAmojo = new FakeAmojo(() => h.clock.now(), KOMMO_CHANNEL.id, KOMMO_CHANNEL.secret);
  let fake: FakeAmoCrm;

  beforeAll(async () => {
    await kommoAmojo.start();
    await h.start({
      PUBLIC_URL,
      KOMMO_CLIENT_ID: KOMMO.clientId,
      KOMMO_CLIENT_SECRET: KOMMO.clientSecret,
      KOMMO_AMOJO_URL: kommoAmojo.url,
      KOMMO_CHAT_CHANNEL_ID: KOMMO_CHANNEL.id,
      KOMMO_CHAT_CHANNEL_SECRET: KOMMO_CHANNEL.secret,
      // the amoCRM registration's channel is set too, and must not be used for Kommo accounts
      AMOCRM_CHAT_CHANNEL_ID: "a4490ccc-5d7f-11e7-907b-a6006ad3dba0",
      AMOCRM_CHAT_CHANNEL_SECRET: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    });
    fake = await h.account({ clientId: KOMMO.clientId, clientSecret: KOMMO.clientSecret });
  });
  afterAll(async () => {
    await h.close();
    await kommoAmojo.close();
  });

  const widgetToken = (secret: string, clientUuid: string) => {
    const now = Math.floor(h.clock.now().getTime() / 1000);
    return new SignJWT({ account_id: fake.accountId, user_id: 1, subdomain: fake.subdomain, client_uuid: clientUuid })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(fake.url)
      .setAudience(PUBLIC_URL)
      .setIssuedAt(now)
      .setExpirationTime(now + 1800)
      .sign(new TextEncoder().encode(secret));
  };

  it("happy: install link, code exchange, widget session, chat connect and disconnect hook all use the Kommo registration", async () => {
    const link = await h.app.request("/amocrm/install?platform=kommo");
    const consent = new URL(link.headers.get("location")!);
    expect(consent.origin).toBe("https://www.kommo.com");
    expect(consent.searchParams.get("client_id")).toBe(KOMMO.clientId);

    // the fake account only accepts the Kommo keys at /oauth2/access_token
    const installed = await h.redirect({ code: fake.issueCode(), referer: fake.host, state: consent.searchParams.get("state")!, platform: "2" });
    expect(installed.status).toBe(200);
    const row = await h.row(fake);
    expect(row).toMatchObject({ status: "active", settings: expect.objectContaining({ platform: "2" }) });

    const session = await h.app.request("/api/session", { method: "POST", headers: { "x-auth-token": await widgetToken(KOMMO.clientSecret, KOMMO.clientId) } });
    expect(session.status).toBe(200);
    const { token } = (await session.json()) as { token: string };

    const created = await h.app.request("/api/channels", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ provider: "gateway", name: "Phone", credentials: {} }),
    });
    expect(created.status).toBe(201);
    const { channel } = (await created.json()) as { channel: { id: string } };
    const bound = await h.app.request(`/api/channels/${channel.id}/bind`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(await bound.json()).toMatchObject({ ok: true, line: `${KOMMO_CHANNEL.id}_${fake.amojoId}` });
    expect(kommoAmojo.violations).toEqual([]);

    // a manager's hook on the Kommo scope is checked with the Kommo channel's secret
    const hook = await kommoAmojo.sendHook((path, init) => h.app.request(path, init), `${KOMMO_CHANNEL.id}_${fake.amojoId}`, { account_id: fake.amojoId, time: 1 });
    expect(hook.status).toBe(200);

    fake.revokeAll();
    const signature = await disconnectSignature(KOMMO.clientSecret, KOMMO.clientId, String(fake.accountId));
    const disconnect = await h.app.request(`/amocrm/disconnect?${new URLSearchParams({ account_id: String(fake.accountId), client_uuid: KOMMO.clientId, signature })}`);
    expect(await disconnect.json()).toEqual({ ok: true });
    expect((await h.row(fake))!.status).toBe("uninstalled");
  });

  it("security: the amoCRM registration's widget token (valid keys, our client_uuid) does not open a Kommo account", async () => {
    const kommoAccount = await h.account({ clientId: KOMMO.clientId, clientSecret: KOMMO.clientSecret });
    const installed = await h.redirect({ code: kommoAccount.issueCode(), referer: kommoAccount.host, from_widget: "1", platform: "2" });
    expect(installed.status).toBe(200);
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const sign = (secret: string, clientUuid: string) =>
      new SignJWT({ account_id: kommoAccount.accountId, user_id: 1, client_uuid: clientUuid })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(kommoAccount.url)
        .setAudience(PUBLIC_URL)
        .setIssuedAt(now)
        .setExpirationTime(now + 1800)
        .sign(new TextEncoder().encode(secret));
    const amoKeys = h.deps.config;
    const foreign = await h.app.request("/api/session", { method: "POST", headers: { "x-auth-token": await sign(amoKeys.AMOCRM_CLIENT_SECRET!, amoKeys.AMOCRM_CLIENT_ID!) } });
    expect(foreign.status).toBe(401);
    const own = await h.app.request("/api/session", { method: "POST", headers: { "x-auth-token": await sign(KOMMO.clientSecret, KOMMO.clientId) } });
    expect(own.status).toBe(200);
  });
});
describe.each(await backends())("Kommo keys added after Kommo accounts were installed (%s)", (backend) => {
  const h = new AmoHarness(backend);
  beforeAll(() => h.start({ PUBLIC_URL }));
  afterAll(() => h.close());

  it("accounts installed through the amoCRM registration keep refreshing and opening sessions with its keys", async () => {
    // installed while only the AMOCRM_* keys were configured (the fake account knows those)
    const fake = await h.account();
    expect((await h.redirect({ code: fake.issueCode(), referer: fake.host, from_widget: "1", platform: "2" })).status).toBe(200);
    const row = (await h.row(fake))!;
    expect(row.settings).toMatchObject({ platform: "2", clientId: h.deps.config.AMOCRM_CLIENT_ID });

    const later = await h.appWith({ PUBLIC_URL, KOMMO_CLIENT_ID: KOMMO.clientId, KOMMO_CLIENT_SECRET: KOMMO.clientSecret });
    await h.expireTokens(fake, row);
    const answer = await new AmoCrmClient(later.deps, row.id).request("GET", "/api/v4/account", undefined, z.looseObject({ id: z.number() }));
    expect(answer).toMatchObject({ id: fake.accountId });
    expect((await h.row(fake))!.status).toBe("active");

    const now = Math.floor(h.clock.now().getTime() / 1000);
    const token = await new SignJWT({ account_id: fake.accountId, user_id: 1, client_uuid: fake.clientId })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(fake.url)
      .setAudience(PUBLIC_URL)
      .setIssuedAt(now)
      .setExpirationTime(now + 1800)
      .sign(new TextEncoder().encode(fake.clientSecret));
    expect((await later.app.request("/api/session", { method: "POST", headers: { "x-auth-token": token } })).status).toBe(200);
  });
});
