import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { WAHELP_NO_MESSENGER_PHONE } from "../../providers/wahelp/fake.js";
import { json, WebhookHarness } from "./harness.js";

describe.each(await backends())("sendText errors (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const countMessages = async (channelId: string) => (await h.t.db.select().from(messages).where(eq(messages.channelId, channelId))).length;

  it.each([
    [{ body: "no phone" }, 400, "missing_parameter", "phone_number"],
    [{ phone_number: "79001234567" }, 400, "missing_parameter", "body"],
    [{ phone_number: "79001234567", body: "   " }, 400, "missing_parameter", "body"],
    [{ phone_number: "12345", body: "x" }, 400, "invalid_phone", "phone_number"],
    [{ phone_number: "79001234567", body: "x", send_to_imol: "maybe" }, 400, "invalid_parameter", "send_to_imol"],
    [{ phone_number: "79001234567", body: "x", wait: "11" }, 400, "invalid_parameter", "wait"],
    [{ phone_number: "79001234567", body: "x", wait: "soon" }, 400, "invalid_parameter", "wait"],
    [{ phone_number: "79001234567", body: "x", chat_id: "123" }, 400, "invalid_parameter", "chat_id"],
    [{ phone_number: "79001234567", body: "x", request_id: "r".repeat(129) }, 400, "invalid_parameter", "request_id"],
  ] as const)("%o -> %i %s naming %s", async (params, status, error, field) => {
    const { base, channel } = await h.channel();
    const res = await h.get(`${base}/sendText`, params);
    expect(res.status).toBe(status);
    const body = await json(res);
    expect(body).toMatchObject({ ok: false, error, field });
    expect(String(body.message)).toContain(field);
    expect(body.request_id).toEqual(expect.any(String));
    expect(await countMessages(channel.id)).toBe(0);
  });

  it("a body over 256 KB -> invalid_body, whether it declares its length or comes chunked", async () => {
    const { channel, base } = await h.channel();
    const big = "x".repeat(300 * 1024);
    const declared = await h.postForm(`${base}/sendText`, { phone_number: "79001234567", body: big });
    expect(declared.status).toBe(400);
    expect(await json(declared)).toMatchObject({ ok: false, error: "invalid_body" });
    const chunk = new TextEncoder().encode(`phone_number=79001234567&body=${big}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < chunk.length; i += 16 * 1024) controller.enqueue(chunk.subarray(i, i + 16 * 1024));
        controller.close();
      },
    });
    const chunked = await h.app.request(`${base}/sendText`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(400);
    expect(await json(chunked)).toMatchObject({ ok: false, error: "invalid_body" });
    expect(await h.t.db.select().from(messages).where(eq(messages.channelId, channel.id))).toHaveLength(0);
  });

  it("a body that is neither form data nor a JSON object -> invalid_body", async () => {
    const { base } = await h.channel();
    const broken = await h.app.request(`${base}/sendText`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(broken.status).toBe(400);
    expect(await json(broken)).toMatchObject({ ok: false, error: "invalid_body" });
    const list = await h.postJson(`${base}/sendText`, ["79001234567", "x"]);
    expect(await json(list)).toMatchObject({ ok: false, error: "invalid_body" });
    const nested = await h.postJson(`${base}/sendText`, { phone_number: "79001234567", body: { text: "x" } });
    expect(await json(nested)).toMatchObject({ ok: false, error: "invalid_parameter", field: "body" });
  });

  it.each(["banned", "unauthorized", "qr_required"])("a channel in state %s -> 409 channel_not_connected without calling the provider", async (state) => {
    const { base, channel } = await h.channel({ state });
    const before = h.wappi.whatsapp.requests.length;
    const res = await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "x" });
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ ok: false, error: "channel_not_connected" });
    expect(h.wappi.whatsapp.requests.length).toBe(before);
    expect(await countMessages(channel.id)).toBe(0);
  });

  it("wait=3 answers failed/no_messenger when the provider says the number has no WhatsApp", async () => {
    const { base } = await h.channel({ provider: "wahelp" });
    h.autoProcess = true;
    let body: Record<string, unknown>;
    try {
      const res = await h.get(`${base}/sendText`, { phone_number: WAHELP_NO_MESSENGER_PHONE, body: "hello?", wait: "3" });
      expect(res.status).toBe(422);
      body = await json(res);
    } finally {
      h.autoProcess = false;
      await h.settle();
    }
    expect(body).toMatchObject({ ok: false, error: "no_messenger", status: "failed" });
    expect(body.message_id).toMatch(/^[0-9a-f-]{36}$/);
    const status = await json(
      await h.get(`${base}/checkMessageStatus`, { message_id: String(body.message_id), phone_number: WAHELP_NO_MESSENGER_PHONE }),
    );
    expect(status).toMatchObject({ ok: true, status: "failed", error_code: "no_messenger" });
    expect((status.history as Array<{ status: string }>).map((e) => e.status)).toEqual(["queued", "failed"]);
  });

  it("the 6th request within 3 s -> 429 with Retry-After, and nothing is sent for it", async () => {
    const { base, channel } = await h.channel();
    for (let i = 0; i < 5; i++) {
      const ok = await h.get(`${base}/sendText`, { phone_number: "79001234567", body: `n${i}` });
      expect(ok.status).toBe(200);
      h.clock.advance(100);
    }
    const limited = await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "n5" });
    expect(limited.status).toBe(429);
    // the oldest hit leaves the window 3 s after it was made, 2.5 s from now
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(await json(limited)).toMatchObject({ ok: false, error: "rate_limited" });
    expect(await countMessages(channel.id)).toBe(5);

    // every method shares the bucket, except checkPhone
    expect((await h.get(`${base}/checkMessageStatus`, { message_id: crypto.randomUUID(), phone_number: "79001234567" })).status).toBe(429);
    expect((await h.get(`${base}/checkPhone`, { phone_number: "79001234567" })).status).toBe(200);

    h.clock.advance(2_600);
    expect((await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "again" })).status).toBe(200);
  });
});
