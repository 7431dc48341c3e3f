import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable, retryWhileDatabaseAway } from "../../app/core/database-errors.js";

const coded = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable", () => {
  it.each([
    ["a refused connection (node's errno code)", coded("ECONNREFUSED")],
    ["postgres.js's connect timeout", coded("CONNECT_TIMEOUT")],
    ["a SQLSTATE of class 08 (connection exception)", coded("08006")],
    ["the server shutting down (57P01)", coded("57P01")],
    ["a full disk (53100)", coded("53100")],
    ["PGlite's data folder not writable (ENOSPC)", coded("ENOSPC")],
    ["node-pg's dropped connection (no code, a fixed message)", new Error("Connection terminated unexpectedly")],
    ["pg-pool's connect timeout", new Error("Connection terminated due to connection timeout")],
    ["a driver error wrapped by drizzle", new Error("Failed query: select 1", { cause: coded("ECONNRESET") })],
    ["an AggregateError of a multi-address connect", new AggregateError([coded("ECONNREFUSED"), coded("ECONNREFUSED")], "connect failed")],
  ])("yes: %s", (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ["a unique violation", coded("23505", "duplicate key")],
    ["a syntax error", coded("42601")],
    ["a plain error", new Error("boom")],
    ["a string", "ECONNREFUSED"],
    ["undefined", undefined],
  ])("no: %s", (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

describe("retryWhileDatabaseAway", () => {
  it("tries again while the database is away and returns once the write goes through", async () => {
    let calls = 0;
    const result = await retryWhileDatabaseAway(async () => {
      calls += 1;
      if (calls < 3) throw coded("ECONNREFUSED");
      return "written";
    }, Date.now() + 10_000);
    expect(result).toBe("written");
    expect(calls).toBe(3);
  });

  it("gives up at the deadline with the database's error", async () => {
    let calls = 0;
    const started = Date.now();
    const err = await retryWhileDatabaseAway(async () => {
      calls += 1;
      throw coded("ECONNREFUSED");
    }, Date.now() + 600).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECONNREFUSED" });
    expect(calls).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("throws any other error at once", async () => {
    let calls = 0;
    const err = await retryWhileDatabaseAway(async () => {
      calls += 1;
      throw coded("23505", "duplicate key");
    }, Date.now() + 10_000).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "23505" });
    expect(calls).toBe(1);
  });
});
