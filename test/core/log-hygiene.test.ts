import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createChannel } from "../../app/core/channels.js";
import { createLogger, type Logger, REDACTED, redactFields } from "../../app/core/logger.js";
import { enqueueJob } from "../../app/core/outbox/enqueue.js";
import { processDue } from "../../app/core/outbox/pump.js";
import { JobRegistry } from "../../app/core/outbox/registry.js";
import { createWebhookToken } from "../../app/core/webhook-tokens.js";
import { bindChannelToLine } from "../../app/crm/bitrix24/connector/binding.js";
import { outboxJobs } from "../../app/db/schema.js";
import { installAsyncRequestScope } from "../../worker/request-scope-als.js";
import { ConnectorHarness } from "../crm/bitrix24/connector-harness.js";
import { FAKE_CLIENT_SECRET } from "../crm/bitrix24/fake-bitrix24.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../providers/wappi/fake.js";
import { TEST_ENCRYPTION_KEY } from "../support/deps.js";

/**
 * Secrets, tokens and message texts never reach a log line. Known values are driven through the
 * main paths (webhook sendText -> job -> provider, provider hook inbound -> Open Lines, Bitrix24
 * events and a token refresh, provider and auth errors), with every line captured twice: as the
 * callers wrote it (no redaction: the sources themselves must be clean) and as the JSON logger
 * prints it (with the request and job ids the scope adds).
 */
describe("log hygiene", () => {
  const h = new ConnectorHarness("pglite");
  const raw: string[] = [];
  const printed: string[] = [];
  const json = createLogger("debug", (line) => printed.push(line));
  const tee: Logger = {
    debug: (m, f) => (raw.push(JSON.stringify({ m, f })), json.debug(m, f)),
    info: (m, f) => (raw.push(JSON.stringify({ m, f })), json.info(m, f)),
    warn: (m, f) => (raw.push(JSON.stringify({ m, f })), json.warn(m, f)),
    error: (m, f) => (raw.push(JSON.stringify({ m, f })), json.error(m, f)),
  };
  const secrets = new Set<string>([WAPPI_TOKEN, FAKE_CLIENT_SECRET, TEST_ENCRYPTION_KEY]);
  const WRONG_API_KEY = "wappi-wrong-key-LEAKCHECK-5f1e2d";
  const marker = (what: string) => {
    const m = `MARKER-${what}-${crypto.randomUUID().slice(0, 8)}`;
    secrets.add(m);
    return m;
  };

  beforeAll(async () => {
    installAsyncRequestScope();
    await h.start();
    h.deps.logger = tee;
    secrets.add(WRONG_API_KEY);
  });
  afterAll(() => h.close());

  it("drives the main paths with known secrets and finds none of them in any line", async () => {
    const b = await h.boundChannel();
    for (const s of [b.hookSecret, b.portal.accessToken, b.portal.refreshToken, b.portal.applicationToken]) secrets.add(s);

    // provider hook inbound -> Open Lines (and a forged secret, and a body we cannot parse)
    expect((await h.clientWrites(b, marker("inbound"), `IN${b.line}`)).status).toBe(200);
    expect((await h.app.request(`/hooks/wappi/${b.hookSecret}x`, { method: "POST", body: "{}" })).status).toBeGreaterThanOrEqual(400);
    await h.app.request(`/hooks/wappi/${b.hookSecret}`, { method: "POST", headers: { "content-type": "application/json" }, body: `{"messages":[{"body":"${marker("malformed")}"` });
    // the access token's hour is over: delivery refreshes the pair first
    h.fake.expire(b.portal.accessToken);
    await h.runJobs(2);
    secrets.add(await h.storedAccessToken(b.portal.memberId));
    secrets.add(await h.storedRefreshToken(b.portal.memberId));

    // Bitrix24 events: an operator's reply goes out through the provider; a forged application token is refused
    const [conversation] = await h.conversationsOf(b.channel.id);
    const reply = (token: string, text: string, id: string) =>
      h.event("ONIMCONNECTORMESSAGEADD", b.portal.memberId, token, {
        CONNECTOR: "chatbridge",
        LINE: b.line,
        MESSAGES: [{ im: { chat_id: conversation!.crmChatId, message_id: id }, message: { user_id: "27", text }, chat: { id: conversation!.id } }],
      });
    expect((await reply(b.portal.applicationToken, marker("operator"), "7001")).status).toBe(200);
    expect((await reply(`${b.portal.applicationToken}-forged`, marker("forged"), "7002")).status).toBeGreaterThanOrEqual(400);
    await h.runJobs(2);

    // webhook API sendText -> job -> provider, on a good channel, one whose key the provider refuses and one it cannot reach
    const row = await h.portalRow(b.portal.memberId);
    const token = await createWebhookToken(h.deps, b.channel);
    secrets.add(token.token);
    const refused = await createChannel(h.deps.db, h.deps.keyring, {
      portalId: row!.id,
      provider: "wappi",
      name: "Refused",
      credentials: { apiToken: WRONG_API_KEY, profileId: WAPPI_PROFILE, apiUrl: h.wappiServer.url },
    });
    await bindChannelToLine(h.deps, refused.channel, `9${b.line}`);
    const unreachable = await createChannel(h.deps.db, h.deps.keyring, {
      portalId: row!.id,
      provider: "wappi",
      name: "Down",
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: "http://127.0.0.1:9" },
    });
    const refusedToken = await createWebhookToken(h.deps, refused.channel);
    const downToken = await createWebhookToken(h.deps, unreachable.channel);
    for (const s of [refused.hookSecret, unreachable.hookSecret, refusedToken.token, downToken.token]) if (s) secrets.add(s);
    for (const t of [token, refusedToken, downToken]) {
      const res = await h.app.request(`/rest/webhook/${t.kind}/${t.token}/sendText?phone_number=79991234567&body=${encodeURIComponent(marker("api"))}`);
      expect(res.status).toBe(200);
    }
    // a wrong token, and a POST whose body carries the token and text
    await h.app.request(`/rest/webhook/wa/${token.token}zz/sendText?phone_number=79991234567&body=${encodeURIComponent(marker("badtoken"))}`);
    await h.app.request(`/rest/webhook/wa/${token.token}/sendText`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ phone_number: "x", body: marker("badphone") }) });
    await h.runJobs(3);

    const jobs = await h.t.db.select().from(outboxJobs);
    expect(jobs.some((j) => j.status === "dead")).toBe(true);
    expect(raw.length).toBeGreaterThan(5);
    const leaks = (lines: string[]) =>
      lines.flatMap((line) => [...secrets].filter((s) => line.includes(s)).map((s) => `${s.slice(0, 12)}… in ${line.slice(0, 300)}`));
    if (process.env.DUMP_LOGS) console.log(raw.join("\n"), [...secrets].join(" "));
    expect(leaks(raw)).toEqual([]);
    expect(leaks(printed)).toEqual([]);
  });

  it("lines written while answering a request carry its request_id; a job's lines carry the job and the request that created it", async () => {
    const b = await h.boundChannel();
    const token = await createWebhookToken(h.deps, b.channel);
    printed.length = 0;
    const requestId = `req-${crypto.randomUUID()}`;
    const res = await h.app.request(`/rest/webhook/${token.kind}/${token.token}zz/sendText?phone_number=1&body=x`, { headers: { "x-request-id": requestId } });
    expect(res.headers.get("x-request-id")).toBe(requestId);
    const ok = await h.app.request(`/rest/webhook/${token.kind}/${token.token}/sendText?phone_number=79991234567&body=hello`, { headers: { "x-request-id": requestId } });
    expect(ok.status).toBe(200);
    const jobs = await h.t.db.select().from(outboxJobs);
    const created = jobs.filter((j) => j.requestId === requestId);
    expect(created.length).toBeGreaterThan(0);
    h.deps.logger.info("probe outside any request");
    await h.runJobs(1);
    const lines = printed.map((l) => JSON.parse(l) as Record<string, unknown>);
    const jobLines = lines.filter((l) => created.some((j) => j.id === l.job));
    expect(jobLines.length).toBeGreaterThan(0);
    for (const l of jobLines) expect(l.request_id).toBe(requestId);
    expect(lines.find((l) => l.msg === "probe outside any request")?.request_id).toBeUndefined();
  });

  it("a failed query's bound values reach neither the job's log lines nor its last_error", async () => {
    const secret = marker("query");
    const registry = new JobRegistry().register("test.failing_query", {
      schema: z.object({}),
      async handle(_payload, ctx) {
        await ctx.db.execute(sql`select ${secret}::int as n`);
      },
    });
    const { job } = await enqueueJob(h.t.db, { kind: "test.failing_query", payload: {}, maxAttempts: 1 }, h.clock.now());
    raw.length = 0;
    await processDue({ db: h.t.db, registry, clock: h.clock, logger: h.deps.logger, batch: 5, concurrency: 1, leaseMs: 30_000 });
    const [row] = await h.t.db.select().from(outboxJobs).where(eq(outboxJobs.id, job.id));
    expect(row!.status).toBe("dead");
    expect(row!.lastError).toContain("Failed query");
    expect(row!.lastError).not.toContain(secret);
    expect(raw.join("\n")).toContain("Failed query");
    expect(raw.join("\n")).not.toContain(secret);
  });

  it("the JSON logger redacts secret-named fields, nested ones too, as a backstop", () => {
    const lines: string[] = [];
    const logger = createLogger("debug", (l) => lines.push(l)).child!({ request_id: "r1" });
    logger.warn("x", { access_token: "A", authorization: "Bearer B", text: "hello", nested: { password: "p", refresh_token: "R" }, code: "ok" });
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ request_id: "r1", access_token: REDACTED, authorization: REDACTED, text: REDACTED, nested: { password: REDACTED, refresh_token: REDACTED }, code: "ok" });
    expect(redactFields({ apiKey: "k", client_secret: "s", body: "b", phone: "7999" })).toEqual({ apiKey: REDACTED, client_secret: REDACTED, body: REDACTED, phone: "7999" });
  });
});
