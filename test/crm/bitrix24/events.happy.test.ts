import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { backends } from "../../support/db.js";
import { Bitrix24Harness, json } from "./harness.js";

describe.each(await backends())("POST /b24/events, happy (%s)", (backend) => {
  const h = new Bitrix24Harness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("happy: ONAPPUNINSTALL marks the portal uninstalled, deletes its tokens and keeps the row", async () => {
    const p = await h.installed();
    const before = await h.portalRow(p.memberId);
    h.clock.advance(5_000);
    const res = await h.event("ONAPPUNINSTALL", p.memberId, p.applicationToken, { LANGUAGE_ID: "en", CLEAN: "1" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ok: true });
    const row = await h.portalRow(p.memberId);
    expect(row).toMatchObject({
      id: before!.id,
      domain: before!.domain,
      status: "uninstalled",
      accessTokenEnc: null,
      refreshTokenEnc: null,
      applicationTokenEnc: null,
      tokenExpiresAt: null,
    });
    expect(row!.uninstalledAt!.getTime()).toBe(h.clock.now().getTime());
  });

  it("happy: after the uninstall the REST client refuses to call the portal", async () => {
    const p = await h.installed();
    expect((await h.event("ONAPPUNINSTALL", p.memberId, p.applicationToken)).status).toBe(200);
    const calls = h.fake.restCalls.length;
    await expect(h.client(p.memberId).call("profile", {}, z.unknown())).rejects.toMatchObject({ code: "app_uninstalled" });
    expect(h.fake.restCalls.length).toBe(calls);
  });

  it("happy: other events with the right token are answered 200 and not acted on yet", async () => {
    const p = await h.installed();
    const before = await h.portalRow(p.memberId);
    const res = await h.event("ONIMCONNECTORMESSAGEADD", p.memberId, p.applicationToken, {
      CONNECTOR: "acme_wa",
      LINE: "3",
      MESSAGES: [{ im: { chat_id: "1807", message_id: "86497" }, message: { user_id: "27", text: "Guten Tag!" }, chat: { id: "wa_1555" } }],
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ok: true, ignored: "ONIMCONNECTORMESSAGEADD" });
    expect(await h.portalRow(p.memberId)).toEqual(before);
  });
});
