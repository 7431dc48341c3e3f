import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../app/core/clock.js";
import { MemoryMetrics } from "../../../app/core/metrics.js";
import { enqueueJob } from "../../../app/core/outbox/enqueue.js";
import { channels, outboxJobs } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { seedChannel } from "../../support/channels.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";
import { testConfig, testDeps } from "../../support/deps.js";

const TOKEN = "scrape-token-0123456789abcdef";

describe.each(await backends())("GET /metrics on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  let metrics: MemoryMetrics;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.execute(sql`truncate outbox_jobs, portals cascade`);
    metrics = new MemoryMetrics();
    deps = { ...(await testDeps(t.db, { clock, config: testConfig({ METRICS_TOKEN: TOKEN }) })), metrics };
  });
  const scrape = (app = createApp(deps), auth = `Bearer ${TOKEN}`) =>
    app.request("/metrics", auth ? { headers: { authorization: auth } } : {});

  it("happy: Prometheus text with request counters by route pattern and the database gauges", async () => {
    const app = createApp(deps);
    const { channel } = await seedChannel(deps, "wappi", { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE });
    await t.db.update(channels).set({ state: "connected" }).where(eq(channels.id, channel.id));
    await seedChannel(deps, "wappi", { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE });
    const now = clock.now();
    await enqueueJob(t.db, { kind: "test.due", payload: {}, maxAttempts: 3, runAt: new Date(now.getTime() - 90_000) }, now);
    await enqueueJob(t.db, { kind: "test.later", payload: {}, maxAttempts: 3, runAt: new Date(now.getTime() + 60_000) }, now);
    const { job: dead } = await enqueueJob(t.db, { kind: "test.dead", payload: {}, maxAttempts: 3 }, now);
    await t.db.update(outboxJobs).set({ status: "dead" }).where(eq(outboxJobs.id, dead.id));
    const secretPath = "/rest/webhook/wa/AAAAsecretTokenLooking0123456789/sendText";
    await app.request(secretPath);
    await app.request("/health/live");

    const res = await scrape(app);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await res.text();
    expect(text).toContain('chatbridge_http_requests_total{route="/health/live",method="GET",status="200"} 1\n');
    expect(text).toMatch(/chatbridge_http_requests_total\{route="\/rest\/webhook\/:kind\/:token\/sendText",method="GET",status="\d+"\} 1\n/);
    expect(text).toContain('chatbridge_http_request_duration_seconds_count{route="/health/live",method="GET"} 1\n');
    expect(text).not.toContain("AAAAsecretTokenLooking");
    expect(text).toContain("chatbridge_outbox_pending 2\n");
    expect(text).toContain("chatbridge_outbox_dead 1\n");
    expect(text).toContain("chatbridge_outbox_running 0\n");
    expect(text).toContain("chatbridge_outbox_oldest_due_seconds 90\n");
    expect(text).toContain('chatbridge_channels{provider="wappi",state="connected"} 1\n');
    expect(text).toContain('chatbridge_channels{provider="wappi",state="unknown"} 1\n');
    expect(text.match(/^# TYPE (\S+)/gm)!.length).toBe(new Set(text.match(/^# TYPE (\S+)/gm)).size);
  });

  it("happy: without a registry (Workers) it still answers the database gauges", async () => {
    const { metrics: _dropped, ...withoutRegistry } = deps;
    const res = await scrape(createApp(withoutRegistry));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("chatbridge_outbox_pending 0\n");
    expect(text).not.toContain("chatbridge_http_requests_total");
  });

  it("error: a path no route matches is counted as unmatched, not by its path", async () => {
    const app = createApp(deps);
    await app.request("/no/such/path/with-a-secret-like-segment-0123456789");
    const text = await (await scrape(app)).text();
    expect(text).toContain('chatbridge_http_requests_total{route="unmatched",method="GET",status="404"} 1\n');
    expect(text).not.toContain("secret-like");
  });

  it("security: a missing or wrong bearer gets 401 JSON", async () => {
    for (const auth of ["", "Bearer wrong", `Bearer ${TOKEN}x`, TOKEN, `Basic ${btoa(`u:${TOKEN}`)}`]) {
      const res = await scrape(createApp(deps), auth);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ ok: false, error: "unauthorized" });
    }
  });

  it("security: with METRICS_TOKEN unset the route is off the public surface (404)", async () => {
    const off = { ...deps, config: testConfig() };
    const res = await scrape(createApp(off));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ ok: false, error: "not_found" });
  });
});
