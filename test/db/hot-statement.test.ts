import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HotShapes, hotStatement, useNamedStatements } from "../../app/db/hot-statement.js";
import { queryRows } from "../../app/db/index.js";
import { backends, openTestDb, type TestDb } from "../support/db.js";

const echo = hotStatement<"n" | "word">("test_echo", (p) => sql`select ${p("n")}::int + 1 as next, upper(${p("word")}) as loud`);

describe.each(await backends())("hot statements on %s", (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    // one connection, so pg_prepared_statements (per connection) shows what the pool prepared
    t = await openTestDb(backend, { poolSize: 1 });
  });
  afterAll(async () => {
    useNamedStatements(true);
    await t?.close();
  });

  it("runs with new values each time from a text built once", async () => {
    expect(await echo.rows(t.db, { n: 1, word: "раз" })).toEqual([{ next: 2, loud: "РАЗ" }]);
    expect(await echo.rows(t.db, { n: 41, word: "two" })).toEqual([{ next: 42, loud: "TWO" }]);
  });

  it("runs inside a transaction, on the transaction's connection", async () => {
    const rows = await t.db.transaction(async (tx) => {
      await tx.execute(sql`create temporary table hot_probe (v int) on commit drop`);
      const seen = await hotStatement<"v">("test_tx", (p) => sql`insert into hot_probe values (${p("v")}::int) returning v`).rows(tx, { v: 7 });
      const count = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from hot_probe`);
      return [...seen, ...count];
    });
    expect(rows).toEqual([{ v: 7 }, { n: 1 }]);
  });

  it("refuses a call that leaves a placeholder without a value", async () => {
    await expect(echo.rows(t.db, { n: 1 } as unknown as { n: number; word: string })).rejects.toThrow(/word/);
  });

  it.runIf(backend === "postgres")("is a named prepared statement on PostgreSQL, and an unnamed one with DATABASE_PREPARED_STATEMENTS=false", async () => {
    await echo.rows(t.db, { n: 1, word: "x" });
    const prepared = async () => (await queryRows<{ name: string }>(t.db, sql`select name from pg_prepared_statements`)).map((r) => r.name);
    expect(await prepared()).toContain(echo.name);

    useNamedStatements(false);
    const unnamed = hotStatement<"n">("test_unnamed", (p) => sql`select ${p("n")}::int as n`);
    expect(await unnamed.rows(t.db, { n: 5 })).toEqual([{ n: 5 }]);
    expect(await prepared()).not.toContain(unnamed.name);
  });

  it("gives each shape of a statement its own name, and the same shape the same statement", () => {
    const shapes = new HotShapes<"a">("test_shapes");
    const one = shapes.of("x", (p) => sql`select ${p("a")}`);
    expect(shapes.of("x", (p) => sql`select ${p("a")}`)).toBe(one);
    const other = shapes.of("y", (p) => sql`select ${p("a")}, 1`);
    expect(other.name).not.toBe(one.name);
  });
});
