import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmojoHarness } from "../crm/amocrm/amojo-harness.js";
import { ConnectorHarness } from "../crm/bitrix24/connector-harness.js";
import { postgresAvailable } from "../support/db.js";

const LIMITED = { status: 503, body: { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" } };
const UNAVAILABLE = { status: 503, body: "<html><body>503 Service Temporarily Unavailable</body></html>" };

/**
 * The CRM side of delivery under its limits. The portal is a wire-format fake in this process
 * (form-encoded bracket bodies, 2.3 answers) and jobs run through the real registry with a
 * clock the harness moves past retry delays, so minutes of back-off take no test time.
 */
describe.runIf(await postgresAvailable())("fault: Bitrix24 limits while incoming messages are delivered", () => {
  const h = new ConnectorHarness("postgres");
  beforeAll(async () => {
    await h.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it("QUERY_LIMIT_EXCEEDED and 503 bursts on imconnector.send.messages: each message reaches the line once, in the order written", async () => {
    const b = await h.boundChannel();
    const texts = Array.from({ length: 8 }, (_, i) => `limits ${i}`);
    // a burst longer than the client's own in-call retries, so jobs must come back later
    h.fake.answerNext("imconnector.send.messages", ...Array.from({ length: 6 }, () => LIMITED), UNAVAILABLE, UNAVAILABLE, LIMITED, LIMITED, LIMITED, LIMITED);
    const refusals = h.fake.canned.get("imconnector.send.messages")!.length;
    const before = h.fake.callsOf("imconnector.send.messages").length;
    for (const [i, text] of texts.entries()) {
      h.clock.advance(1_000); // the client writes a message a second
      expect((await h.clientWrites(b, text, `LIM${b.line}x${i}`)).status).toBe(200);
    }
    await h.runJobs(12);

    const calls = h.fake.callsOf("imconnector.send.messages").slice(before).filter((c) => c.body.LINE === b.line);
    // the first `refusals` calls got the canned refusals; the rest were accepted
    const accepted = calls.slice(refusals).flatMap((c) => (c.body.MESSAGES as Array<{ message: { text: string } }>).map((m) => m.message.text));
    const delivered = texts.map((t) => accepted.filter((a) => a === t).length);
    console.log(`[faults] Bitrix24 QUERY_LIMIT_EXCEEDED/503 burst: ${JSON.stringify({ accepted: texts.length, refusals, calls: calls.length, deliveredOnce: delivered.filter((n) => n === 1).length, lost: delivered.filter((n) => n === 0).length, duplicated: delivered.filter((n) => n > 1).length })}`);
    expect(h.fake.canned.get("imconnector.send.messages") ?? []).toEqual([]);
    expect(delivered).toEqual(texts.map(() => 1));
    expect(accepted).toEqual(texts);
  });
});

describe.runIf(await postgresAvailable())("fault: amoCRM chat API 429 bursts while incoming messages are delivered", () => {
  const h = new AmojoHarness("postgres");
  beforeAll(async () => {
    await h.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it("429 and 503 on new_message: each message reaches the amoCRM chat once, in the order written", async () => {
    const b = await h.bound();
    const texts = Array.from({ length: 6 }, (_, i) => `amo limits ${i}`);
    const before = h.amojo.newMessages(b.scopeId).length;
    const refusals = [429, 429, 429, 503, 429, 429, 429];
    for (const status of refusals) h.amojo.answerNext({ status, body: status === 429 ? { error: "Too Many Requests" } : {} });
    for (const text of texts) {
      h.clock.advance(1_000);
      expect((await h.clientWrites(b, { body: text })).status).toBe(200);
    }
    await h.runJobs(14);
    const payloads = h.amojo.newMessages(b.scopeId).slice(before);
    const accepted = payloads.slice(refusals.length).map((p) => (p.message as { text: string }).text);
    const delivered = texts.map((t) => accepted.filter((a) => a === t).length);
    console.log(`[faults] amoCRM 429/503 burst: ${JSON.stringify({ accepted: texts.length, refusals: refusals.length, calls: payloads.length, deliveredOnce: delivered.filter((n) => n === 1).length, lost: delivered.filter((n) => n === 0).length, duplicated: delivered.filter((n) => n > 1).length })}`);
    expect(delivered).toEqual(texts.map(() => 1));
    expect(accepted).toEqual(texts);
  });
});
