import type { AppDeps } from "../../deps.js";

/** What the amoCRM side uses: no waker (jobs it writes are picked up by the pump / queue). */
export type AmoCrmDeps = Pick<AppDeps, "db" | "keyring" | "config" | "fetch" | "clock" | "logger" | "files" | "metrics">;
