import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { createChannel } from "../../../app/core/channels.js";
import { queueOutgoing } from "../../../app/core/messages/outgoing.js";
import { createWebhookToken, lookupWebhookToken } from "../../../app/core/webhook-tokens.js";
import { channels, messages, webhookTokens } from "../../../app/db/schema.js";
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

  it("happy: ONAPPUNINSTALL takes the portal's channels out of service: tokens revoked, queued messages failed, history kept", async () => {
    const p = await h.installed();
    const portal = (await h.portalRow(p.memberId))!;
    const { channel } = await createChannel(h.deps.db, h.deps.keyring, { portalId: portal.id, provider: "gateway", name: "phone", credentials: {} });
    const token = await createWebhookToken(h.deps, channel);
    const { message } = await queueOutgoing(h.deps, {
      channel,
      peer: { phone: "79001234567" },
      content: { type: "text", text: "not yet sent" },
      origin: "webhook_api",
      dedupKey: `uninstall:${p.memberId}`,
    });
    expect((await h.event("ONAPPUNINSTALL", p.memberId, p.applicationToken, { CLEAN: "0" })).status).toBe(200);

    const [row] = await h.t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(row).toMatchObject({ credentialsEnc: "", hookSecretHash: null });
    expect(row!.deletedAt).not.toBeNull();
    // the URL stops working (a deleted channel answers like an unknown token) and the token is revoked
    await expect(lookupWebhookToken(h.t.db, token.kind, token.token)).rejects.toMatchObject({ code: "invalid_token" });
    const [tokenRow] = await h.t.db.select().from(webhookTokens).where(eq(webhookTokens.id, token.id));
    expect(tokenRow!.revokedAt).not.toBeNull();
    const [msg] = await h.t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(msg).toMatchObject({ status: "failed", errorCode: "channel_removed" });
  });

  it("happy: ONAPPUNINSTALL with CLEAN=1 deletes the portal's channels and their history", async () => {
    const p = await h.installed();
    const portal = (await h.portalRow(p.memberId))!;
    const { channel } = await createChannel(h.deps.db, h.deps.keyring, { portalId: portal.id, provider: "gateway", name: "phone", credentials: {} });
    expect((await h.event("ONAPPUNINSTALL", p.memberId, p.applicationToken, { CLEAN: "1" })).status).toBe(200);
    expect(await h.t.db.select().from(channels).where(eq(channels.id, channel.id))).toHaveLength(0);
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
