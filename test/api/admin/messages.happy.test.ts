import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SEND_JOB } from "../../../app/core/messages/outgoing.js";
import { outboxJobs } from "../../../app/db/schema.js";
import { WAPPI_KNOWN_PHONE } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";

interface ListedMessage {
  id: string;
  status: string;
  body: string;
  origin: string;
  error_code: string | null;
  status_history: Array<{ status: string; reason?: string }>;
  send_job: { id: string; status: string } | null;
}

describe.each(await backends())("admin API: test send, messages, dead-job retry (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());
  beforeEach(() => h.wappi.reset());

  const sendsTo = (text: string) => h.wappiSends().filter((s) => s.body === text).length;

  it("test send: queued through the outbox, the job hands it to Wappi, the message becomes sent; a repeated request_id sends once", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    const res = await h.call("POST", `/api/channels/${id}/test`, token, { phone: `+${WAPPI_KNOWN_PHONE}`, text: "Ping from settings", request_id: "click-1" });
    expect(res).toMatchObject({ status: 201, body: { ok: true, status: "queued", repeated: false } });
    const again = await h.call("POST", `/api/channels/${id}/test`, token, { phone: WAPPI_KNOWN_PHONE, text: "Ping from settings", request_id: "click-1" });
    expect(again).toMatchObject({ status: 200, body: { message_id: res.body.message_id, repeated: true } });
    await h.runJobs(2);
    expect(sendsTo("Ping from settings")).toBe(1);
    expect(h.wappiSends().find((s) => s.body === "Ping from settings")?.recipient).toBe(WAPPI_KNOWN_PHONE);
    const list = await h.call("GET", `/api/messages?channel=${id}`, token);
    const [message] = list.body.messages as ListedMessage[];
    expect(message).toMatchObject({ id: res.body.message_id, origin: "admin", status: "sent", send_job: { status: "done" } });
    expect(message!.status_history.map((e) => e.status)).toEqual(["queued", "sent"]);
  });

  it("messages: newest first, paged by next_before without repeats, filtered by status", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.call("POST", `/api/channels/${id}/test`, token, { phone: WAPPI_KNOWN_PHONE, text: `page ${i}` });
      sent.push(String(res.body.message_id));
      h.clock.advance(1000);
    }
    const first = await h.call("GET", "/api/messages?limit=2", token);
    const second = await h.call("GET", `/api/messages?limit=2&before=${String(first.body.next_before)}`, token);
    const third = await h.call("GET", `/api/messages?limit=2&before=${String(second.body.next_before)}`, token);
    const ids = [first, second, third].flatMap((p) => (p.body.messages as ListedMessage[]).map((m) => m.id));
    expect(ids).toEqual([...sent].reverse());
    expect(third.body.next_before).toBeNull();
    expect((await h.call("GET", "/api/messages?status=sent", token)).body.messages).toEqual([]);
    // one row by id, as a page re-reads the message it just retried
    expect(((await h.call("GET", `/api/messages?id=${sent[2]!}`, token)).body.messages as ListedMessage[]).map((m) => m.id)).toEqual([sent[2]]);
    const other = await h.adminPortal();
    expect((await h.call("GET", `/api/messages?id=${sent[2]!}`, other.token)).body.messages).toEqual([]);
    expect((await h.call("GET", "/api/messages?status=queued&limit=10", token)).body.messages).toHaveLength(5);
    await h.runJobs(8);
  });

  it("retry: a dead send goes back to queued with a history entry and is sent exactly once more", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    h.wappi.answerNext({ status: 400, body: { status: "error", detail: "temporary refusal" } });
    const res = await h.call("POST", `/api/channels/${id}/test`, token, { phone: WAPPI_KNOWN_PHONE, text: "Second chance" });
    await h.runJobs(2);
    const failed = ((await h.call("GET", "/api/messages?status=failed", token)).body.messages as ListedMessage[])[0]!;
    expect(failed).toMatchObject({ id: res.body.message_id, status: "failed", error_code: "bad_request", send_job: { status: "dead" } });
    expect(sendsTo("Second chance")).toBe(1);

    const retry = await h.call("POST", `/api/jobs/${failed.send_job!.id}/retry`, token);
    expect(retry).toMatchObject({ status: 200, body: { ok: true, job: { id: failed.send_job!.id, kind: SEND_JOB, status: "pending" } } });
    expect(await h.call("POST", `/api/jobs/${failed.send_job!.id}/retry`, token)).toMatchObject({ status: 409, body: { error: "conflict" } });
    await h.runJobs(2);
    expect(sendsTo("Second chance")).toBe(2);
    const after = ((await h.call("GET", `/api/messages?channel=${id}`, token)).body.messages as ListedMessage[])[0]!;
    expect(after).toMatchObject({ status: "sent", error_code: null, send_job: { status: "done" } });
    expect(after.status_history.map((e) => e.status)).toEqual(["queued", "failed", "queued", "sent"]);
    expect(after.status_history[2]!.reason).toBe("retried by an admin");
    const [job] = await h.t.db.select().from(outboxJobs).where(eq(outboxJobs.id, failed.send_job!.id));
    expect(job!.status).toBe("done");
  });
});
