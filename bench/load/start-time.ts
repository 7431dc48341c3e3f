import { freePort, type StartCommand, spawnServer, untilHealthy } from "./server.js";

export interface StartTimes {
  /** the first start (creates and migrates): not counted */
  firstMs: number;
  samplesMs: number[];
}

/**
 * Start -> first 200 from GET /health on an existing data folder or database: one start to
 * create and migrate, stopped, then `runs` timed starts, each stopped before the next.
 */
export async function timeStarts(command: StartCommand, env: Record<string, string>, runs: number): Promise<StartTimes> {
  // generous: on a machine busy with other work a first PGlite start (create + migrate) takes a minute
  const once = async (timeoutMs: number) => {
    const port = await freePort();
    const since = performance.now();
    const server = spawnServer(command, port, { SHUTDOWN_DEADLINE_MS: "2000", ...env });
    try {
      return await untilHealthy(server, since, timeoutMs);
    } finally {
      await server.stop();
    }
  };
  const firstMs = await once(300_000);
  const samplesMs: number[] = [];
  for (let i = 0; i < runs; i++) samplesMs.push(await once(120_000));
  return { firstMs, samplesMs };
}
