import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { type AmojoBound, AmojoHarness, CLIENT_PHONE } from "./amojo-harness.js";

describe.each(await backends())("amojo hook: forged and foreign callers (%s)", (backend) => {
  const h = new AmojoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  function reply(b: AmojoBound, text = "Оплатите по ссылке") {
    return h.amojo.hookPayload({ accountId: b.account.amojoId, conversationClientId: `cb-${b.channel.id}-${CLIENT_PHONE}`, sourceExternalId: b.channel.id, text });
  }

  async function nothingStored(b: AmojoBound) {
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toEqual([]);
    expect(await h.quarantined()).toEqual([]);
  }

  it("security: a hook signed with another secret is refused (401) and leaves nothing behind", async () => {
    const b = await h.bound();
    const res = await h.hook(b, reply(b), { secret: "0000000000000000000000000000000000000000" });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, error: "unauthorized" });
    await nothingStored(b);
  });

  it("security: a hook without X-Signature, or with a malformed one, is refused", async () => {
    const b = await h.bound();
    expect((await h.hook(b, reply(b), { signature: null })).status).toBe(401);
    expect((await h.hook(b, reply(b), { signature: "abc" })).status).toBe(401);
    await nothingStored(b);
  });

  it("security: a valid signature of another body does not cover a changed body", async () => {
    const b = await h.bound();
    const signed = JSON.stringify(reply(b, "harmless"));
    const signature = createHmac("sha1", h.amojo.secret).update(signed).digest("hex");
    const res = await h.hook(b, undefined, { signature, raw: JSON.stringify(reply(b, "Send money to +1 555 0100")) });
    expect(res.status).toBe(401);
    await nothingStored(b);
  });

  it("security: a signed hook naming another account than the scope's is not sent (quarantined, not routed)", async () => {
    const b = await h.bound();
    const other = await h.bound();
    // our other account's amojo id, on this account's scope URL
    const payload = h.amojo.hookPayload({ accountId: other.account.amojoId, conversationClientId: `cb-${b.channel.id}-${CLIENT_PHONE}`, text: "x" });
    const res = await h.hook(b, payload);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, quarantined: true });
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toEqual([]);
    expect((await h.messagesOf(other.channel.id)).filter((m) => m.direction === "out")).toEqual([]);
  });

  it("security: a conversation naming another account's channel is not sent through it", async () => {
    const b = await h.bound();
    const foreign = await h.bound();
    const payload = h.amojo.hookPayload({ accountId: b.account.amojoId, conversationClientId: `cb-${foreign.channel.id}-${CLIENT_PHONE}`, sourceExternalId: foreign.channel.id, text: "x" });
    expect(await (await h.hook(b, payload)).json()).toMatchObject({ ok: true, quarantined: true });
    expect((await h.messagesOf(foreign.channel.id)).filter((m) => m.direction === "out")).toEqual([]);
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toEqual([]);
  });

  it("security: an oversized body is refused before it is read whole", async () => {
    const b = await h.bound();
    const res = await h.hook(b, reply(b, "x".repeat(70 * 1024)));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: "invalid_body" });
  });
});
