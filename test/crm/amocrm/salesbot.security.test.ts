import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages, outboxJobs } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { AmoAutomationHarness, type SeededAccount } from "./automation-harness.js";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe.each(await backends())("amoCRM Salesbot widget_request, forged and foreign callers (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  let account: SeededAccount;
  beforeAll(async () => {
    await h.start();
    account = await h.seedAccount();
    await h.channel(account);
  });
  afterAll(() => h.close());

  const totals = async () => ({
    messages: (await h.t.db.select({ n: count() }).from(messages))[0]!.n,
    jobs: (await h.t.db.select({ n: count() }).from(outboxJobs))[0]!.n,
  });

  /** Posts a step with this token; it must be refused with `status` and leave no row, job, send or continue behind. */
  async function expectRefused(token: string, status = 401, returnUrl = h.returnUrl()): Promise<Record<string, unknown>> {
    const before = await totals();
    const continuesBefore = h.amo.continues.length;
    const sendsBefore = h.wappiSends().length;
    const res = await h.post("/amocrm/salesbot", { token, data: { text: "pwned", phone: "79115576366" }, return_url: returnUrl });
    expect(res.status).toBe(status);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.ok).toBe(false);
    await h.runJobs(2);
    expect(await totals()).toEqual(before);
    expect(h.wappiSends()).toHaveLength(sendsBefore);
    expect(h.amo.continues.length).toBe(continuesBefore);
    return body;
  }

  it("an expired token (past the 60 s leeway) is refused", async () => {
    const token = await h.botToken(account.accountId, {}, { lifetimeS: 600 });
    h.clock.advance(661_000);
    expect(await expectRefused(token)).toMatchObject({ error: "unauthorized" });
  });

  it("a token signed with another secret is refused", async () => {
    await expectRefused(await h.botToken(account.accountId, {}, { secret: "not-our-client-secret-0123456789abcdef0123456789" }));
  });

  it('alg "none" and algorithms other than HS512 are refused: HS256 too, the widget tokens every user holds are HS256', async () => {
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const claims = { iss: h.iss, account_id: Number(account.accountId), iat: now, nbf: now, exp: now + 600, client_uuid: h.amo.clientId };
    await expectRefused(`${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`);
    await expectRefused(await h.botToken(account.accountId, {}, { alg: "HS384" }));
    await expectRefused(await h.botToken(account.accountId, {}, { alg: "HS256" }));
    // a valid HS512 signature with the header rewritten to "none" is still not accepted
    const [, payload, signature] = (await h.botToken(account.accountId)).split(".");
    await expectRefused(`${b64({ alg: "none" })}.${payload}.${signature}`);
  });

  it("a user's widget token (HS256, aud = our origin) is not a bot token: no send, no continue", async () => {
    const own = await h.seedAccount();
    const channel = await h.channel(own);
    const res = await h.post("/amocrm/salesbot", { token: await h.widgetToken(own.accountId, 7), data: { text: "spam", phone: "79990001122" }, return_url: h.returnUrl(1) });
    expect(res.status).toBe(401);
    await h.runJobs();
    expect(await h.messagesOf(channel.id)).toEqual([]);
  });

  it("a token of an account that is not installed here is refused, as is one of an uninstalled account", async () => {
    await expectRefused(await h.botToken("39999999"));
    const gone = await h.seedAccount({ status: "uninstalled" });
    await expectRefused(await h.botToken(gone.accountId));
  });

  it("a token whose iss is not the stored account's host, or with another integration's client_uuid, is refused", async () => {
    await expectRefused(await h.botToken(account.accountId, { iss: "https://evil.amocrm.ru" }));
    await expectRefused(await h.botToken(account.accountId, { client_uuid: "00000000-0000-4000-8000-000000000000" }));
  });

  it("[U] a token with an aud that is not our origin is refused; ours is accepted", async () => {
    await expectRefused(await h.botToken(account.accountId, { aud: "https://other-integration.example" }));
    const res = await h.post("/amocrm/salesbot", {
      token: await h.botToken(account.accountId, { aud: "https://bridge.example" }),
      data: { text: "aud ok", phone: "79115576366" },
      return_url: h.returnUrl(),
    });
    expect(res.status).toBe(200);
    await h.runJobs(4);
    expect(h.wappiSends().filter((s) => s.body === "aud ok")).toHaveLength(1);
  });

  it("a valid token with a return_url on another host or path is refused with 400 and nothing queued", async () => {
    const token = () => h.botToken(account.accountId);
    for (const returnUrl of [
      "https://evil.example/api/v4/salesbot/321/continue/123",
      `${h.amo.url}/api/v4/leads/123`,
      `${h.amo.url}/api/v4/salesbot/321/continue/123?next=https://evil.example`,
      `${h.amo.url.replace("127.0.0.1", "localhost")}/api/v4/salesbot/321/continue/123`,
    ]) {
      const body = await expectRefused(await token(), 400, returnUrl);
      expect(body).toMatchObject({ error: "invalid_parameter", field: "return_url" });
    }
  });

  it("a body without a token, or one that is not JSON, is refused before anything else", async () => {
    const before = await totals();
    const none = await h.post("/amocrm/salesbot", { data: { text: "x", phone: "79115576366" }, return_url: h.returnUrl() });
    expect(none.status).toBe(401);
    const garbage = await h.app.request("/amocrm/salesbot", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(garbage.status).toBe(400);
    const huge = await h.post("/amocrm/salesbot", { token: "x".repeat(70_000) });
    expect(huge.status).toBe(400);
    expect(await totals()).toEqual(before);
  });
});
