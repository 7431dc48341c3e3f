import { z } from "zod";

/** The load bench's knobs, all from the environment (bench/load.ts header lists them). */
const optionsSchema = z.object({
  /** length of each timed step; 3 is enough to see the bench work, 10 is what the issue quotes */
  BENCH_SECONDS: z.coerce.number().min(1).max(600).default(10),
  /** channels (each with a webhook token); unset: 300, or more when 0.5x raw would hit the per-token limit */
  BENCH_CHANNELS: z.coerce.number().int().min(10).max(20_000).optional(),
  /** sends queued at once for the outbox drain step */
  BENCH_DRAIN_JOBS: z.coerce.number().int().min(100).max(100_000).default(3000),
  /** timed starts per backend for start -> /health */
  BENCH_STARTS: z.coerce.number().int().min(1).max(50).default(5),
  /** a PostgreSQL database the bench may connect to in order to create and drop its own */
  BENCH_PG_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//)
    .default("postgres://postgres@127.0.0.1:5432/postgres"),
  /** the server's LOG_LEVEL: info, as an operator runs it */
  BENCH_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** only the timed steps whose names contain one of these words (comma-separated: "end to end,drain"); the warm-up always runs */
  BENCH_STEPS: z
    .string()
    .transform((v) => v.split(",").map((w) => w.trim().toLowerCase()).filter(Boolean))
    .optional(),
  /**
   * node flags for the server process, before its script, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
   * to profile it under load (Node refuses --cpu-prof in NODE_OPTIONS); only when npm start runs node
   */
  BENCH_SERVER_NODE_ARGS: z
    .string()
    .transform((v) => v.split(/\s+/).filter(Boolean))
    .optional(),
});

export type BenchOptions = z.output<typeof optionsSchema>;

export function readOptions(env: Record<string, string | undefined> = process.env): BenchOptions {
  const input = Object.fromEntries(Object.keys(optionsSchema.shape).flatMap((k) => (env[k]?.trim() ? [[k, env[k]!.trim()]] : [])));
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`load bench: bad environment: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}
