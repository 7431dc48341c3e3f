import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { Bitrix24Harness, json, newMemberId } from "./harness.js";

describe.each(await backends())("POST /b24/events, security (%s)", (backend) => {
  const h = new Bitrix24Harness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const WRONG = "51856fefc120afa4b628cc82d3935cce";

  it.each(["ONAPPUNINSTALL", "ONIMCONNECTORMESSAGEADD", "OnImConnectorLineDelete"])(
    "security: %s with a wrong application_token -> 401 JSON, nothing changes",
    async (event) => {
      const p = await h.installed();
      const before = await h.portalRow(p.memberId);
      const res = await h.event(event, p.memberId, WRONG);
      expect(res.status).toBe(401);
      expect(await json(res)).toMatchObject({ ok: false, error: "unauthorized" });
      expect(await h.portalRow(p.memberId)).toEqual(before);
    },
  );

  it("security: a token one character off -> 401", async () => {
    const p = await h.installed();
    const off = `${p.applicationToken.slice(0, -1)}${p.applicationToken.endsWith("0") ? "1" : "0"}`;
    expect((await h.event("ONAPPUNINSTALL", p.memberId, off)).status).toBe(401);
    expect((await h.portalRow(p.memberId))!.status).toBe("active");
  });

  it("security: another portal's valid token -> 401", async () => {
    const a = await h.installed();
    const b = await h.installed();
    expect((await h.event("ONAPPUNINSTALL", a.memberId, b.applicationToken)).status).toBe(401);
    expect((await h.portalRow(a.memberId))!.status).toBe("active");
  });

  it("security: an unknown member_id -> 401 and no row appears", async () => {
    const memberId = newMemberId();
    const res = await h.event("ONAPPUNINSTALL", memberId, WRONG);
    expect(res.status).toBe(401);
    expect(await h.portalRow(memberId)).toBeUndefined();
  });

  it("security: an uninstalled portal's old token no longer works", async () => {
    const p = await h.installed();
    expect((await h.event("ONAPPUNINSTALL", p.memberId, p.applicationToken)).status).toBe(200);
    expect((await h.event("ONIMCONNECTORMESSAGEADD", p.memberId, p.applicationToken)).status).toBe(401);
  });

  it.each<[string, Record<string, string>]>([
    ["no auth at all", { event: "ONAPPUNINSTALL" }],
    ["no application_token", { event: "ONAPPUNINSTALL", "auth[member_id]": "a223" }],
    ["an empty application_token", { event: "ONAPPUNINSTALL", "auth[member_id]": "a223", "auth[application_token]": "" }],
    ["no event name", { "auth[member_id]": "a223", "auth[application_token]": WRONG }],
  ])("security: %s -> 401", async (_name, fields) => {
    const res = await h.app.request("/b24/events", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    expect(res.status).toBe(401);
    expect(await json(res)).toMatchObject({ ok: false, error: "unauthorized" });
  });
});
