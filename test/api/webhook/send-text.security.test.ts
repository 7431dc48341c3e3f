import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { regenerateWebhookToken } from "../../../app/core/webhook-tokens.js";
import { channels, messages, webhookTokens } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

const send = { phone_number: "79001234567", body: "x" };

describe.each(await backends())("sendText security (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const messageCount = async () => (await h.t.db.select().from(messages)).length;

  it.each([
    ["an unknown token", "/rest/webhook/wa/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/sendText"],
    ["a malformed token", "/rest/webhook/wa/not%20a%20token!/sendText"],
    ["an unknown kind", "/rest/webhook/viber/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/sendText"],
  ])("%s -> 404 invalid_token", async (_name, path) => {
    const before = await messageCount();
    const res = await h.get(path, send);
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ ok: false, error: "invalid_token" });
    expect(await messageCount()).toBe(before);
  });

  it("a WhatsApp token under /tg/ and a Telegram token under /wa/ -> invalid_token, like an unknown one", async () => {
    const wa = await h.channel();
    const tg = await h.channel({ messenger: "telegram" });
    const before = await messageCount();
    const crossed = [
      await h.get(`/rest/webhook/tg/${wa.token.token}/sendText`, send),
      await h.get(`/rest/webhook/wa/${tg.token.token}/sendText`, send),
    ];
    for (const res of crossed) {
      expect(res.status).toBe(404);
      expect(await json(res)).toMatchObject({ ok: false, error: "invalid_token", message: "Unknown webhook token: check the URL" });
    }
    expect(await messageCount()).toBe(before);
  });

  it("a regenerated token stops at once with token_revoked; the new one works", async () => {
    const { base, channel } = await h.channel();
    expect((await h.get(`${base}/sendText`, send)).status).toBe(200);
    const fresh = await regenerateWebhookToken(h.deps, channel);
    const old = await h.get(`${base}/sendText`, send);
    expect(old.status).toBe(404);
    expect(await json(old)).toMatchObject({ ok: false, error: "token_revoked" });
    const res = await h.get(`/rest/webhook/wa/${fresh.token}/sendText`, send);
    expect(res.status).toBe(200);
    const rows = await h.t.db.select().from(messages).where(eq(messages.channelId, channel.id));
    expect(rows).toHaveLength(2);
  });

  it("a deleted channel's token -> invalid_token", async () => {
    const { base, channel } = await h.channel();
    await h.t.db.update(channels).set({ deletedAt: h.clock.now() }).where(eq(channels.id, channel.id));
    const res = await h.get(`${base}/sendText`, send);
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ error: "invalid_token" });
  });

  it("a token scoped to other methods -> 403 forbidden", async () => {
    const { base, token } = await h.channel();
    await h.t.db.update(webhookTokens).set({ scopes: ["checkStatus"] }).where(eq(webhookTokens.id, token.id));
    const res = await h.get(`${base}/sendText`, send);
    expect(res.status).toBe(403);
    expect(await json(res)).toMatchObject({ ok: false, error: "forbidden" });
    expect((await h.get(`${base}/checkStatus`)).status).toBe(200);
  });

  it("HEAD (link previews, uptime checks) never sends", async () => {
    const { base, channel } = await h.channel();
    const res = await h.app.request(`${base}/sendText?${new URLSearchParams(send)}`, { method: "HEAD" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST");
    expect(await h.t.db.select().from(messages).where(eq(messages.channelId, channel.id))).toHaveLength(0);
  });

  it("an unknown method -> not_found after the token is checked", async () => {
    const { base } = await h.channel();
    const res = await h.get(`${base}/sendSticker`, send);
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(body).toMatchObject({ ok: false, error: "not_found" });
    expect(String(body.message)).toContain("sendText");
    expect(await json(await h.get("/rest/webhook/wa/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/sendSticker"))).toMatchObject({ error: "invalid_token" });
  });

  it("an internal failure answers 500 internal without details, and the log masks the token", async () => {
    const { base, channel } = await h.channel();
    // credentials that no longer decrypt: the provider call cannot even be prepared
    await h.t.db.update(channels).set({ credentialsEnc: "v1.zzz.broken.value" }).where(eq(channels.id, channel.id));
    const res = await h.get(`${base}/checkStatus`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ ok: false, error: "internal", message: "Internal error", request_id: expect.any(String) });
    expect(text).not.toMatch(/at |Keyring|\.ts|stack/);
    const token = base.split("/")[4]!;
    const logged = h.logs.find((l) => l.level === "error");
    expect(logged?.fields?.path).toBe("/rest/webhook/wa/***/checkStatus");
    expect(JSON.stringify(h.logs)).not.toContain(token);
  });
});
