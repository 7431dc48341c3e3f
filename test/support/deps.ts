import { type Config, loadConfig } from "../../app/config.js";
import { type Clock, systemClock } from "../../app/core/clock.js";
import { silentLogger } from "../../app/core/logger.js";
import { MemoryFileStore } from "../../app/core/memory-file-store.js";
import { noopWaker } from "../../app/core/outbox/types.js";
import { createKeyring } from "../../app/core/secrets.js";
import type { Db } from "../../app/db/index.js";
import type { AppDeps } from "../../app/deps.js";

/** A fixed key so encrypted fixtures stay readable across runs (32 zero-based bytes, base64url). */
export const TEST_ENCRYPTION_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(
    { ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, OUTBOUND_ALLOW_LOOPBACK: "true", LOG_LEVEL: "silent", ...overrides },
    "node",
  );
}

/** AppDeps over a test database with loopback allowed, a silent logger and the given clock. */
export async function testDeps(db: Db, opts: { clock?: Clock; config?: Config; fetch?: typeof fetch } = {}): Promise<AppDeps> {
  const config = opts.config ?? testConfig();
  return {
    db,
    config,
    fetch: opts.fetch ?? globalThis.fetch.bind(globalThis),
    clock: opts.clock ?? systemClock,
    queue: noopWaker,
    keyring: await createKeyring(config.ENCRYPTION_KEY),
    logger: silentLogger,
    files: new MemoryFileStore(),
  };
}
