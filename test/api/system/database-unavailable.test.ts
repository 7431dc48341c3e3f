import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../app/db/index.js";
import type { AppDeps } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { issueAdminSession } from "../../../app/core/admin-session.js";
import { seedPortal } from "../../support/channels.js";
import { openTestDb, type TestDb } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";

/**
 * The embedded database (PGlite) failing its disk writes: every statement fails with the file
 * system's errno. Running as root in CI, a read-only data folder cannot be made to fail for
 * real, so the failure is injected at the Db; what is checked is what callers see.
 */
function failingDisk(db: Db): Db {
  const fail = () => {
    throw Object.assign(new Error("could not write to file \"pg_wal/000000010000000000000001\": No space left on device"), { code: "ENOSPC" });
  };
  return new Proxy(db, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" && ["select", "insert", "update", "delete", "execute", "transaction"].includes(String(prop)) ? fail : value;
    },
  });
}

describe("PGlite's disk failing: answers are 503 database_unavailable, never a hang or a 500", () => {
  let t: TestDb;
  let deps: AppDeps;
  let session: string;
  beforeAll(async () => {
    t = await openTestDb("pglite");
    const healthy = await testDeps(t.db);
    session = (await issueAdminSession(t.db, { portalId: await seedPortal(healthy), userId: "1" }, new Date())).token;
    deps = { ...healthy, db: failingDisk(t.db) };
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ["the webhook API", "/rest/webhook/wa/abcdefghijklmnopqrstuvwxyz012345/sendText?phone_number=79991234567&body=hi", "GET"],
    ["a provider webhook", "/hooks/wappi/abcdefghijklmnopqrstuvwxyz012345", "POST"],
    ["the admin API", "/api/channels", "GET"],
  ])("%s", async (_, path, method) => {
    const res = await createApp(deps).request(path, { method, headers: { authorization: `Bearer ${session}` } });
    const body = (await res.json()) as { error?: string };
    expect(res.status).toBe(503);
    expect(body.error).toBe("database_unavailable");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("/health answers 503 with the database down", async () => {
    const res = await createApp(deps).request("/health");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { ok: boolean }).ok).toBe(false);
  });
});
