import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

const formUrl = (base: string, config: Record<string, string>) => `${base}/sendForm?${new URLSearchParams(config).toString()}`;

describe.each(await backends())("sendForm errors (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const messagesOf = async (channelId: string) => h.t.db.select().from(messages).where(eq(messages.channelId, channelId));

  it("no phone field to write to: invalid_parameter naming the fields that were posted, never their values", async () => {
    const { channel, base } = await h.channel();
    const res = await h.postForm(formUrl(base, { body: "Спасибо, {Name}!" }), { Name: "Иван Петров", Email: "ivan@example.com" });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body).toMatchObject({ ok: false, error: "invalid_parameter", field: "phone_field" });
    expect(body.message).toContain("Name, Email");
    expect(body.message).not.toContain("Иван");
    expect(body.message).not.toContain("ivan@example.com");

    const named = await json(await h.postJson(formUrl(base, { body: "x", phone_field: "Телефон" }), { Name: "Иван", Phone: "79001234567" }));
    expect(named).toMatchObject({ error: "invalid_parameter", field: "phone_field" });
    expect(named.message).toContain("Телефон");
    expect(await messagesOf(channel.id)).toEqual([]);
  });

  it("an unreadable visitor phone without to: invalid_phone naming the form field", async () => {
    const { base } = await h.channel();
    const res = await h.postForm(formUrl(base, { body: "x" }), { Phone: "12" });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ ok: false, error: "invalid_phone", field: "Phone" });
  });

  it("the manager's message goes even when the visitor's confirmation cannot: visitor_error says why", async () => {
    const { base } = await h.channel();
    const url = formUrl(base, { to: "79001112233", body: "Заявка от {Name}", visitor_body: "Спасибо!" });
    const res = await h.postForm(url, { Name: "Иван" });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ ok: true, status: "queued", visitor_error: { error: "invalid_parameter" } });
    expect(body.visitor_message_id).toBeUndefined();
    const before = h.sends().length;
    expect(await h.runOutbox()).toBe(1);
    expect(h.sends().slice(before).map((s) => s.body)).toEqual([{ recipient: "79001112233", body: "Заявка от Иван" }]);
  });

  it.each([
    ["no body template", {}, "missing_parameter", "body"],
    ["visitor_body without to", { body: "x", visitor_body: "y" }, "invalid_parameter", "visitor_body"],
    ["a wrong to", { body: "x", to: "12" }, "invalid_phone", "to"],
    ["a wrong country", { body: "x", country: "Russia" }, "invalid_parameter", "country"],
    ["a wait beyond 10 s", { body: "x", wait: "60" }, "invalid_parameter", "wait"],
    ["a template that fills to nothing", { body: "{Empty}" }, "invalid_parameter", "body"],
  ])("%s -> %s on %s", async (_name, config, error, field) => {
    const { channel, base } = await h.channel();
    const res = await h.postForm(formUrl(base, config), { Phone: "79001234567", Empty: " " });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ ok: false, error, field });
    expect(await messagesOf(channel.id)).toEqual([]);
  });

  it("request_id_field naming a field that was not posted is refused rather than sending without idempotency", async () => {
    const { base } = await h.channel();
    const res = await h.postJson(formUrl(base, { body: "x", request_id_field: "order" }), { Phone: "79001234567" });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: "invalid_parameter", field: "request_id_field" });
  });

  it("a file in a multipart body and a nested JSON value are refused", async () => {
    const { base } = await h.channel();
    const form = new FormData();
    form.append("Phone", "79001234567");
    form.append("cv", new File(["%PDF"], "cv.pdf", { type: "application/pdf" }));
    const file = await h.app.request(formUrl(base, { body: "x" }), { method: "POST", body: form });
    expect(file.status).toBe(400);
    expect(await json(file)).toMatchObject({ error: "invalid_parameter", field: "cv" });

    const nested = await h.postJson(formUrl(base, { body: "x" }), { Phone: "79001234567", address: { city: "Москва" } });
    expect(nested.status).toBe(400);
    expect(await json(nested)).toMatchObject({ error: "invalid_parameter", field: "address" });
  });
});
