import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import unauthorizedStatus from "../../../app/providers/wappi/fixtures/get-status-unauthorized.json";
import { channels } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

describe.each(await backends())("checkPhone, checkStatus, checkMessageStatus errors (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("checkPhone: the 4th request within 1 s -> 429 with Retry-After; the send bucket is untouched", async () => {
    const { base } = await h.channel();
    for (let i = 0; i < 3; i++) expect((await h.get(`${base}/checkPhone`, { phone_number: "79001234567" })).status).toBe(200);
    const limited = await h.get(`${base}/checkPhone`, { phone_number: "79001234567" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(await json(limited)).toMatchObject({ ok: false, error: "rate_limited" });
    expect((await h.get(`${base}/checkStatus`)).status).toBe(200);
    h.clock.advance(1_000);
    expect((await h.get(`${base}/checkPhone`, { phone_number: "79001234567" })).status).toBe(200);
  });

  it("checkPhone: missing or unreadable numbers", async () => {
    const { base } = await h.channel();
    expect(await json(await h.get(`${base}/checkPhone`))).toMatchObject({ ok: false, error: "missing_parameter", field: "phone_number" });
    h.clock.advance(1_000);
    const bad = await h.get(`${base}/checkPhone`, { phone_number: "phone" });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ ok: false, error: "invalid_phone", field: "phone_number" });
  });

  it("checkPhone on a logged-out channel -> channel_not_connected without a provider call", async () => {
    const { base } = await h.channel({ state: "qr_required" });
    const before = h.wappi.whatsapp.requests.length;
    const res = await h.get(`${base}/checkPhone`, { phone_number: "79001234567" });
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ error: "channel_not_connected" });
    expect(h.wappi.whatsapp.requests.length).toBe(before);
  });

  it("checkPhone when the provider is down -> 503 unavailable", async () => {
    const { base } = await h.channel();
    h.wappi.whatsapp.answerNext({ status: 502, body: { detail: "bad gateway" }, times: 3 });
    const res = await h.get(`${base}/checkPhone`, { phone_number: "79001234567" });
    expect(res.status).toBe(503);
    expect(await json(res)).toMatchObject({ ok: false, error: "unavailable" });
    h.wappi.whatsapp.queued = [];
  });

  it("checkStatus: a logged-out profile is stored as qr_required and later sends are refused at once", async () => {
    const { base, channel } = await h.channel();
    h.wappi.whatsapp.answerNext({ status: 200, body: unauthorizedStatus });
    expect(await json(await h.get(`${base}/checkStatus`))).toMatchObject({ ok: true, state: "qr_required" });
    const [row] = await h.t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(row?.state).toBe("qr_required");
    const send = await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "x" });
    expect(send.status).toBe(409);
    expect(await json(send)).toMatchObject({ error: "channel_not_connected" });
  });

  it("checkStatus: rejected credentials -> unauthorized; a provider outage keeps the last known state", async () => {
    const { base } = await h.channel();
    h.wappi.whatsapp.answerNext({ status: 401, body: { detail: "Invalid token" } });
    expect(await json(await h.get(`${base}/checkStatus`))).toMatchObject({ ok: true, state: "unauthorized", detail: "invalid_credentials" });
    h.wappi.whatsapp.answerNext({ status: 500, body: { detail: "oops" }, times: 3 });
    const outage = await json(await h.get(`${base}/checkStatus`));
    h.wappi.whatsapp.queued = [];
    expect(outage).toMatchObject({ ok: true, state: "unauthorized" });
    expect(String(outage.detail)).toContain("last known state");
  });

  it("checkMessageStatus: missing id, unknown id, wrong phone -> missing_parameter / not_found", async () => {
    const { base } = await h.channel();
    const sent = await json(await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "x" }));
    const id = String(sent.message_id);
    expect(await json(await h.get(`${base}/checkMessageStatus`, { phone_number: "79001234567" }))).toMatchObject({
      error: "missing_parameter",
      field: "message_id",
    });
    expect(await json(await h.get(`${base}/checkMessageStatus`, { message_id: id }))).toMatchObject({
      error: "missing_parameter",
      field: "phone_number",
    });
    h.clock.advance(3_000);
    for (const params of [
      { message_id: crypto.randomUUID(), phone_number: "79001234567" },
      { message_id: "12345", phone_number: "79001234567" },
      { message_id: id, phone_number: "79007654321" },
    ]) {
      const res = await h.get(`${base}/checkMessageStatus`, params);
      expect(res.status).toBe(404);
      expect(await json(res)).toMatchObject({ ok: false, error: "not_found" });
    }
  });
});
