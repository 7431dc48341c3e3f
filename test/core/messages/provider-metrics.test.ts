import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel } from "../../../app/core/channels.js";
import { MemoryMetrics } from "../../../app/core/metrics.js";
import { createWebhookToken } from "../../../app/core/webhook-tokens.js";
import { channels } from "../../../app/db/schema.js";
import { WebhookHarness } from "../../api/webhook/harness.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";

describe("chatbridge_provider_calls_total", () => {
  const h = new WebhookHarness("pglite");
  const metrics = new MemoryMetrics();
  beforeAll(async () => {
    await h.start();
    h.deps.metrics = metrics;
  });
  afterAll(() => h.close());

  it("counts each hand-over to a provider with its outcome and error code", async () => {
    const good = await h.channel();
    expect((await h.get(`${good.base}/sendText`, { phone_number: "79991234567", body: "hi" })).status).toBe(200);
    const { channel } = await createChannel(h.deps.db, h.deps.keyring, {
      portalId: null,
      provider: "wappi",
      name: "down",
      messenger: "whatsapp",
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, messenger: "whatsapp", apiUrl: "http://127.0.0.1:9" },
    });
    const [down] = await h.deps.db.update(channels).set({ paceMinMs: 0, paceJitterMs: 0, state: "connected" }).where(eq(channels.id, channel.id)).returning();
    const token = await createWebhookToken(h.deps, down!);
    expect((await h.get(`/rest/webhook/${token.kind}/${token.token}/sendText`, { phone_number: "79991234567", body: "hi" })).status).toBe(200);
    await h.runOutbox();
    expect(metrics.value("chatbridge_provider_calls_total", { provider: "wappi", outcome: "ok", code: "" })).toBe(1);
    expect(metrics.value("chatbridge_provider_calls_total", { provider: "wappi", outcome: "retry", code: "network" })).toBe(1);
  });
});
