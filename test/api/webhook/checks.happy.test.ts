import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channels } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { WAPPI_KNOWN_PHONE } from "../../providers/wappi/fake.js";
import { json, WebhookHarness } from "./harness.js";

describe.each(await backends())("checkPhone, checkStatus, checkMessageStatus happy paths (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("checkPhone answers whether the number has WhatsApp, by GET, form and JSON alike", async () => {
    const { base } = await h.channel();
    const known = `+${WAPPI_KNOWN_PHONE}`;
    const answers = [
      await json(await h.get(`${base}/checkPhone`, { phone_number: known })),
      await json(await h.postForm(`${base}/checkPhone`, { phone_number: known })),
      await json(await h.postJson(`${base}/checkPhone`, { phone_number: Number(WAPPI_KNOWN_PHONE) })),
    ];
    for (const a of answers) expect(a).toEqual({ ok: true, phone_number: WAPPI_KNOWN_PHONE, exists: true });
    h.clock.advance(1_000);
    expect(await json(await h.get(`${base}/checkPhone`, { phone_number: "8 900 000-00-01" }))).toEqual({
      ok: true,
      phone_number: "79000000001",
      exists: false,
    });
    const checks = h.wappi.whatsapp.requests.filter((r) => r.path === "/api/sync/contact/check").map((r) => r.query.get("phone"));
    expect(checks.slice(-4)).toEqual([WAPPI_KNOWN_PHONE, WAPPI_KNOWN_PHONE, WAPPI_KNOWN_PHONE, "79000000001"]);
  });

  it("checkStatus reports the provider's state, stores it, and counts the queued messages", async () => {
    const { base, channel } = await h.channel({ state: "unknown" });
    for (const text of ["one", "two"]) await h.get(`${base}/sendText`, { phone_number: "79001234567", body: text });
    const res = await h.get(`${base}/checkStatus`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      ok: true,
      state: "connected",
      detail: "open",
      messenger: "whatsapp",
      queued_messages: 2,
      checked_at: h.clock.now().toISOString(),
    });
    const [row] = await h.t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(row?.state).toBe("connected");
    expect(row?.stateCheckedAt?.toISOString()).toBe(h.clock.now().toISOString());

    await h.runOutbox();
    expect(await json(await h.postJson(`${base}/checkStatus`, {}))).toMatchObject({ ok: true, queued_messages: 0 });
  });

  it("checkMessageStatus follows a message from queued to sent, with its history", async () => {
    const { base } = await h.channel();
    const queuedAt = h.clock.now();
    const sent = await json(await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "status?" }));
    const id = String(sent.message_id);
    const queued = await json(await h.get(`${base}/checkMessageStatus`, { message_id: id, phone_number: "8 900 123 45 67" }));
    expect(queued).toMatchObject({ ok: true, message_id: id, status: "queued", phone_number: "79001234567", send_to_imol: false, error_code: null });
    h.clock.advance(1_000);
    await h.runOutbox();
    const after = await json(await h.postJson(`${base}/checkMessageStatus`, { message_id: id, phone_number: "79001234567" }));
    expect(after).toMatchObject({ ok: true, status: "sent", error_code: null, error_message: null });
    expect(after.history).toEqual([
      { status: "queued", at: queuedAt.toISOString() },
      { status: "sent", at: new Date(queuedAt.getTime() + 1_000).toISOString() },
    ]);
  });
});
