import { Hono } from "hono";
import sendAnswer from "../../../app/providers/devino/fixtures/send-answer.json";
import type { FakeRecorder } from "../provider-fake.js";

export const DEVINO_KEY = "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="; // the seed's example key
export const DEVINO_FROM = "MyCompany";

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const optionalString = (v: unknown) => v === undefined || typeof v === "string";

/** Checks one messages[] entry against seed 002's request table; returns a reason to reject or null. */
function checkMessage(fake: FakeRecorder, m: unknown, i: number): string | null {
  if (!fake.check(isObject(m), `messages[${i}] must be an object`) || !isObject(m)) return "must.be.not.null";
  fake.checkEqual(m.from, DEVINO_FROM, `messages[${i}].from`);
  const toOk = typeof m.to === "string" && /^\d{10,15}$/.test(m.to);
  fake.check(toOk, `messages[${i}].to must be digits without '+', got ${JSON.stringify(m.to)}`);
  const hasContent = typeof m.text === "string" || typeof m.contentUrl === "string" || typeof m.templateId === "string";
  fake.check(hasContent, `messages[${i}] needs text, contentUrl or templateId`);
  for (const f of ["text", "contentUrl", "contentType", "contentName", "callbackUrl", "callbackData", "templateId", "languageCode"]) {
    fake.check(optionalString(m[f]), `messages[${i}].${f} must be a string`);
  }
  if (m.contentUrl !== undefined) {
    fake.check(/^https?:\/\//.test(String(m.contentUrl)), `messages[${i}].contentUrl must be an http(s) URL`);
    fake.check(typeof m.contentName === "string" && m.contentName.length > 0, `messages[${i}].contentName is too short`);
  }
  if (m.templateParams !== undefined) {
    const params = m.templateParams;
    const ok = isObject(params) && Object.values(params).every((v) => typeof v === "string" && !/[\n\t]| {4}/.test(v));
    fake.check(ok, `messages[${i}].templateParams: string values without line breaks, tabs or 4 spaces`);
  }
  fake.check(Object.keys(m).every((k) => KNOWN_FIELDS.has(k)), `messages[${i}] has fields Devino does not know`);
  return toOk ? null : "invalid";
}

const KNOWN_FIELDS = new Set([
  "from", "to", "text", "validity", "contentUrl", "contentName", "contentType",
  "callbackUrl", "callbackData", "templateId", "templateParams", "languageCode",
]);

/** Devino's POST /whatsapp/messages as seed 002 describes it: `Authorization: Key …`, a batch in, a result per message out. */
export function createDevinoFake(fake: FakeRecorder, sent: unknown[] = []): Hono {
  const app = new Hono();
  app.post("/whatsapp/messages", async (c) => {
    if (!fake.check(c.req.header("authorization") === `Key ${DEVINO_KEY}`, "Authorization must be `Key <api key>`")) {
      return c.json({ error: "unauthorized" }, 401);
    }
    fake.check(c.req.header("content-type")?.startsWith("application/json") === true, "JSON body expected");
    const body: unknown = await c.req.json();
    const messages = isObject(body) ? body.messages : undefined;
    if (Array.isArray(messages) && messages.length === 0) {
      // the empty batch of the status probe: refused at request level [U: status and shape]
      return c.json({ result: [{ code: "REJECTED", reasons: [{ key: "must.be.not.null", ref: "messages" }] }] }, 400);
    }
    if (!fake.check(Array.isArray(messages), "body.messages must be an array") || !Array.isArray(messages)) {
      return c.json({ result: [{ code: "REJECTED", reasons: [{ key: "must.be.not.null", ref: "messages" }] }] }, 400);
    }
    sent.push(...messages);
    const result = messages.map((m, i) => {
      const reason = checkMessage(fake, m, i);
      if (reason) return { code: "REJECTED", reasons: [{ key: reason, ref: `messages[${i}].to` }], description: "invalid" };
      return sendAnswer.body.result[i % sendAnswer.body.result.length];
    });
    return c.json({ result });
  });
  return app;
}
