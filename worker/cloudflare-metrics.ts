import type { AnalyticsEngineDataset } from "@cloudflare/workers-types";
import { type CounterName, type GaugeName, type HistogramName, type LabelsOf, METRICS, type MetricName, type Metrics } from "../app/core/metrics.js";

/**
 * Counters on Workers. An isolate serves a slice of the traffic for an unknown time, so its own
 * in-memory counters would be meaningless to scrape. Each event is written out instead:
 * - to Workers Analytics Engine when the METRICS_DATASET binding is present: one data point per
 *   event, blob1 = metric name, blob2.. = label values in catalog order, double1 = value
 *   (1 for a count, seconds for a latency); sum and group in SQL (README "Metrics");
 * - else as a JSON log line `{"metric":…,"labels":{…},"value":…}` that Workers Logs / Logpush keep.
 * Gauges are not written: /metrics reads them from the database at scrape time on every runtime.
 */
type Emit = (name: MetricName, labels: Record<string, string | number>, value: number) => void;

function eventMetrics(emit: Emit): Metrics {
  return {
    inc<N extends CounterName>(name: N, labels: LabelsOf<N>, by = 1) {
      emit(name, labels, by);
    },
    set<N extends GaugeName>(_name: N, _labels: LabelsOf<N>, _value: number) {},
    observe<N extends HistogramName>(name: N, labels: LabelsOf<N>, value: number) {
      emit(name, labels, value);
    },
  };
}

const labelValues = (name: MetricName, labels: Record<string, string | number>): string[] =>
  METRICS[name].labels.map((l: string) => String(labels[l] ?? ""));

export function analyticsEngineMetrics(dataset: AnalyticsEngineDataset): Metrics {
  return eventMetrics((name, labels, value) => {
    try {
      dataset.writeDataPoint({ indexes: [name], blobs: [name, ...labelValues(name, labels)], doubles: [value] });
    } catch {
      // a full or unavailable dataset must not fail the request or job that counted
    }
  });
}

export function logLineMetrics(sink: (line: string) => void = console.log): Metrics {
  return eventMetrics((name, labels, value) => sink(JSON.stringify({ metric: name, labels, value })));
}

/** The binding, if wrangler.toml declares `[[analytics_engine_datasets]] binding = "METRICS_DATASET"`. */
export function workersMetrics(binding: unknown): Metrics {
  const isDataset = typeof binding === "object" && binding !== null && typeof (binding as Record<string, unknown>).writeDataPoint === "function";
  return isDataset ? analyticsEngineMetrics(binding as AnalyticsEngineDataset) : logLineMetrics();
}
