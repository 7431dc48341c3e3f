import { describe, expect, it } from "vitest";
import { sendProgressOf } from "../../../app/core/messages/send-job.js";
import type { Message } from "../../../app/core/messages/status.js";
import type { Db } from "../../../app/db/index.js";

/** A database whose every update fails (or succeeds), enough for the progress writer. */
function stubDb(fail: boolean, writes: unknown[]): Db {
  const where = () => (fail ? Promise.reject(new Error("connection lost")) : Promise.resolve());
  return { update: () => ({ set: (v: unknown) => (writes.push(v), { where }) }) } as unknown as Db;
}

const message = { id: "5b0c8c8e-6f55-4c43-9d5a-0f1c2b3a4d5e", sendProgress: ["p0"] } as unknown as Message;

describe("durable send progress of messages sent in parts", () => {
  it("starts from what earlier attempts recorded and writes each part as it goes", async () => {
    const writes: unknown[] = [];
    const progress = sendProgressOf({ db: stubDb(false, writes) }, message);
    expect(progress.parts).toEqual(["p0"]);
    await progress.record(1, "p1");
    await progress.record(3, "p3");
    expect(writes).toEqual([{ sendProgress: ["p0", "p1"] }, { sendProgress: ["p0", "p1", null, "p3"] }]);
  });

  it("a part the provider took but the row could not record ends the send for good (a retry would send it twice)", async () => {
    const writes: unknown[] = [];
    const progress = sendProgressOf({ db: stubDb(true, writes) }, message);
    await expect(progress.record(1, "p1")).rejects.toMatchObject({ code: "progress_unsaved" });
    expect(writes).toHaveLength(3);
  });
});
