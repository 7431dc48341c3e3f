import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Bitrix24Error, Bitrix24ReinstallNeededError, Bitrix24RetryableError } from "../../../app/crm/bitrix24/errors.js";
import { refreshPortalTokens } from "../../../app/crm/bitrix24/oauth.js";
import { findPortal, storeFreshTokens } from "../../../app/crm/bitrix24/portal-auth.js";
import { openDatabase } from "../../../worker/node-db.js";
import { backends } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";
import { FAKE_CLIENT_ID, FAKE_CLIENT_SECRET } from "./fake-bitrix24.js";
import { Bitrix24Harness } from "./harness.js";

const echo = z.object({ method: z.string(), params: z.record(z.string(), z.unknown()) });

describe.each(await backends())("Bitrix24 REST client (%s)", (backend) => {
  const h = new Bitrix24Harness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("happy: posts form-encoded params with auth to <client_endpoint><method>.json and checks the answer", async () => {
    const p = await h.installed();
    const result = await h.client(p.memberId).call("imconnector.status", { CONNECTOR: "acme_wa", LINE: 3 }, echo);
    expect(result).toEqual({ method: "imconnector.status", params: { CONNECTOR: "acme_wa", LINE: "3" } });
    expect(h.fake.callsOf("imconnector.status").at(-1)).toMatchObject({ host: h.fake.host, body: { auth: p.accessToken } });
  });

  it("error: an answer that does not fit the schema -> Bitrix24Error bad_response", async () => {
    const p = await h.installed();
    await expect(h.client(p.memberId).call("profile", {}, z.object({ ID: z.string() }))).rejects.toMatchObject({ code: "bad_response" });
  });

  it("error: a REST error is a typed, permanent error with its code and status", async () => {
    const p = await h.installed();
    h.fake.answerNext("bizproc.robot.add", { status: 403, body: { error: "ACCESS_DENIED", error_description: "Access denied!" } });
    const err = await h.client(p.memberId).call("bizproc.robot.add", { CODE: "x" }, z.unknown()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Bitrix24Error);
    expect(err).toMatchObject({ code: "ACCESS_DENIED", status: 403 });
  });

  it("happy: a slow OAuth server does not hold the database: other queries run during the refresh", async () => {
    const p = await h.installed();
    h.fake.expire(p.accessToken);
    h.fake.refreshDelayMs = 1500;
    try {
      const call = h.client(p.memberId).call("profile", {}, echo);
      await new Promise((r) => setTimeout(r, 300)); // the refresh is now waiting on the network
      const started = Date.now();
      await h.deps.db.execute(sql`select 1`);
      expect(Date.now() - started).toBeLessThan(500);
      await call;
    } finally {
      h.fake.refreshDelayMs = 0;
    }
  });

  it("happy: 20 concurrent calls on an expired token cause exactly one refresh, stored encrypted", async () => {
    const p = await h.installed();
    h.fake.expire(p.accessToken);
    h.fake.refreshDelayMs = 50;
    const refreshesBefore = h.fake.refreshCalls.length;
    const shared = h.client(p.memberId);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? shared : h.client(p.memberId)).call("profile", { n: i }, echo)),
    );
    h.fake.refreshDelayMs = 0;
    expect(results.map((r) => r.params.n)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(h.fake.refreshCalls.length - refreshesBefore).toBe(1);
    const refresh = h.fake.refreshCalls.at(-1)!;
    expect(Object.fromEntries(refresh)).toEqual({
      grant_type: "refresh_token",
      client_id: FAKE_CLIENT_ID,
      client_secret: FAKE_CLIENT_SECRET,
      refresh_token: p.refreshToken,
    });
    const stored = await h.storedAccessToken(p.memberId);
    expect(stored).not.toBe(p.accessToken);
    expect(h.fake.accessTokens.has(stored)).toBe(true);
    const row = await h.portalRow(p.memberId);
    expect(row!.accessTokenEnc).not.toContain(stored);
    expect(row!.tokenExpiresAt!.getTime()).toBe(h.clock.now().getTime() + 3600_000);
  });

  it("happy: concurrent refreshes of one portal in one process share one promise", async () => {
    const p = await h.installed();
    h.fake.expire(p.accessToken);
    const first = refreshPortalTokens(h.deps, p.memberId, p.accessToken);
    const second = refreshPortalTokens(h.deps, p.memberId, p.accessToken);
    expect(second).toBe(first);
    const auth = await first;
    expect(auth.accessToken).toBe(await h.storedAccessToken(p.memberId));
    // once settled, a later refresh is a new flight (which finds the row already refreshed)
    expect(refreshPortalTokens(h.deps, p.memberId, p.accessToken)).not.toBe(first);
  });

  it("happy: a token another instance already refreshed is used from the row, without a second refresh", async () => {
    const p = await h.installed();
    const client = h.client(p.memberId);
    await client.call("profile", {}, echo); // the client now holds the first token
    // another instance refreshed meanwhile: new pair in the row, old access token dead
    const fresh = h.fake.issuePair(p.memberId);
    h.fake.expire(p.accessToken);
    const row = await findPortal(h.t.db, p.memberId);
    await storeFreshTokens(h.t.db, h.deps.keyring, row!, { ...fresh, expiresAt: h.clock.now(), clientEndpoint: `${h.fake.url}/rest/` }, h.clock.now());
    const before = h.fake.refreshCalls.length;
    await client.call("profile", {}, echo);
    expect(h.fake.refreshCalls.length).toBe(before);
    expect(h.fake.callsOf("profile").at(-1)!.body.auth).toBe(fresh.accessToken);
  });

  it.runIf(backend === "postgres")("happy: two instances (two connection pools) refreshing at once make one refresh (lease + re-read)", async () => {
    const p = await h.installed();
    h.fake.expire(p.accessToken);
    h.fake.refreshDelayMs = 150;
    const second = await openDatabase({ url: h.t.url!, poolSize: 5 });
    try {
      const otherDeps = await testDeps(second.db, { clock: h.clock, config: h.deps.config });
      const before = h.fake.refreshCalls.length;
      const calls = Array.from({ length: 10 }, (_, i) => h.client(p.memberId, i % 2 === 0 ? h.deps : otherDeps).call("profile", { i }, echo));
      expect(await Promise.all(calls)).toHaveLength(10);
      expect(h.fake.refreshCalls.length - before).toBe(1);
    } finally {
      h.fake.refreshDelayMs = 0;
      await second.close();
    }
  });

  it("error: a refresh answered invalid_grant marks the portal needs_reinstall; later calls stop before the network", async () => {
    const p = await h.installed();
    h.fake.expire(p.accessToken);
    h.fake.refreshOverride = { status: 400, body: { error: "invalid_grant", error_description: "Invalid grant" } };
    const err = await h.client(p.memberId).call("profile", {}, echo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Bitrix24ReinstallNeededError);
    expect((await h.portalRow(p.memberId))!.status).toBe("needs_reinstall");
    const calls = h.fake.restCalls.length;
    await expect(h.client(p.memberId).call("profile", {}, echo)).rejects.toBeInstanceOf(Bitrix24ReinstallNeededError);
    expect(h.fake.restCalls.length).toBe(calls);
  });

  it("error: invalid_client from the OAuth server is permanent but does not mark the portal", async () => {
    const p = await h.installed();
    h.fake.expire(p.accessToken);
    h.fake.refreshOverride = { status: 401, body: { error: "invalid_client", error_description: "Invalid client" } };
    await expect(h.client(p.memberId).call("profile", {}, echo)).rejects.toMatchObject({ code: "invalid_client" });
    expect((await h.portalRow(p.memberId))!.status).toBe("active");
  });

  it.each(["QUERY_LIMIT_EXCEEDED"])("happy: %s then success -> backs off and retries", async (code) => {
    const p = await h.installed();
    const status = 503;
    h.fake.answerNext("crm.contact.get", { status, body: { error: code, error_description: "Too many requests" } });
    const sleeps: number[] = [];
    const result = await h.client(p.memberId, h.deps, sleeps).call("crm.contact.get", { id: 7 }, echo);
    expect(result.params).toEqual({ id: "7" });
    expect(h.fake.callsOf("crm.contact.get").filter((c) => c.body.auth === p.accessToken).length).toBeGreaterThanOrEqual(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(100);
  });

  it("error: OPERATION_TIME_LIMIT (a 10-minute budget) -> no waiting in the call, the job comes back in a minute", async () => {
    const p = await h.installed();
    h.fake.answerNext("crm.deal.list", { status: 429, body: { error: "OPERATION_TIME_LIMIT", error_description: "Method is blocked" } });
    const sleeps: number[] = [];
    const err = await h.client(p.memberId, h.deps, sleeps).call("crm.deal.list", {}, echo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Bitrix24RetryableError);
    expect(err).toMatchObject({ code: "OPERATION_TIME_LIMIT", delayMs: 60_000 });
    expect(sleeps).toEqual([]);
  });

  it("error: PORTAL_DELETED marks the portal as needing reinstall", async () => {
    const p = await h.installed();
    h.fake.answerNext("profile", { status: 404, body: { error: "PORTAL_DELETED", error_description: "Portal was deleted" } });
    await expect(h.client(p.memberId).call("profile", {}, echo)).rejects.toMatchObject({ code: "PORTAL_DELETED" });
    expect((await h.portalRow(p.memberId))!.status).toBe("needs_reinstall");
  });

  it("error: a limit that does not pass -> bounded retries, then Bitrix24RetryableError", async () => {
    const p = await h.installed();
    const limited = { status: 503, body: { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" } };
    h.fake.answerNext("crm.lead.list", limited, limited, limited, limited, limited);
    const sleeps: number[] = [];
    const err = await h.client(p.memberId, h.deps, sleeps).call("crm.lead.list", {}, echo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Bitrix24RetryableError);
    expect(err).toMatchObject({ code: "QUERY_LIMIT_EXCEEDED" });
    expect(sleeps).toHaveLength(3);
    expect(h.fake.canned.get("crm.lead.list")).toHaveLength(1); // 4 attempts used 4 of the 5 answers
    h.fake.canned.delete("crm.lead.list");
  });

  it("happy: a batch of 120 commands is 3 calls (50 + 50 + 20) with every result merged", async () => {
    const p = await h.installed();
    const before = h.fake.callsOf("batch").length;
    const commands = Array.from({ length: 120 }, (_, i) => ({ key: `k${i}`, method: "crm.contact.get", params: { id: i } }));
    const { result, errors } = await h.client(p.memberId).batch(commands);
    const calls = h.fake.callsOf("batch").slice(before);
    expect(calls.map((c) => Object.keys(c.body.cmd as object).length)).toEqual([50, 50, 20]);
    expect(calls[0]!.body).toMatchObject({ halt: "0", cmd: { k0: "crm.contact.get?id=0" } });
    expect(Object.keys(result)).toHaveLength(120);
    expect(result.k119).toEqual({ method: "crm.contact.get", params: { id: "119" } });
    expect(errors).toEqual({});
  });

  it("error: per-command batch errors come back under their keys; halt skips the remaining calls", async () => {
    const p = await h.installed();
    const before = h.fake.callsOf("batch").length;
    const commands = [
      ...Array.from({ length: 50 }, (_, i) => ({ method: i === 3 ? "fail.me" : "profile" })),
      { method: "profile", key: "late" },
    ];
    const { result, errors } = await h.client(p.memberId).batch(commands, { halt: true });
    expect(errors).toEqual({ c3: { error: "ERROR_CORE", error_description: "asked to fail" } });
    expect(result.late).toBeUndefined();
    expect(h.fake.callsOf("batch").length - before).toBe(1);
  });

  it("error: repeated batch keys or a nested batch are refused before any call", async () => {
    const p = await h.installed();
    const client = h.client(p.memberId);
    await expect(client.batch([{ key: "a", method: "profile" }, { key: "a", method: "profile" }])).rejects.toMatchObject({ code: "invalid_batch" });
    await expect(client.batch([{ method: "batch" }])).rejects.toMatchObject({ code: "invalid_batch" });
    await expect(client.call("../oauth/token", {}, z.unknown())).rejects.toMatchObject({ code: "invalid_method" });
  });

  it("happy: a domain change in the refresh answer's client_endpoint moves the portal row and later calls", async () => {
    const p = await h.installed();
    const renamed = h.fake.host.replace("127.0.0.1", "localhost");
    h.fake.clientEndpoint = `http://${renamed}/rest/`;
    h.fake.expire(p.accessToken);
    try {
      await h.client(p.memberId).call("profile", {}, echo);
    } finally {
      h.fake.clientEndpoint = `${h.fake.url}/rest/`;
    }
    const row = await h.portalRow(p.memberId);
    expect(row!.domain).toBe(renamed);
    expect(row!.settings).toMatchObject({ clientEndpoint: `http://${renamed}/rest/` });
    await h.client(p.memberId).call("profile", { after: "rename" }, echo);
    expect(h.fake.callsOf("profile").at(-1)!.host).toBe(renamed);
  });
});
