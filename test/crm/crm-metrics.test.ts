import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryMetrics } from "../../app/core/metrics.js";
import { Bitrix24RetryableError } from "../../app/crm/bitrix24/errors.js";
import { AmoCrmRetryableError } from "../../app/crm/amocrm/errors.js";
import { AmoHarness } from "./amocrm/harness.js";
import { Bitrix24Harness } from "./bitrix24/harness.js";

const echo = z.unknown();

describe("CRM call metrics: Bitrix24 REST", () => {
  const h = new Bitrix24Harness("pglite");
  const metrics = new MemoryMetrics();
  beforeAll(async () => {
    await h.start();
    h.deps.metrics = metrics;
  });
  afterAll(() => h.close());

  it("counts calls by outcome, QUERY_LIMIT_EXCEEDED and 503 as throttled, and failed refreshes", async () => {
    const p = await h.installed();
    await h.client(p.memberId).call("crm.contact.get", { id: 1 }, echo);
    const limited = { status: 503, body: { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" } };
    h.fake.answerNext("crm.lead.list", limited, limited, limited, limited);
    await expect(h.client(p.memberId).call("crm.lead.list", {}, echo)).rejects.toBeInstanceOf(Bitrix24RetryableError);
    expect(metrics.value("chatbridge_crm_calls_total", { crm: "bitrix24", outcome: "ok" })).toBe(1);
    expect(metrics.value("chatbridge_crm_calls_total", { crm: "bitrix24", outcome: "throttled" })).toBe(4);
    expect(metrics.value("chatbridge_crm_throttled_total", { crm: "bitrix24" })).toBe(4);

    h.fake.expire(p.accessToken);
    h.fake.refreshOverride = { status: 400, body: { error: "invalid_grant", error_description: "Invalid grant" } };
    await expect(h.client(p.memberId).call("crm.contact.get", { id: 1 }, echo)).rejects.toBeDefined();
    expect(metrics.value("chatbridge_token_refresh_failures_total", { crm: "bitrix24" })).toBe(1);
  });
});

describe("CRM call metrics: amoCRM API v4", () => {
  const h = new AmoHarness("pglite");
  const metrics = new MemoryMetrics();
  beforeAll(async () => {
    await h.start();
    h.deps.metrics = metrics;
  });
  afterAll(() => h.close());

  it("counts calls and 429 as throttled", async () => {
    const { fake, row } = await h.installed();
    await h.client(row).request("GET", "/api/v4/account", undefined, echo);
    fake.answer429(1, 7);
    await expect(h.client(row).request("GET", "/api/v4/account", undefined, echo)).rejects.toBeInstanceOf(AmoCrmRetryableError);
    expect(metrics.value("chatbridge_crm_calls_total", { crm: "amocrm", outcome: "ok" })).toBe(1);
    expect(metrics.value("chatbridge_crm_calls_total", { crm: "amocrm", outcome: "throttled" })).toBe(1);
    expect(metrics.value("chatbridge_crm_throttled_total", { crm: "amocrm" })).toBe(1);
  });

  it("counts a refused refresh (the integration was switched off) as a token refresh failure", async () => {
    const { fake, row } = await h.installed();
    fake.revokeAll();
    await expect(h.client(row).request("GET", "/api/v4/account", undefined, echo)).rejects.toBeDefined();
    expect(metrics.value("chatbridge_token_refresh_failures_total", { crm: "amocrm" })).toBe(1);
  });
});
