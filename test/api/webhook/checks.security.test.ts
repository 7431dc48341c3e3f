import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { regenerateWebhookToken } from "../../../app/core/webhook-tokens.js";
import { messages } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

describe.each(await backends())("checkPhone, checkStatus, checkMessageStatus security (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("checkMessageStatus of a failed message gives the public code and text, never the stored provider error", async () => {
    const a = await h.channel();
    const sent = await json(await h.get(`${a.base}/sendText`, { phone_number: "79001234567", body: "x" }));
    const internal = "ProviderRetryableError: provider error 503 from api.internal.example:8080: <html>stack</html>";
    await h.t.db
      .update(messages)
      .set({
        status: "failed",
        errorCode: "server_error",
        errorMessage: internal,
        statusHistory: [{ status: "failed", at: new Date().toISOString(), reason: internal }],
      })
      .where(eq(messages.id, String(sent.message_id)));
    const body = await json(await h.get(`${a.base}/checkMessageStatus`, { message_id: String(sent.message_id), phone_number: "79001234567" }));
    expect(body).toMatchObject({ ok: true, status: "failed", error_code: "send_failed", error_message: "The message could not be sent" });
    expect(JSON.stringify(body)).not.toContain("internal.example");
  });

  it("checkMessageStatus with another channel's message id -> not_found, exactly like an unknown id", async () => {
    const a = await h.channel();
    const b = await h.channel();
    const sent = await json(await h.get(`${a.base}/sendText`, { phone_number: "79001234567", body: "private" }));
    const foreign = await h.get(`${b.base}/checkMessageStatus`, { message_id: String(sent.message_id), phone_number: "79001234567" });
    const unknown = await h.get(`${b.base}/checkMessageStatus`, { message_id: crypto.randomUUID(), phone_number: "79001234567" });
    expect(foreign.status).toBe(404);
    const [f, u] = [await json(foreign), await json(unknown)];
    expect({ ...f, request_id: null }).toEqual({ ...u, request_id: null });
    expect(JSON.stringify(f)).not.toContain("private");
  });

  it.each(["checkPhone", "checkStatus", "checkMessageStatus"])("%s: unknown, revoked and cross-kind tokens are refused before the provider is asked", async (method) => {
    const wa = await h.channel();
    const requests = h.wappi.whatsapp.requests.length;
    const params = { phone_number: "79001234567", message_id: crypto.randomUUID() };
    expect(await json(await h.get(`/rest/webhook/wa/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/${method}`, params))).toMatchObject({ error: "invalid_token" });
    expect(await json(await h.get(`/rest/webhook/tg/${wa.token.token}/${method}`, params))).toMatchObject({ error: "invalid_token" });
    await regenerateWebhookToken(h.deps, wa.channel);
    const revoked = await h.get(`${wa.base}/${method}`, params);
    expect(revoked.status).toBe(404);
    expect(await json(revoked)).toMatchObject({ error: "token_revoked" });
    expect(h.wappi.whatsapp.requests.length).toBe(requests);
  });

  it("a Telegram channel's chat_id is only accepted under /tg/ and the wa peer must be a phone", async () => {
    const wa = await h.channel();
    const res = await h.get(`${wa.base}/checkMessageStatus`, { message_id: crypto.randomUUID(), chat_id: "123" });
    expect(await json(res)).toMatchObject({ error: "invalid_parameter", field: "chat_id" });
  });
});
