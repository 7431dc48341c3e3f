import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { Bitrix24Harness, json, newMemberId } from "./harness.js";

describe.each(await backends())("POST /b24/install, errors (%s)", (backend) => {
  const h = new Bitrix24Harness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it.each<[string, Record<string, string | undefined>, string]>([
    ["no AUTH_ID", { AUTH_ID: undefined }, "AUTH_ID"],
    ["no REFRESH_ID", { REFRESH_ID: undefined }, "REFRESH_ID"],
    ["no member_id", { member_id: undefined }, "member_id"],
    ["AUTH_EXPIRES not a number", { AUTH_EXPIRES: "soon" }, "AUTH_EXPIRES"],
  ])("error: %s -> 400 invalid_body naming the field, nothing stored", async (_name, body, field) => {
    const memberId = newMemberId();
    const { res } = h.installPage(memberId, body);
    const answer = await res;
    expect(answer.status).toBe(400);
    expect(await json(answer)).toMatchObject({ ok: false, error: "invalid_body", field });
    expect(await h.portalRow(memberId)).toBeUndefined();
  });

  it("error: no DOMAIN in the query -> 400", async () => {
    const memberId = newMemberId();
    const res = await h.postForm("/b24/install?PROTOCOL=1", { AUTH_ID: "a", REFRESH_ID: "r", member_id: memberId });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: "invalid_body", field: "DOMAIN" });
  });

  it("error: a JSON body -> 400 (Bitrix24 posts form-encoded)", async () => {
    const res = await h.app.request("/b24/install", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ ok: false, error: "invalid_body" });
  });

  it("error: ONAPPINSTALL without auth[refresh_token] -> 400, nothing stored", async () => {
    const memberId = newMemberId();
    const { res } = h.installEvent(memberId, "/b24/events", { refresh_token: undefined });
    const answer = await res;
    expect(answer.status).toBe(400);
    expect(await json(answer)).toMatchObject({ field: "auth.refresh_token" });
    expect(await h.portalRow(memberId)).toBeUndefined();
  });

  it("error: the portal cannot be reached -> 503, nothing stored", async () => {
    const memberId = newMemberId();
    const { res } = h.installPage(memberId, {}, { DOMAIN: "127.0.0.1:1" });
    const answer = await res;
    expect(answer.status).toBe(503);
    expect(await json(answer)).toMatchObject({ error: "unavailable" });
    expect(await h.portalRow(memberId)).toBeUndefined();
  });

  it("error: an oversized body -> 400 before parsing", async () => {
    const res = await h.app.request("/b24/install?DOMAIN=x.bitrix24.com", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `AUTH_ID=${"a".repeat(1024 * 1024 + 10)}`,
    });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: "invalid_body" });
  });
});
