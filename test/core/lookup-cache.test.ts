import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, retireChannel } from "../../app/core/channels.js";
import { recordProviderEvents } from "../../app/core/messages/inbound.js";
import { AppError } from "../../app/core/errors.js";
import { forgetChannel, LookupCache } from "../../app/core/lookup-cache.js";
import { createWebhookToken, lookupWebhookToken, regenerateWebhookToken } from "../../app/core/webhook-tokens.js";
import { webhookTokens } from "../../app/db/schema.js";
import type { AppDeps } from "../../app/deps.js";
import { openDatabase, type OpenDb } from "../../worker/node-db.js";
import { openTestDb, postgresAvailable, type TestDb } from "../support/db.js";
import { testDeps } from "../support/deps.js";

const wappiCredentials = { apiToken: "t", profileId: "p" };

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof AppError ? err.code : undefined;
}

describe("LookupCache", () => {
  it("keeps an entry for its time to live, then forgets it", () => {
    let now = 1_000;
    const cache = new LookupCache<{ channelId: string }>(2_000, 10, () => now);
    cache.set("k", { channelId: "c1" });
    now += 1_999;
    expect(cache.get("k")).toEqual({ channelId: "c1" });
    now += 1;
    expect(cache.get("k")).toBeUndefined();
  });

  it("forgets every entry of a channel at once, and nothing of other channels", () => {
    const cache = new LookupCache<{ channelId: string }>(60_000);
    cache.set("a", { channelId: "c1" });
    cache.set("b", { channelId: "c1" });
    cache.set("c", { channelId: "c2" });
    cache.forgetChannel("c1");
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([undefined, undefined, { channelId: "c2" }]);
  });

  it("holds at most its size, dropping the oldest first", () => {
    const cache = new LookupCache<{ channelId: string }>(60_000, 2);
    cache.set("a", { channelId: "1" });
    cache.set("b", { channelId: "2" });
    cache.set("c", { channelId: "3" });
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([undefined, { channelId: "2" }, { channelId: "3" }]);
  });

  it("a time to live of 0 keeps nothing (LOOKUP_CACHE_MS=0)", () => {
    const cache = new LookupCache<{ channelId: string }>(0);
    cache.set("a", { channelId: "1" });
    expect(cache.get("a")).toBeUndefined();
  });
});

/**
 * Two handles on one PostgreSQL database stand for two instances: each process keeps its own
 * cache, so a change through one reaches the other only when its entry expires.
 */
describe.runIf(await postgresAvailable())("webhook token lookups cached across instances (postgres)", () => {
  let t: TestDb;
  let other: OpenDb;
  let here: AppDeps;
  let there: AppDeps;
  beforeAll(async () => {
    t = await openTestDb("postgres");
    other = await openDatabase({ url: t.url!, poolSize: 2 });
    here = await testDeps(t.db);
    there = await testDeps(other.db);
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  const newToken = async () => {
    const { channel } = await createChannel(t.db, here.keyring, { portalId: null, provider: "wappi", name: "c", messenger: "whatsapp", credentials: wappiCredentials });
    return { channel, issued: await createWebhookToken(here, channel) };
  };

  it("a token regenerated through another instance stops working here once the entry expires", async () => {
    const { channel, issued } = await newToken();
    expect((await lookupWebhookToken(t.db, "wa", issued.token, 250)).channel.id).toBe(channel.id);
    await regenerateWebhookToken(there, channel);
    await new Promise((r) => setTimeout(r, 300));
    expect(await codeOf(lookupWebhookToken(t.db, "wa", issued.token, 250))).toBe("token_revoked");
  });

  it("within its time to live the entry answers without the database: that is the bounded staleness", async () => {
    const { channel, issued } = await newToken();
    await lookupWebhookToken(t.db, "wa", issued.token, 60_000);
    // another instance deletes the token row itself: only a cached entry can still answer
    await other.db.delete(webhookTokens).where(eq(webhookTokens.channelId, channel.id));
    expect((await lookupWebhookToken(t.db, "wa", issued.token, 60_000)).channel.id).toBe(channel.id);
    forgetChannel(channel.id);
    expect(await codeOf(lookupWebhookToken(t.db, "wa", issued.token, 60_000))).toBe("invalid_token");
  });

  it("regenerating through this instance revokes the old token here at once, whatever the time to live", async () => {
    const { channel, issued } = await newToken();
    await lookupWebhookToken(t.db, "wa", issued.token, 60_000);
    const fresh = await regenerateWebhookToken(here, channel);
    expect(await codeOf(lookupWebhookToken(t.db, "wa", issued.token, 60_000))).toBe("token_revoked");
    expect((await lookupWebhookToken(t.db, "wa", fresh.token, 60_000)).token.id).toBe(fresh.id);
  });

  it("deleting the channel through this instance stops its token here at once", async () => {
    const { channel, issued } = await newToken();
    await lookupWebhookToken(t.db, "wa", issued.token, 60_000);
    await retireChannel(t.db, channel.id, new Date());
    expect(await codeOf(lookupWebhookToken(t.db, "wa", issued.token, 60_000))).toBe("invalid_token");
  });

  it("a channel blocked through this instance is seen blocked here at once", async () => {
    const { channel, issued } = await newToken();
    expect((await lookupWebhookToken(t.db, "wa", issued.token, 60_000)).channel.state).not.toBe("banned");
    // the provider's webhook reports the ban (the path every channel-state event takes)
    await recordProviderEvents(here, channel, [{ type: "channel_state", eventId: "ban-1", state: "banned", at: new Date() }]);
    expect((await lookupWebhookToken(t.db, "wa", issued.token, 60_000)).channel.state).toBe("banned");
  });
});
