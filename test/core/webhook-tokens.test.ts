import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel } from "../../app/core/channels.js";
import { ManualClock } from "../../app/core/clock.js";
import { AppError } from "../../app/core/errors.js";
import { hashToken } from "../../app/core/tokens.js";
import {
  createWebhookToken,
  lookupWebhookToken,
  regenerateWebhookToken,
  showWebhookToken,
} from "../../app/core/webhook-tokens.js";
import { webhookTokens } from "../../app/db/schema.js";
import type { AppDeps } from "../../app/deps.js";
import { backends, openTestDb, type TestDb } from "../support/db.js";
import { testConfig, testDeps } from "../support/deps.js";

const wappiCredentials = { apiToken: "t", profileId: "p" };

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe.each(await backends())("webhook tokens (%s)", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db, { clock, config: testConfig({ PUBLIC_URL: "https://bridge.example.com/" }) });
  });
  afterAll(() => t?.close());

  const newChannel = async (messenger: "whatsapp" | "telegram" = "whatsapp") =>
    (await createChannel(t.db, deps.keyring, { portalId: null, provider: "wappi", name: "c", messenger, credentials: wappiCredentials })).channel;

  it("creates a 192-bit token stored only as its hash and an encrypted copy, and shows it again", async () => {
    const channel = await newChannel();
    const issued = await createWebhookToken(deps, channel);
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(issued.kind).toBe("wa");
    expect(issued.url).toBe(`https://bridge.example.com/rest/webhook/wa/${issued.token}`);
    const [row] = await t.db.select().from(webhookTokens).where(eq(webhookTokens.id, issued.id));
    expect(row?.tokenHash).toBe(await hashToken(issued.token));
    expect(row?.tokenEnc).not.toContain(issued.token);
    expect(await showWebhookToken(deps, channel)).toEqual(issued);
    expect((await rejection(createWebhookToken(deps, channel))).code).toBe("conflict");
  });

  it("the encrypted copy is bound to its channel", async () => {
    const a = await newChannel();
    const b = await newChannel();
    const issued = await createWebhookToken(deps, a);
    const [row] = await t.db.select().from(webhookTokens).where(eq(webhookTokens.id, issued.id));
    await expect(deps.keyring.decrypt(row!.tokenEnc, `webhook-token:${b.id}`)).rejects.toThrow();
  });

  it("regenerating revokes the old token at once; lookup tells revoked from unknown and checks the kind", async () => {
    const channel = await newChannel("telegram");
    expect(await showWebhookToken(deps, channel)).toBeUndefined();
    const first = await createWebhookToken(deps, channel);
    expect(first.kind).toBe("tg");
    expect((await lookupWebhookToken(t.db, "tg", first.token)).channel.id).toBe(channel.id);
    clock.advance(1000);
    const second = await regenerateWebhookToken(deps, channel);
    expect(second.token).not.toBe(first.token);
    expect((await rejection(lookupWebhookToken(t.db, "tg", first.token))).code).toBe("token_revoked");
    expect((await lookupWebhookToken(t.db, "tg", second.token)).token.id).toBe(second.id);
    expect((await rejection(lookupWebhookToken(t.db, "wa", second.token))).code).toBe("invalid_token");
    expect((await rejection(lookupWebhookToken(t.db, "tg", "x".repeat(32)))).code).toBe("invalid_token");
    expect(await showWebhookToken(deps, channel)).toEqual(second);
    const [revoked] = await t.db.select().from(webhookTokens).where(eq(webhookTokens.id, first.id));
    expect(revoked?.revokedAt?.getTime()).toBe(clock.now().getTime());
  });

  it("concurrent regenerations leave exactly one active token", async () => {
    const channel = await newChannel();
    await Promise.all([regenerateWebhookToken(deps, channel), regenerateWebhookToken(deps, channel), regenerateWebhookToken(deps, channel)]);
    const rows = await t.db.select().from(webhookTokens).where(eq(webhookTokens.channelId, channel.id));
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.revokedAt === null)).toHaveLength(1);
  });
});
