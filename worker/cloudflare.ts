import type { ExecutionContext, Hyperdrive, MessageBatch, Queue, R2Bucket, ScheduledController } from "@cloudflare/workers-types";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { z } from "zod";
import { type Config, ConfigError, configWarnings, loadConfig } from "../app/config.js";
import { systemClock } from "../app/core/clock.js";
import { createLogger, type Logger } from "../app/core/logger.js";
import { scheduleMaintenance } from "../app/core/maintenance.js";
import { processDue } from "../app/core/outbox/pump.js";
import { createKeyring } from "../app/core/secrets.js";
import { type Db, schema } from "../app/db/index.js";
import { createApp } from "../app/index.js";
import { buildRegistry, type JobDeps } from "../app/jobs.js";
import { consumeJobBatch, dispatchWokenJobs, EagerWaker, type JobMessage } from "./cloudflare-jobs.js";
import { workersMetrics } from "./cloudflare-metrics.js";
import { R2FileStore } from "./r2-file-store.js";
import { installAsyncRequestScope } from "./request-scope-als.js";

/** The bindings of wrangler.toml; every other env entry is a string config variable. */
export interface WorkerEnv {
  HYPERDRIVE?: Hyperdrive;
  JOBS: Queue<JobMessage>;
  FILES: R2Bucket;
  /** optional Analytics Engine dataset for counters (cloudflare-metrics.ts); without it they go to the logs */
  METRICS_DATASET?: unknown;
  [variable: string]: unknown;
}

const hasMethod = (name: string) => (v: unknown) =>
  typeof v === "object" && v !== null && typeof (v as Record<string, unknown>)[name] === "function";

const bindingsSchema = z.object({
  HYPERDRIVE: z.object({ connectionString: z.string().min(1) }).optional(),
  JOBS: z.custom<Queue<JobMessage>>(hasMethod("sendBatch"), { error: "JOBS: a Queue producer binding is required" }),
  FILES: z.custom<R2Bucket>(hasMethod("get"), { error: "FILES: an R2 bucket binding is required" }),
});

/** What lives as long as the isolate: parsed config, imported keys, bindings. */
interface Isolate {
  config: Config;
  base: Omit<JobDeps, "db">;
  jobs: Queue<JobMessage>;
}

// Workers hand the same env object to every request of an isolate; config is parsed and keys
// are imported once per isolate, not per request.
const isolates = new WeakMap<object, Promise<Isolate>>();

async function setUp(env: WorkerEnv): Promise<Isolate> {
  const bindings = bindingsSchema.safeParse(env);
  if (!bindings.success) throw new ConfigError(bindings.error.issues.map((i) => i.message));
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") strings[name] = value;
  // Hyperdrive, when bound, is the way to the database; DATABASE_URL serves local runs and tests.
  if (bindings.data.HYPERDRIVE) strings.DATABASE_URL = bindings.data.HYPERDRIVE.connectionString;
  const config = loadConfig(strings, "workers");
  const logger = createLogger(config.LOG_LEVEL);
  for (const warning of configWarnings(config)) logger.warn(warning);
  installAsyncRequestScope();
  return {
    config,
    jobs: bindings.data.JOBS,
    base: {
      config,
      fetch: globalThis.fetch.bind(globalThis),
      clock: systemClock,
      keyring: await createKeyring(config.ENCRYPTION_KEY),
      logger,
      files: new R2FileStore(bindings.data.FILES),
      metrics: workersMetrics(env.METRICS_DATASET),
    },
  };
}

function isolateFor(env: WorkerEnv): Promise<Isolate> {
  let isolate = isolates.get(env);
  if (!isolate) {
    isolate = setUp(env);
    // A failed set-up is not cached: a fixed secret or binding takes effect without a redeploy.
    isolate.catch(() => isolates.delete(env));
    isolates.set(env, isolate);
  }
  return isolate;
}

/**
 * One connection per invocation: Workers cannot keep sockets across requests, and Hyperdrive
 * does the pooling. fetch_types is off because the type lookup costs a round trip per client.
 */
function openDb(config: Config): { db: Db; close(): Promise<void> } {
  const client = postgres(config.DATABASE_URL!, { max: 1, fetch_types: false, onnotice: () => {}, connect_timeout: 3 });
  return { db: drizzle({ client, schema }), close: () => client.end({ timeout: 5 }) };
}

function jobRunner(isolate: Isolate, db: Db): () => Promise<number> {
  const { config, base } = isolate;
  return () =>
    processDue({
      db,
      registry: buildRegistry({ ...base, db }),
      clock: base.clock,
      logger: base.logger,
      metrics: base.metrics,
      batch: config.OUTBOX_BATCH,
      concurrency: config.OUTBOX_CONCURRENCY,
      leaseMs: config.OUTBOX_LEASE_MS,
    });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function misconfigured(err: unknown, logger: Pick<Logger, "error">): Response {
  logger.error("chatbridge is not configured", { error: describe(err) });
  const body = { ok: false, error: "unavailable", message: "The service is not configured" };
  return Response.json(body, { status: 503 });
}

/** Logs before config is known (a bad config is why it is needed); the sink is looked up per line. */
const fallbackLogger = createLogger("error", (line) => console.error(line));

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let isolate: Isolate;
    try {
      isolate = await isolateFor(env);
    } catch (err) {
      return misconfigured(err, fallbackLogger);
    }
    const { db, close } = openDb(isolate.config);
    const waker = new EagerWaker((ids) =>
      dispatchWokenJobs(ids, isolate.jobs, jobRunner(isolate, db), isolate.base.logger).catch((err: unknown) =>
        isolate.base.logger.error("job dispatch failed", { error: describe(err) }),
      ),
    );
    // Jobs enqueued by this request start at once and may outlive the answer; the connection closes last.
    try {
      return await createApp({ ...isolate.base, db, queue: waker }).fetch(request);
    } finally {
      ctx.waitUntil(waker.settled().finally(close));
    }
  },

  async queue(batch: MessageBatch<unknown>, env: WorkerEnv): Promise<void> {
    const isolate = await isolateFor(env);
    const { db, close } = openDb(isolate.config);
    try {
      await consumeJobBatch(batch, db, jobRunner(isolate, db), () => isolate.base.clock.now(), isolate.base.logger);
    } finally {
      await close();
    }
  },

  /** Every minute: enqueue this hour's maintenance, then run everything due or lease-expired. */
  async scheduled(controller: ScheduledController, env: WorkerEnv): Promise<void> {
    const isolate = await isolateFor(env);
    const { db, close } = openDb(isolate.config);
    try {
      await scheduleMaintenance(db, new Date(controller.scheduledTime));
      const ran = await jobRunner(isolate, db)();
      isolate.base.logger.debug("cron sweep done", { cron: controller.cron, jobs: ran });
    } finally {
      await close();
    }
  },
};
