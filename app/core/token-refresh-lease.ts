import { eq } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { portals } from "../db/schema.js";
import type { Clock } from "./clock.js";
import { singleFlight } from "./single-flight.js";

/** Longer than one OAuth call may take (20 s), so a lease never ends while its holder still waits for the answer. */
const REFRESH_LEASE_MS = 30_000;
const LEASE_POLL_MS = 200;

/** The columns of a `portals` row the lease needs; each CRM's row type has them. */
type LeasedRow = { id: string; refreshLeaseUntil: Date | null };

/**
 * What a CRM plugs into the shared refresh: how to find and lock its row, read the tokens on
 * it, exchange the refresh token, store the new pair, and what a failed refresh means to it.
 */
export interface TokenRefreshSteps<Row extends LeasedRow, Auth extends { accessToken: string }, Fresh> {
  db: Db;
  clock: Clock;
  /** Callers in this process with the same key share one refresh (`bitrix24:<member_id>`, `amocrm:<portal id>`). */
  flightKey: string;
  /** The access token the CRM refused; once the row holds another one, someone already refreshed. */
  staleAccessToken: string;
  /** Selects the row FOR UPDATE inside `tx`; throws the CRM's own error when it is gone. */
  lockRow(tx: Db): Promise<Row>;
  /** Decrypts the row's current tokens. */
  readAuth(row: Row): Promise<Auth>;
  /** The one call to the OAuth server, made outside any transaction. */
  refresh(current: Auth): Promise<Fresh>;
  /** Writes the new pair on the locked row; must clear `refreshLeaseUntil`. */
  store(tx: Db, row: Row, fresh: Fresh, now: Date): Promise<Auth>;
  /** Called once the lease is released after the refresh or the store threw; the error is rethrown afterwards. */
  refreshFailed(err: unknown, failed: { rowId: string; current: Auth }): Promise<void>;
  /** The error when another instance still holds the lease at the deadline. */
  stillRefreshingElsewhere(): Error;
}

type LeaseTurn<Auth> = { kind: "done"; auth: Auth } | { kind: "wait" } | { kind: "refresh"; current: Auth; rowId: string };

/**
 * Gets a new token pair after `staleAccessToken` was refused. Refresh tokens are single-use
 * (reference/bitrix24.md 2.1, reference/amocrm.md 1.4), so callers in this process share one
 * promise, and instances take turns through a short lease on the portal row. Each turn re-reads
 * the row first: if the stored access token is no longer the stale one, another caller already
 * refreshed and its pair is used.
 */
export function refreshTokensUnderLease<Row extends LeasedRow, Auth extends { accessToken: string }, Fresh>(
  steps: TokenRefreshSteps<Row, Auth, Fresh>,
): Promise<Auth> {
  return singleFlight(steps.db, steps.flightKey, () => refreshUnderLease(steps));
}

/**
 * Whoever sets the lease exchanges the refresh token, the others wait and re-read. Only short
 * transactions touch the row; the call to the OAuth server happens outside any, so the embedded
 * database (one connection) is never held while we wait for the network.
 */
async function takeRefreshLease<Row extends LeasedRow, Auth extends { accessToken: string }, Fresh>(
  steps: TokenRefreshSteps<Row, Auth, Fresh>,
): Promise<LeaseTurn<Auth>> {
  const now = steps.clock.now();
  return steps.db.transaction(async (tx): Promise<LeaseTurn<Auth>> => {
    const row = await steps.lockRow(tx);
    const current = await steps.readAuth(row);
    if (current.accessToken !== steps.staleAccessToken) return { kind: "done", auth: current };
    if (row.refreshLeaseUntil && row.refreshLeaseUntil.getTime() > now.getTime()) return { kind: "wait" };
    await tx
      .update(portals)
      .set({ refreshLeaseUntil: new Date(now.getTime() + REFRESH_LEASE_MS) })
      .where(eq(portals.id, row.id));
    return { kind: "refresh", current, rowId: row.id };
  });
}

async function refreshUnderLease<Row extends LeasedRow, Auth extends { accessToken: string }, Fresh>(
  steps: TokenRefreshSteps<Row, Auth, Fresh>,
): Promise<Auth> {
  // wall time, not steps.clock: the wait is real (setTimeout), and a test clock that does not move would never reach the deadline
  const until = Date.now() + REFRESH_LEASE_MS;
  for (;;) {
    const turn = await takeRefreshLease(steps);
    if (turn.kind === "done") return turn.auth;
    if (turn.kind === "wait") {
      if (Date.now() > until) throw steps.stillRefreshingElsewhere();
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
      continue;
    }
    try {
      const fresh = await steps.refresh(turn.current);
      return await steps.db.transaction(async (tx) => {
        const row = await steps.lockRow(tx);
        return steps.store(tx, row, fresh, steps.clock.now());
      });
    } catch (err) {
      await steps.db.update(portals).set({ refreshLeaseUntil: null }).where(eq(portals.id, turn.rowId));
      await steps.refreshFailed(err, { rowId: turn.rowId, current: turn.current });
      throw err;
    }
  }
}
