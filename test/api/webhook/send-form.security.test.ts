import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

const formUrl = (base: string, config: Record<string, string>) => `${base}/sendForm?${new URLSearchParams(config).toString()}`;

describe.each(await backends())("sendForm security (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("an unknown token -> 404 invalid_token, even for a test submission", async () => {
    const submissions: Array<Record<string, string>> = [{ Phone: "79001234567" }, { test: "test" }];
    for (const fields of submissions) {
      const res = await h.postForm(formUrl("/rest/webhook/wa/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", { body: "x" }), fields);
      expect(res.status).toBe(404);
      expect(await json(res)).toMatchObject({ ok: false, error: "invalid_token" });
    }
  });

  it("a visitor's fields never override the configuration kept in the URL", async () => {
    const { base } = await h.channel();
    const url = formUrl(base, { to: "79001112233", body: "Заявка: {body} / {to}" });
    const res = await h.postForm(url, { to: "79990000000", body: "hijacked", send_to_imol: "Y", phone_field: "to", Phone: "79001234567" });
    expect(res.status).toBe(200);
    const answer = await json(res);
    await h.runOutbox();
    expect(h.sends().at(-1)?.body).toEqual({ recipient: "79001112233", body: "Заявка: hijacked / 79990000000" });
    const [row] = await h.t.db.select().from(messages).where(eq(messages.id, String(answer.message_id)));
    expect(row?.sendToImol).toBe(false);
  });

  it("the webhook's rate limit applies: the sixth submission within 3 seconds -> 429 with Retry-After", async () => {
    const { base } = await h.channel();
    const url = formUrl(base, { body: "x" });
    for (let i = 0; i < 5; i++) expect((await h.postForm(url, { test: "test" })).status).toBe(200);
    const res = await h.postForm(url, { test: "test" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await json(res)).toMatchObject({ error: "rate_limited" });
    h.clock.advance(3_000);
  });

  it("a HEAD (a link preview) sends nothing", async () => {
    const { channel, base } = await h.channel();
    const res = await h.app.request(`${formUrl(base, { body: "x" })}&Phone=79001234567`, { method: "HEAD" });
    expect(res.status).toBe(405);
    expect(await h.t.db.select().from(messages).where(eq(messages.channelId, channel.id))).toEqual([]);
  });

  it("the token never reaches the logs of a failed call", async () => {
    const { token, base } = await h.channel();
    await h.postForm(formUrl(base, { body: "x" }), { Name: "no phone" });
    expect(JSON.stringify(h.logs)).not.toContain(token.token);
  });
});
