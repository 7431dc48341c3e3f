import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { testConfig } from "../../support/deps.js";
import { Bitrix24Harness, json, newMemberId } from "./harness.js";

describe.each(await backends())("POST /b24/install, security (%s)", (backend) => {
  const h = new Bitrix24Harness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("security: tokens the portal does not accept -> 401, nothing stored", async () => {
    const memberId = newMemberId();
    const { res } = h.installPage(memberId, { AUTH_ID: "forged-access-token" });
    const answer = await res;
    expect(answer.status).toBe(401);
    expect(await json(answer)).toMatchObject({ ok: false, error: "unauthorized" });
    expect(await h.portalRow(memberId)).toBeUndefined();
  });

  it("security: an installed member_id claimed from another host -> 409, the portal is untouched", async () => {
    const p = await h.installed();
    const before = await h.portalRow(p.memberId);
    // same fake, other name: a host that also accepts the tokens (an attacker's own "portal")
    const { res } = h.installPage(p.memberId, {}, { DOMAIN: h.fake.host.replace("127.0.0.1", "localhost") });
    const answer = await res;
    expect(answer.status).toBe(409);
    expect(await json(answer)).toMatchObject({ error: "conflict" });
    expect(await h.portalRow(p.memberId)).toEqual(before);
  });

  it("security: an ONAPPINSTALL for an installed portal with another application_token -> 401, nothing changes", async () => {
    const p = await h.installed();
    const before = await h.portalRow(p.memberId);
    const { res } = h.installEvent(p.memberId, "/b24/events", { application_token: "0000000000000000000000000000dead" });
    expect((await res).status).toBe(401);
    expect(await h.portalRow(p.memberId)).toEqual(before);
  });

  it("security: a host of one's own that answers app.info cannot claim a member_id: the OAuth server must confirm it", async () => {
    const victim = newMemberId();
    // the attacker's host accepts any token for app.info, but the refresh token is not one Bitrix24 issued to us
    const { res } = h.installPage(victim, { REFRESH_ID: "made-up-refresh-token" });
    const answer = await res;
    expect(answer.status).toBe(401);
    expect(await json(answer)).toMatchObject({ error: "unauthorized" });
    expect(await h.portalRow(victim)).toBeUndefined();
  });

  it("security: tokens of one portal presented with another portal's member_id -> 401, nothing stored", async () => {
    const own = h.fake.issuePair(newMemberId());
    const victim = newMemberId();
    const { res } = h.installPage(victim, { AUTH_ID: own.accessToken, REFRESH_ID: own.refreshToken });
    const answer = await res;
    expect(answer.status).toBe(401);
    expect(await json(answer)).toMatchObject({ error: "unauthorized", message: "The install tokens belong to another Bitrix24 portal" });
    expect(await h.portalRow(victim)).toBeUndefined();
  });

  it("security: the install page cannot replace a stored application_token without presenting it", async () => {
    const p = await h.installed();
    const before = await h.portalRow(p.memberId);
    // any portal user has a valid AUTH_ID; the application_token is what only the portal knows
    const { res } = h.installPage(p.memberId, { APPLICATION_TOKEN: "attackers-own-token-000000000000" });
    expect((await res).status).toBe(401);
    expect((await h.portalRow(p.memberId))!.applicationTokenEnc).toBe(before!.applicationTokenEnc);
  });

  it.each([
    ["a private address", "10.0.0.5"],
    ["link-local metadata", "169.254.169.254"],
  ])("security: DOMAIN on %s -> 400, never called", async (_name, domain) => {
    const memberId = newMemberId();
    const { res } = h.installPage(memberId, {}, { DOMAIN: domain, PROTOCOL: "1" });
    const answer = await res;
    expect(answer.status).toBe(400);
    expect(await json(answer)).toMatchObject({ error: "invalid_parameter" });
    expect(await h.portalRow(memberId)).toBeUndefined();
  });
});

describe.each(await backends())("POST /b24/install without OUTBOUND_ALLOW_LOOPBACK, security (%s)", (backend) => {
  const h = new Bitrix24Harness(backend);
  beforeAll(() => h.start({ OUTBOUND_ALLOW_LOOPBACK: "false" }));
  afterAll(() => h.close());

  it("security: an http portal (PROTOCOL=0) is refused unless OUTBOUND_ALLOW_LOOPBACK is on", async () => {
    expect(testConfig({ OUTBOUND_ALLOW_LOOPBACK: "false" }).OUTBOUND_ALLOW_LOOPBACK).toBe(false);
    const memberId = newMemberId();
    const { res } = h.installPage(memberId, {}, { DOMAIN: "portal.example.com", PROTOCOL: "0" });
    const answer = await res;
    expect(answer.status).toBe(400);
    expect(await json(answer)).toMatchObject({ error: "invalid_parameter", message: expect.stringContaining("https") });
    expect(await h.portalRow(memberId)).toBeUndefined();
    expect(h.fake.callsOf("app.info")).toHaveLength(0);
  });
});
