/**
 * Telling "the database is unreachable" apart from every other error, so callers answer 503
 * `database_unavailable` (and providers retry their webhooks) instead of 500, and so writes
 * that must not be lost wait for the database instead of giving up.
 *
 * Both drivers are covered: postgres.js names its connection failures in `code`
 * (ECONNREFUSED, CONNECT_TIMEOUT, CONNECTION_CLOSED…), the server names its own in the
 * SQLSTATE (class 08 connection exception, 57P01–57P03 shutting down / cannot connect now,
 * 53100 disk full, 58030 I/O error), and PGlite fails with the file system's errno (ENOSPC,
 * EIO) when its data folder cannot be written. node-pg (the Node driver) reports a dropped
 * or refused connection with fixed messages and no code, so those are matched by text.
 * Drizzle wraps driver errors in `cause`.
 */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "ENOSPC",
  "EIO",
  "EROFS",
]);
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53100", "53300", "58030"]);
/** node-pg and pg-pool's messages for a connection that dropped, never came up, or is unusable */
const PG_CONNECTION_MESSAGES = [
  "Connection terminated unexpectedly",
  "Connection terminated due to connection timeout",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error and is not queryable",
  "Query read timeout",
];

function codeOf(err: object): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const code = codeOf(current);
    if (code && (NETWORK_CODES.has(code) || SQLSTATES.has(code) || code.startsWith("08"))) return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === "string" && PG_CONNECTION_MESSAGES.some((m) => message.startsWith(m))) return true;
    // an errors array (AggregateError from a multi-address connect) counts if any member does
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a write that records something already done outside (a provider took the message):
 * while the database is away it is tried again, 250 ms apart growing to 2 s, until `deadline`
 * (the job's lease, after which another process may take the job). Losing such a write means
 * sending the message twice, so waiting a few seconds for the database is the better deal.
 * Any other error is thrown at once.
 */
export async function retryWhileDatabaseAway<T>(write: () => Promise<T>, deadline: number, now: () => number = Date.now): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const wait = Math.min(2_000, 250 * attempt);
      if (!isDatabaseUnavailable(err) || now() + wait >= deadline) throw err;
      await sleep(wait);
    }
  }
}
