/** One line of the closing table. */
export interface Figure {
  figure: string;
  value: string;
  /** the value over the raw baseline's matching figure, e.g. "0.04x"; "" when a ratio means nothing */
  ratio: string;
  target: string;
}

export const fmt = {
  rate: (v: number) => (Number.isFinite(v) ? `${Math.round(v).toLocaleString("en-US")}/s` : "n/a"),
  ms: (v: number) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : "n/a"),
  ratio: (v: number, base: number) => (Number.isFinite(v) && base > 0 ? `${(v / base).toFixed(2)}x` : ""),
  mib: (v: number) => `${Math.round(v)} MiB`,
};

/** A plain fixed-width table (console.table adds an index column and quotes). */
export function printTable(rows: readonly Figure[]): void {
  const head: Figure = { figure: "figure", value: "value", ratio: "vs raw", target: "target" };
  const cols = ["figure", "value", "ratio", "target"] as const;
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...[head, ...rows].map((r) => r[c].length))])) as Record<(typeof cols)[number], number>;
  const line = (r: Figure) =>
    `${r.figure.padEnd(width.figure)}  ${r.value.padStart(width.value)}  ${r.ratio.padStart(width.ratio)}  ${r.target}`.trimEnd();
  console.log(line(head));
  console.log(cols.map((c) => "-".repeat(width[c])).join("  "));
  for (const row of rows) console.log(line(row));
}
