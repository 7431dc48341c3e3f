import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

/** What Tilda posts: the form's own field names (the variable names of its fields), its form id and the submission id. */
const tildaSubmission = (tranid: string) => ({
  Name: "Иван",
  Phone: "+7 (900) 123-45-67",
  Comment: "Перезвоните после 18:00",
  formid: "form123456789",
  tranid,
});

const tildaConfig = {
  to: "79001112233",
  body: "Новая заявка от {Name}, {Phone}: {Comment}",
  visitor_body: "{Name}, спасибо! Мы получили вашу заявку и скоро перезвоним.",
};

/** A sendForm URL with its configuration in the query string, as the builder keeps it. */
const formUrl = (base: string, config: Record<string, string>) => `${base}/sendForm?${new URLSearchParams(config).toString()}`;

describe.each(await backends())("sendForm happy path (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("a Tilda form POST notifies the manager and confirms to the visitor as the templates say, once per submission", async () => {
    const { base } = await h.channel();
    const url = formUrl(base, tildaConfig);
    const res = await h.postForm(url, tildaSubmission("1234567:8901234567"));
    expect(res.status).toBe(200);
    const answer = await json(res);
    expect(answer).toMatchObject({ ok: true, status: "queued", visitor_status: "queued" });
    expect(answer.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.visitor_message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.unknown_fields).toBeUndefined();

    // Tilda delivers the same submission again (its retry after a slow answer): nothing new is sent
    const repeat = await json(await h.postForm(url, tildaSubmission("1234567:8901234567")));
    expect(repeat).toEqual(answer);

    const before = h.sends().length;
    expect(await h.runOutbox()).toBe(2);
    const sent = h.sends().slice(before);
    expect(sent.map((s) => s.body)).toEqual([
      { recipient: "79001112233", body: "Новая заявка от Иван, +7 (900) 123-45-67: Перезвоните после 18:00" },
      { recipient: "79001234567", body: "Иван, спасибо! Мы получили вашу заявку и скоро перезвоним." },
    ]);
    const again = await json(await h.postForm(url, tildaSubmission("1234567:8901234567")));
    expect(again).toMatchObject({ message_id: answer.message_id, visitor_message_id: answer.visitor_message_id, status: "sent", visitor_status: "sent" });
    expect(await h.runOutbox()).toBe(0);

    // another submission of the same form is a new pair of messages
    const next = await json(await h.postForm(url, tildaSubmission("1234567:8901234568")));
    expect(next.message_id).not.toBe(answer.message_id);
    expect(await h.runOutbox()).toBe(2);
    expect(h.wappi.whatsapp.violations).toEqual([]);
  });

  it("Tilda's test submission (test=test, when the webhook is saved) is answered ok and sends nothing", async () => {
    const { channel, base } = await h.channel();
    const res = await h.postForm(formUrl(base, tildaConfig), { test: "test" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ok: true, test: true });
    expect(await h.t.db.select().from(messages).where(eq(messages.channelId, channel.id))).toEqual([]);
  });

  it("a JSON body without to writes to the visitor's phone from phone_field; placeholders match field names in any case", async () => {
    const { base } = await h.channel();
    const url = formUrl(base, { phone_field: "your-phone", body: "{YOUR-NAME}, ваша запись на {date} подтверждена" });
    const res = await h.postJson(url, { "your-name": "Анна", "your-phone": "8 900 765-43-21", date: "12.06 в 15:00" });
    expect(res.status).toBe(200);
    const answer = await json(res);
    expect(Object.keys(answer).sort()).toEqual(["message_id", "ok", "status"]);
    await h.runOutbox();
    expect(h.sends().at(-1)?.body).toEqual({ recipient: "79007654321", body: "Анна, ваша запись на 12.06 в 15:00 подтверждена" });
  });

  it("unknown placeholders stay visible in the message and are listed in unknown_fields", async () => {
    const { base } = await h.channel();
    const url = formUrl(base, { to: "79001112233", body: "Заявка от {Name}: {Коммент} {Email} {Коммент}" });
    const answer = await json(await h.postForm(url, { Name: "Иван", Phone: "79001234567" }));
    expect(answer).toMatchObject({ ok: true, unknown_fields: ["Коммент", "Email"] });
    await h.runOutbox();
    expect(h.sends().at(-1)?.body).toEqual({ recipient: "79001112233", body: "Заявка от Иван: {Коммент} {Email} {Коммент}" });
  });

  it("multipart form data (without files) and a GET with the fields in the query are read the same way", async () => {
    const { base } = await h.channel();
    const form = new FormData();
    form.append("Name", "Олег");
    form.append("tel", "+79005550011");
    form.append("Services[]", "Стрижка");
    form.append("Services[]", "Укладка");
    const multipart = await h.app.request(formUrl(base, { body: "{Name}, вы записаны: {Services}" }), { method: "POST", body: form });
    expect(multipart.status).toBe(200);
    await h.runOutbox();
    expect(h.sends().at(-1)?.body).toEqual({ recipient: "79005550011", body: "Олег, вы записаны: Стрижка, Укладка" });

    const get = await h.get(`${base}/sendForm`, { body: "Спасибо, {name}!", name: "Мария", phone: "79005550022" });
    expect(get.status).toBe(200);
    await h.runOutbox();
    expect(h.sends().at(-1)?.body).toEqual({ recipient: "79005550022", body: "Спасибо, Мария!" });
  });

  it("request_id_field names the submission id of other builders; its repeats send once", async () => {
    const { base } = await h.channel();
    const url = formUrl(base, { to: "79001112233", body: "Заказ {order}", request_id_field: "order" });
    const first = await json(await h.postJson(url, { order: "A-17", phone: "79001234567" }));
    const repeat = await json(await h.postJson(url, { order: "A-17", phone: "79001234567" }));
    expect(repeat.message_id).toBe(first.message_id);
    expect(await h.runOutbox()).toBe(1);
  });
});
