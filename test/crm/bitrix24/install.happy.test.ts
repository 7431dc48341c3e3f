import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenContext } from "../../../app/crm/bitrix24/portal-auth.js";
import { portals } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { Bitrix24Harness, json, newMemberId } from "./harness.js";

describe.each(await backends())("POST /b24/install and ONAPPINSTALL, happy (%s)", (backend) => {
  const h = new Bitrix24Harness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("happy: the install page stores the portal with encrypted tokens and answers a page calling installFinish", async () => {
    const memberId = newMemberId();
    const { res, portal } = h.installPage(memberId);
    const answer = await res;
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("text/html");
    expect(answer.headers.get("x-frame-options")).toBeNull();
    expect(await answer.text()).toContain("BX24.installFinish()");

    const row = await h.portalRow(memberId);
    expect(row).toMatchObject({ crm: "bitrix24", domain: h.fake.host, status: "active", serverEndpoint: "https://oauth.bitrix.info/rest/" });
    expect(row!.settings).toMatchObject({ clientEndpoint: `${h.fake.url}/rest/`, plan: "L" });
    expect(row!.tokenExpiresAt!.getTime()).toBe(h.clock.now().getTime() + 3600_000);
    // the install's refresh token was exchanged at the OAuth server (proof of member_id and
    // portal); the new pair is what is stored, encrypted at rest and bound to this portal
    expect(Object.fromEntries(h.fake.refreshCalls.at(-1)!)).toMatchObject({ grant_type: "refresh_token", refresh_token: portal.refreshToken });
    const access = await h.storedAccessToken(memberId);
    expect(access).not.toBe(portal.accessToken);
    expect(h.fake.accessTokens.has(access)).toBe(true);
    for (const [enc, kind, plain] of [
      [row!.accessTokenEnc, "access", access],
      [row!.refreshTokenEnc, "refresh", await h.storedRefreshToken(memberId)],
      [row!.applicationTokenEnc, "application", portal.applicationToken],
    ] as const) {
      expect(enc).not.toContain(plain);
      expect(await h.deps.keyring.decrypt(enc!, tokenContext(memberId, kind))).toBe(plain);
    }
    // the tokens were tried on the portal before being kept
    const verify = h.fake.callsOf("app.info").at(-1);
    expect(verify).toMatchObject({ host: h.fake.host, body: { auth: portal.accessToken } });
  });

  it("happy: the install derives the portal's phone region and a reinstall keeps the one the admin chose", async () => {
    const memberId = newMemberId();
    expect((await h.installPage(memberId, {}, { LANG: "by" }).res).status).toBe(200);
    expect((await h.portalRow(memberId))!.settings).toMatchObject({ region: "BY" });
    await h.t.db.update(portals).set({ settings: sql`${portals.settings} || '{"region":"KZ"}'::jsonb` }).where(sql`${portals.externalId} = ${memberId}`);
    expect((await h.installPage(memberId, {}, { LANG: "by" }).res).status).toBe(200);
    expect((await h.portalRow(memberId))!.settings).toMatchObject({ region: "KZ" });

    // LANG=en on a .com or test host names no country: left unset, numbers are read in Russia
    const other = newMemberId();
    expect((await h.installPage(other).res).status).toBe(200);
    expect((await h.portalRow(other))!.settings).not.toHaveProperty("region");
  });

  it("happy: ONAPPINSTALL on /b24/events (API-only app) stores the portal from auth[...]", async () => {
    const memberId = newMemberId();
    const { res, portal } = h.installEvent(memberId);
    const answer = await res;
    expect(answer.status).toBe(200);
    expect(await json(answer)).toEqual({ ok: true });
    const row = await h.portalRow(memberId);
    expect(row).toMatchObject({ domain: h.fake.host, status: "active" });
    expect(row!.settings).toMatchObject({ scope: "crm,imopenlines,imconnector,bizproc,messageservice,placement" });
    expect(await h.deps.keyring.decrypt(row!.applicationTokenEnc!, tokenContext(memberId, "application"))).toBe(portal.applicationToken);
    expect(Object.fromEntries(h.fake.refreshCalls.at(-1)!)).toMatchObject({ refresh_token: portal.refreshToken });
    expect(h.fake.accessTokens.has(await h.storedAccessToken(memberId))).toBe(true);
  });

  it("happy: the API-only callback posted to /b24/install is answered with JSON", async () => {
    const memberId = newMemberId();
    const { res } = h.installEvent(memberId, "/b24/install");
    const answer = await res;
    expect(answer.status).toBe(200);
    const body = await json(answer);
    expect(body.ok).toBe(true);
    expect(body.portal_id).toBe((await h.portalRow(memberId))!.id);
  });

  it("happy: a reinstall updates the same row (ON CONFLICT on crm, member_id), never a duplicate", async () => {
    const memberId = newMemberId();
    const first = await h.installed(memberId);
    const before = await h.portalRow(memberId);
    h.clock.advance(60_000);
    const { res, portal: second } = h.installEvent(memberId, "/b24/events", { application_token: first.applicationToken });
    expect((await res).status).toBe(200);
    const rows = await h.t.db.select().from(portals).where(sql`${portals.externalId} = ${memberId}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(before!.id);
    expect(rows[0]!.updatedAt.getTime()).toBe(h.clock.now().getTime());
    expect(Object.fromEntries(h.fake.refreshCalls.at(-1)!)).toMatchObject({ refresh_token: second.refreshToken });
    expect(await h.storedAccessToken(memberId)).not.toBe(first.accessToken);
  });

  it("happy: installing again after an uninstall reactivates the row with the new application token", async () => {
    const p = await h.installed();
    expect((await h.event("ONAPPUNINSTALL", p.memberId, p.applicationToken, { CLEAN: "0" })).status).toBe(200);
    const { res, portal } = h.installEvent(p.memberId);
    expect((await res).status).toBe(200);
    const row = await h.portalRow(p.memberId);
    expect(row).toMatchObject({ status: "active", uninstalledAt: null });
    expect(await h.deps.keyring.decrypt(row!.applicationTokenEnc!, tokenContext(p.memberId, "application"))).toBe(portal.applicationToken);
  });

  it("happy: an install page without APPLICATION_TOKEN (older portals, 1.2 [presence UNVERIFIED]) keeps the token ONAPPINSTALL stored", async () => {
    const memberId = newMemberId();
    const { res: eventRes, portal } = h.installEvent(memberId);
    expect((await eventRes).status).toBe(200);
    const { res } = h.installPage(memberId, { APPLICATION_TOKEN: undefined });
    expect((await res).status).toBe(200);
    const row = await h.portalRow(memberId);
    expect(await h.deps.keyring.decrypt(row!.applicationTokenEnc!, tokenContext(memberId, "application"))).toBe(portal.applicationToken);
  });
});
