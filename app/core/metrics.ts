/**
 * Counters, gauges and histograms with labels, and their Prometheus text exposition.
 *
 * Not prom-client: it is Node-only (it imports perf_hooks, cluster, v8 for its default
 * metrics) and app/ runs on Workers too. What we need is a few dozen lines: a fixed catalog
 * of series, an in-memory store for the Node process, and sinks for Workers
 * (worker/cloudflare-metrics.ts), where an isolate's own counters mean nothing.
 */

type MetricType = "counter" | "gauge" | "histogram";
interface MetricDef {
  type: MetricType;
  help: string;
  labels: readonly string[];
}

/** Every series chatbridge exports; label names are fixed here so a typo fails to compile. */
export const METRICS = {
  chatbridge_http_requests_total: {
    type: "counter",
    help: "HTTP requests answered, by matched route pattern (never the raw path: paths carry secrets).",
    labels: ["route", "method", "status"],
  },
  chatbridge_http_request_duration_seconds: {
    type: "histogram",
    help: "Time to answer an HTTP request, by matched route pattern.",
    labels: ["route", "method"],
  },
  chatbridge_jobs_total: { type: "counter", help: "Outbox jobs run, by kind and outcome (done, retry, dead, lost).", labels: ["kind", "outcome"] },
  chatbridge_provider_calls_total: {
    type: "counter",
    help: "Messages handed to a provider, by outcome (ok, retry, failed) and error code.",
    labels: ["provider", "outcome", "code"],
  },
  chatbridge_crm_calls_total: { type: "counter", help: "CRM API calls (Bitrix24 REST, amoCRM API v4, amojo), by outcome.", labels: ["crm", "outcome"] },
  chatbridge_crm_throttled_total: {
    type: "counter",
    help: "CRM answers that said slow down (Bitrix24 QUERY_LIMIT_EXCEEDED or 503, amoCRM/amojo 429).",
    labels: ["crm"],
  },
  chatbridge_token_refresh_failures_total: { type: "counter", help: "CRM OAuth token refreshes that failed.", labels: ["crm"] },
  chatbridge_outbox_pending: { type: "gauge", help: "Outbox jobs waiting (due now or later).", labels: [] },
  chatbridge_outbox_oldest_due_seconds: { type: "gauge", help: "How long the oldest due pending job has waited past its run time.", labels: [] },
  chatbridge_outbox_running: { type: "gauge", help: "Outbox jobs claimed and running.", labels: [] },
  chatbridge_outbox_dead: { type: "gauge", help: "Dead-lettered outbox jobs waiting for an admin.", labels: [] },
  chatbridge_channels: { type: "gauge", help: "Channels by provider and state.", labels: ["provider", "state"] },
} as const satisfies Record<string, MetricDef>;

type Catalog = typeof METRICS;
export type MetricName = keyof Catalog;
type NamesOfType<T extends MetricType> = { [N in MetricName]: Catalog[N]["type"] extends T ? N : never }[MetricName];
export type CounterName = NamesOfType<"counter">;
export type GaugeName = NamesOfType<"gauge">;
export type HistogramName = NamesOfType<"histogram">;
export type LabelsOf<N extends MetricName> = { [L in Catalog[N]["labels"][number]]: string | number };

/** Seconds; request latencies from a fast health check to a slow provider call. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface Metrics {
  inc<N extends CounterName>(name: N, labels: LabelsOf<N>, by?: number): void;
  set<N extends GaugeName>(name: N, labels: LabelsOf<N>, value: number): void;
  observe<N extends HistogramName>(name: N, labels: LabelsOf<N>, value: number): void;
  /** the text exposition, for registries that hold their series (not the Workers sinks) */
  render?(): string;
}

export const noopMetrics: Metrics = { inc: () => {}, set: () => {}, observe: () => {} };

/** deps.metrics, or the no-op registry when a runtime or test did not give one. */
export function metricsOf(deps: { metrics?: Metrics | undefined }): Metrics {
  return deps.metrics ?? noopMetrics;
}

/** A bug putting raw values (ids, paths) in a label must not eat the process's memory. */
const MAX_SERIES_PER_METRIC = 2000;

interface Series {
  labels: Array<[string, string]>;
  value: number;
  /** histograms: per-bucket counts (not cumulative) and the sum */
  buckets?: number[];
  sum?: number;
}

/** The Node process's registry: series live as long as the process, as Prometheus expects. */
export class MemoryMetrics implements Metrics {
  private readonly families = new Map<MetricName, Map<string, Series>>();

  inc<N extends CounterName>(name: N, labels: LabelsOf<N>, by = 1): void {
    const s = this.series(name, labels);
    if (s && by >= 0) s.value += by;
  }

  set<N extends GaugeName>(name: N, labels: LabelsOf<N>, value: number): void {
    const s = this.series(name, labels);
    if (s) s.value = value;
  }

  observe<N extends HistogramName>(name: N, labels: LabelsOf<N>, value: number): void {
    const s = this.series(name, labels);
    if (!s) return;
    s.buckets ??= DURATION_BUCKETS.map(() => 0);
    const i = DURATION_BUCKETS.findIndex((le) => value <= le);
    if (i >= 0) s.buckets[i]! += 1;
    s.value += 1;
    s.sum = (s.sum ?? 0) + value;
  }

  /** The current value of one series (tests and the health page). */
  value<N extends CounterName | GaugeName>(name: N, labels: LabelsOf<N>): number | undefined {
    return this.families.get(name)?.get(seriesKey(METRICS[name].labels, labels))?.value;
  }

  render(): string {
    const families: Family[] = [];
    for (const name of Object.keys(METRICS) as MetricName[]) {
      const series = this.families.get(name);
      if (series && series.size > 0) families.push({ name, ...METRICS[name], series: [...series.values()] });
    }
    return renderExposition(families);
  }

  private series(name: MetricName, labels: Record<string, string | number>): Series | undefined {
    const def: MetricDef = METRICS[name];
    let family = this.families.get(name);
    if (!family) {
      family = new Map();
      this.families.set(name, family);
    }
    const key = seriesKey(def.labels, labels);
    let s = family.get(key);
    if (!s) {
      if (family.size >= MAX_SERIES_PER_METRIC) return undefined;
      s = { labels: def.labels.map((l) => [l, String(labels[l] ?? "")]), value: 0 };
      family.set(key, s);
    }
    return s;
  }
}

function seriesKey(names: readonly string[], labels: Record<string, string | number>): string {
  return JSON.stringify(names.map((l) => String(labels[l] ?? "")));
}

export interface Family {
  name: string;
  type: MetricType;
  help: string;
  series: Series[];
}

/** Text format 0.0.4: `\`, `"` and newlines escaped in label values; `\` and newlines in HELP. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function labelText(labels: Array<[string, string]>): string {
  return labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

export function renderExposition(families: Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.series) {
      if (f.type !== "histogram") {
        lines.push(`${f.name}${labelText(s.labels)} ${formatNumber(s.value)}`);
        continue;
      }
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += s.buckets?.[i] ?? 0;
        lines.push(`${f.name}_bucket${labelText([...s.labels, ["le", String(le)]])} ${cumulative}`);
      });
      lines.push(`${f.name}_bucket${labelText([...s.labels, ["le", "+Inf"]])} ${s.value}`);
      lines.push(`${f.name}_sum${labelText(s.labels)} ${formatNumber(s.sum ?? 0)}`);
      lines.push(`${f.name}_count${labelText(s.labels)} ${s.value}`);
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
