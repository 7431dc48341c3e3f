import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channels, lineBindings, outboxJobs, webhookTokens } from "../../../app/db/schema.js";
import { WAPPI_KNOWN_PHONE } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";

describe.each(await backends())("admin API: portal scoping (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("another portal's channel is not_found on every route, and nothing about it changes", async () => {
    const owner = await h.adminPortal();
    const stranger = await h.adminPortal();
    const id = await h.apiChannel(owner.token);
    const [before] = await h.t.db.select().from(channels).where(eq(channels.id, id));
    const tokensBefore = await h.t.db.select().from(webhookTokens).where(eq(webhookTokens.channelId, id));
    const calls: Array<[string, string, unknown?]> = [
      ["GET", `/api/channels/${id}`],
      ["PATCH", `/api/channels/${id}`, { name: "mine now" }],
      ["DELETE", `/api/channels/${id}`],
      ["GET", `/api/channels/${id}/qr`],
      ["POST", `/api/channels/${id}/bind`, { line: "3" }],
      ["GET", `/api/channels/${id}/webhook-token`],
      ["POST", `/api/channels/${id}/webhook-token`],
      ["POST", `/api/channels/${id}/test`, { phone: WAPPI_KNOWN_PHONE }],
    ];
    for (const [method, path, body] of calls) {
      const res = await h.call(method, path, stranger.token, body);
      expect(res, `${method} ${path}`).toMatchObject({ status: 404, body: { ok: false, error: "not_found", message: "channel not found" } });
      expect(JSON.stringify(res.body)).not.toContain("hooks/");
    }
    // the same answer as for an id that does not exist at all, or is not an id
    expect((await h.call("GET", `/api/channels/${crypto.randomUUID()}`, stranger.token)).body).toMatchObject({ error: "not_found", message: "channel not found" });
    expect((await h.call("GET", "/api/channels/not-a-uuid", stranger.token)).body).toMatchObject({ error: "not_found", message: "channel not found" });

    const [after] = await h.t.db.select().from(channels).where(eq(channels.id, id));
    expect(after).toEqual(before);
    expect(await h.t.db.select().from(webhookTokens).where(eq(webhookTokens.channelId, id))).toEqual(tokensBefore);
    expect(await h.t.db.select().from(lineBindings).where(eq(lineBindings.channelId, id))).toEqual([]);
    expect((await h.call("GET", "/api/channels", stranger.token)).body.channels).toEqual([]);
  });

  it("another portal's messages never show, even filtered by its channel id; its dead jobs are not_found", async () => {
    const owner = await h.adminPortal();
    const stranger = await h.adminPortal();
    const id = await h.apiChannel(owner.token);
    h.wappi.answerNext({ status: 400, body: { status: "error", detail: "refused" } });
    await h.call("POST", `/api/channels/${id}/test`, owner.token, { phone: WAPPI_KNOWN_PHONE, text: "private" });
    await h.runJobs(2);
    const [dead] = (await h.call("GET", "/api/messages", owner.token)).body.messages as Array<{ id: string; send_job: { id: string; status: string } }>;
    expect(dead!.send_job.status).toBe("dead");

    expect((await h.call("GET", "/api/messages", stranger.token)).body.messages).toEqual([]);
    expect((await h.call("GET", `/api/messages?channel=${id}`, stranger.token)).body.messages).toEqual([]);
    expect(await h.call("GET", `/api/messages?before=${dead!.id}`, stranger.token)).toMatchObject({ status: 400, body: { field: "before" } });
    expect(await h.call("POST", `/api/jobs/${dead!.send_job.id}/retry`, stranger.token)).toMatchObject({ status: 404, body: { error: "not_found", message: "job not found" } });
    expect(await h.call("POST", `/api/jobs/${crypto.randomUUID()}/retry`, stranger.token)).toMatchObject({ status: 404, body: { message: "job not found" } });
    // still dead: the owner can retry it
    expect((await h.call("POST", `/api/jobs/${dead!.send_job.id}/retry`, owner.token)).status).toBe(200);
  });

  it("a dead job that is not about a message (a poll of its own channel, maintenance) is not_found and stays dead", async () => {
    const owner = await h.adminPortal();
    const id = await h.apiChannel(owner.token);
    const now = h.clock.now();
    const dead = { status: "dead" as const, maxAttempts: 3, runAt: now, finishedAt: now };
    const jobs = await h.t.db
      .insert(outboxJobs)
      .values([
        { ...dead, kind: "channel.poll", payload: { channelId: id, chain: "x", seq: 0 } },
        { ...dead, kind: "maintenance.cleanup", payload: { hour: "2026-06-01T12" } },
      ])
      .returning();
    for (const job of jobs) {
      expect(await h.call("POST", `/api/jobs/${job.id}/retry`, owner.token), job.kind).toMatchObject({ status: 404, body: { error: "not_found" } });
      const [row] = await h.t.db.select().from(outboxJobs).where(eq(outboxJobs.id, job.id));
      expect(row!.status).toBe("dead");
    }
    expect(await h.call("POST", "/api/jobs/not-a-uuid/retry", owner.token)).toMatchObject({ status: 404, body: { error: "not_found" } });
  });
});
