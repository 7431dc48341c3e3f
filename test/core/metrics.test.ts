import { describe, expect, it } from "vitest";
import { escapeLabelValue, MemoryMetrics, metricsOf, noopMetrics, renderExposition } from "../../app/core/metrics.js";

describe("metrics registry", () => {
  it("counts by label set and renders HELP and TYPE once per family", () => {
    const m = new MemoryMetrics();
    m.inc("chatbridge_jobs_total", { kind: "message.send", outcome: "done" });
    m.inc("chatbridge_jobs_total", { kind: "message.send", outcome: "done" }, 2);
    m.inc("chatbridge_jobs_total", { kind: "message.send", outcome: "retry" });
    expect(m.value("chatbridge_jobs_total", { kind: "message.send", outcome: "done" })).toBe(3);
    const text = m.render();
    expect(text.match(/# HELP chatbridge_jobs_total /g)).toHaveLength(1);
    expect(text).toContain("# TYPE chatbridge_jobs_total counter\n");
    expect(text).toContain('chatbridge_jobs_total{kind="message.send",outcome="done"} 3\n');
    expect(text).toContain('chatbridge_jobs_total{kind="message.send",outcome="retry"} 1\n');
    // families never touched are left out, so two registries can be rendered one after the other
    expect(text).not.toContain("chatbridge_http_requests_total");
  });

  it("renders histograms with cumulative buckets, +Inf, sum and count", () => {
    const m = new MemoryMetrics();
    for (const s of [0.003, 0.02, 0.02, 3, 60]) m.observe("chatbridge_http_request_duration_seconds", { route: "/health", method: "GET" }, s);
    const text = m.render();
    expect(text).toContain("# TYPE chatbridge_http_request_duration_seconds histogram\n");
    const bucket = (le: string) => new RegExp(`chatbridge_http_request_duration_seconds_bucket\\{route="/health",method="GET",le="${le.replace("+", "\\+")}"\\} (\\d+)`).exec(text)?.[1];
    expect(bucket("0.005")).toBe("1");
    expect(bucket("0.025")).toBe("3");
    expect(bucket("2.5")).toBe("3");
    expect(bucket("5")).toBe("4");
    expect(bucket("10")).toBe("4");
    expect(bucket("+Inf")).toBe("5");
    expect(text).toContain('chatbridge_http_request_duration_seconds_count{route="/health",method="GET"} 5\n');
    expect(text).toMatch(/chatbridge_http_request_duration_seconds_sum\{route="\/health",method="GET"\} 63\.04\d*\n/);
  });

  it("gauges take the last value; label-less series have no braces", () => {
    const m = new MemoryMetrics();
    m.set("chatbridge_outbox_pending", {}, 4);
    m.set("chatbridge_outbox_pending", {}, 2);
    expect(m.render()).toContain("# TYPE chatbridge_outbox_pending gauge\nchatbridge_outbox_pending 2\n");
  });

  it("escapes backslashes, quotes and newlines in label values", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const m = new MemoryMetrics();
    m.set("chatbridge_channels", { provider: 'we"ird', state: "line\nbreak\\" }, 1);
    expect(m.render()).toContain('chatbridge_channels{provider="we\\"ird",state="line\\nbreak\\\\"} 1\n');
  });

  it("renders special numbers as Prometheus spells them", () => {
    const text = renderExposition([
      { name: "x", type: "gauge", help: "multi\nline \\ help", series: [{ labels: [["a", "1"]], value: Infinity }, { labels: [["a", "2"]], value: Number.NaN }] },
    ]);
    expect(text).toBe('# HELP x multi\\nline \\\\ help\n# TYPE x gauge\nx{a="1"} +Inf\nx{a="2"} NaN\n');
  });

  it("caps the series of one metric, so a label fed raw values cannot eat memory", () => {
    const m = new MemoryMetrics();
    for (let i = 0; i < 2500; i++) m.inc("chatbridge_jobs_total", { kind: `k${i}`, outcome: "done" });
    expect(m.render().match(/^chatbridge_jobs_total\{/gm)).toHaveLength(2000);
  });

  it("a counter never goes down", () => {
    const m = new MemoryMetrics();
    m.inc("chatbridge_crm_throttled_total", { crm: "amocrm" }, 2);
    m.inc("chatbridge_crm_throttled_total", { crm: "amocrm" }, -5);
    expect(m.value("chatbridge_crm_throttled_total", { crm: "amocrm" })).toBe(2);
  });

  it("deps without a registry get the no-op one", () => {
    expect(metricsOf({})).toBe(noopMetrics);
    expect(() => noopMetrics.inc("chatbridge_jobs_total", { kind: "x", outcome: "done" })).not.toThrow();
  });
});
