import type { AnalyticsEngineDataPoint } from "@cloudflare/workers-types";
import { describe, expect, it } from "vitest";
import { logLineMetrics, workersMetrics } from "../../worker/cloudflare-metrics.js";

describe("Workers metrics sinks", () => {
  it("writes one Analytics Engine data point per event: name, label values in catalog order, value", () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const metrics = workersMetrics({ writeDataPoint: (p: AnalyticsEngineDataPoint) => points.push(p) });
    metrics.inc("chatbridge_http_requests_total", { status: 200, method: "GET", route: "/health" });
    metrics.observe("chatbridge_http_request_duration_seconds", { route: "/health", method: "GET" }, 0.012);
    metrics.set("chatbridge_outbox_pending", {}, 5);
    expect(points).toEqual([
      { indexes: ["chatbridge_http_requests_total"], blobs: ["chatbridge_http_requests_total", "/health", "GET", "200"], doubles: [1] },
      { indexes: ["chatbridge_http_request_duration_seconds"], blobs: ["chatbridge_http_request_duration_seconds", "/health", "GET"], doubles: [0.012] },
    ]);
  });

  it("a failing dataset does not fail the caller", () => {
    const metrics = workersMetrics({
      writeDataPoint: () => {
        throw new Error("full");
      },
    });
    expect(() => metrics.inc("chatbridge_jobs_total", { kind: "k", outcome: "done" })).not.toThrow();
  });

  it("without the binding, events become {metric} log lines", () => {
    const lines: string[] = [];
    const metrics = logLineMetrics((l) => lines.push(l));
    metrics.inc("chatbridge_crm_throttled_total", { crm: "amocrm" });
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ metric: "chatbridge_crm_throttled_total", labels: { crm: "amocrm" }, value: 1 }]);
    expect(workersMetrics(undefined).render).toBeUndefined();
  });
});
