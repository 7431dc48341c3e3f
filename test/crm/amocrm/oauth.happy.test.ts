import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AMOJO_RECONNECT_JOB } from "../../../app/crm/amocrm/amojo/jobs.js";
import { amocrmTokenContext, amoSettingsOf } from "../../../app/crm/amocrm/portal.js";
import { portals } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { FAKE_AMO_CLIENT_ID, FAKE_AMO_CLIENT_SECRET } from "./fake-amocrm.js";
import { AmoHarness } from "./harness.js";

describe.each(await backends())("amoCRM install through the OAuth redirect (%s)", (backend) => {
  const h = new AmoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const reconnectJobs = async (portalId: string) =>
    (await h.jobsOf(AMOJO_RECONNECT_JOB)).filter((j) => JSON.stringify(j.payload) === JSON.stringify({ portalId }));

  it("happy: amoCRM's install webhook (from_widget, no state) exchanges the code, reads the account and stores it with a reconnect job (1.3, 1.4, 5.1)", async () => {
    const fake = await h.account();
    const code = fake.issueCode();
    const res = await h.redirect({ code, referer: fake.host, platform: "1", from_widget: "1" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; portal_id: string; account_id: string; domain: string; reinstall: boolean };
    expect(body).toMatchObject({ ok: true, account_id: String(fake.accountId), domain: fake.host, reinstall: false });

    // 1.4: JSON body with our client credentials, the code and the exact redirect_uri
    expect(fake.tokenRequests).toEqual([
      { client_id: FAKE_AMO_CLIENT_ID, client_secret: FAKE_AMO_CLIENT_SECRET, grant_type: "authorization_code", code, redirect_uri: "https://bridge.example/amocrm/oauth" },
    ]);
    const [accountCall] = fake.restCalls("/api/v4/account");
    expect(accountCall!.query.get("with")).toBe("amojo_id");

    const row = (await h.row(fake))!;
    expect(row.id).toBe(body.portal_id);
    expect(row).toMatchObject({ crm: "amocrm", externalId: String(fake.accountId), domain: fake.host, status: "active" });
    expect(amoSettingsOf(row)).toMatchObject({ baseUrl: fake.url, amojoId: fake.amojoId, subdomain: fake.subdomain, platform: "1" });
    // tokens at rest are ciphertexts bound to the account; they open to the pair the fake issued
    const access = await h.deps.keyring.decrypt(row.accessTokenEnc!, amocrmTokenContext(row.externalId, "access"));
    expect(fake.accessTokens.has(access)).toBe(true);
    expect(row.accessTokenEnc).not.toContain(access);
    const refresh = await h.deps.keyring.decrypt(row.refreshTokenEnc!, amocrmTokenContext(row.externalId, "refresh"));
    expect(fake.liveRefreshTokens.has(refresh)).toBe(true);
    expect(row.tokenExpiresAt!.getTime()).toBeGreaterThan(h.clock.now().getTime() + 86_000_000);
    const dpSecret = await h.deps.keyring.decrypt(amoSettingsOf(row).dpSecretEnc!, amocrmTokenContext(row.externalId, "dp_secret"));
    expect(dpSecret.length).toBeGreaterThanOrEqual(32);

    expect(await reconnectJobs(row.id)).toHaveLength(1);
  });

  it("happy: /amocrm/install sends the browser to the consent page with our client_id and a state; the redirect with that state installs (1.2)", async () => {
    const start = await h.app.request("/amocrm/install");
    expect(start.status).toBe(302);
    const consent = new URL(start.headers.get("location")!);
    expect(`${consent.origin}${consent.pathname}`).toBe("https://www.amocrm.ru/oauth");
    expect(consent.searchParams.get("client_id")).toBe(FAKE_AMO_CLIENT_ID);
    const state = consent.searchParams.get("state")!;
    expect(state.length).toBeGreaterThan(40);

    const kommo = new URL((await h.app.request("/amocrm/install?platform=kommo&mode=popup")).headers.get("location")!);
    expect(`${kommo.origin}${kommo.pathname}`).toBe("https://www.kommo.com/oauth");
    expect(kommo.searchParams.get("mode")).toBe("popup");

    const fake = await h.account();
    const res = await h.redirect({ code: fake.issueCode(), referer: fake.host, state, platform: "1" }, { accept: "text/html", "accept-language": "ru-RU,ru;q=0.9,en;q=0.8" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const page = await res.text();
    expect(page).toContain("amoCRM подключена");
    expect(page).toContain(fake.host);
    expect((await h.row(fake))!.status).toBe("active");

    const english = await h.account();
    const en = await h.redirect({ code: english.issueCode(), referer: english.host, state }, { accept: "text/html", "accept-language": "en-US,en" });
    expect(await en.text()).toContain("amoCRM connected");
  });

  it("happy: a reinstall updates the same row (new tokens, active again, DP secret kept) and queues another reconnect (6.2 pitfall 6)", async () => {
    const { fake, row: first } = await h.installed();
    await h.t.db.update(portals).set({ status: "needs_reinstall" }).where(eq(portals.id, first.id));
    h.clock.advance(1000);

    const res = await h.redirect({ code: fake.issueCode(), referer: fake.host, from_widget: "1" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, portal_id: first.id, reinstall: true });
    const rows = await h.t.db.select().from(portals).where(and(eq(portals.crm, "amocrm"), eq(portals.externalId, String(fake.accountId))));
    expect(rows).toHaveLength(1);
    const second = rows[0]!;
    expect(second.status).toBe("active");
    expect(second.accessTokenEnc).not.toBe(first.accessTokenEnc);
    expect(amoSettingsOf(second).dpSecretEnc).toBe(amoSettingsOf(first).dpSecretEnc);
    expect(await reconnectJobs(first.id)).toHaveLength(2);
  });

  it("happy: AMOCRM_REDIRECT_URI, when set, is the redirect_uri sent with the code", async () => {
    const other = await h.appWith({ AMOCRM_REDIRECT_URI: "https://connector.example.com/amo/oauth" });
    const fake = await h.account({ redirectUri: "https://connector.example.com/amo/oauth" });
    const res = await other.app.request(`/amocrm/oauth?${new URLSearchParams({ code: fake.issueCode(), referer: fake.host, from_widget: "1" })}`);
    expect(res.status).toBe(200);
    expect(fake.tokenRequests[0]).toMatchObject({ redirect_uri: "https://connector.example.com/amo/oauth" });
  });
});
