import type { Config } from "./config.js";
import type { Clock } from "./core/clock.js";
import type { FileStore } from "./core/file-store.js";
import type { Logger } from "./core/logger.js";
import type { Metrics } from "./core/metrics.js";
import type { JobWaker } from "./core/outbox/types.js";
import type { Keyring } from "./core/secrets.js";
import type { Db } from "./db/index.js";

/** Everything the app needs from its runtime; worker/node.ts and worker/cloudflare.ts build it. */
export interface AppDeps {
  db: Db;
  config: Config;
  /** outbound HTTP (providers, CRMs); injected so tests and Workers choose */
  fetch: typeof fetch;
  clock: Clock;
  /** wakes job processing after an enqueue commits */
  queue: JobWaker;
  keyring: Keyring;
  logger: Logger;
  /** bytes of re-hosted media (R2 on Workers, DATA_DIR/files on Node) */
  files: FileStore;
  /** counters and histograms (Node: in memory, scraped at /metrics; Workers: Analytics Engine or log lines); absent = none */
  metrics?: Metrics;
  /** when the resident job pump (Node) last ran a tick; absent where there is none (Workers), for /health/ready */
  pumpHeartbeat?: () => Date | undefined;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
  };
}
