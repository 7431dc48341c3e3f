import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { enqueueJob } from "../../../app/core/outbox/enqueue.js";
import { AMOCRM_NOTE_JOB, crmNoteJob } from "../../../app/core/webhook-send.js";
import { createWebhookToken } from "../../../app/core/webhook-tokens.js";
import { AMOCRM_NOTE_POST_JOB, contactNoteText } from "../../../app/crm/amocrm/contact-note.js";
import { messages, outboxJobs, portals } from "../../../app/db/schema.js";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import type { FakeServer } from "../../support/fake-server.js";
import type { FakeAmoCrm } from "./fake-amocrm.js";
import { AmoHarness } from "./harness.js";

describe.each(await backends())("amoCRM contact notes of API, Salesbot and DP messages (%s)", (backend) => {
  const h = new AmoHarness(backend);
  const wappi = new Recorder();
  let wappiServer: FakeServer;
  beforeAll(async () => {
    await h.start();
    wappiServer = await serveFake((fake) => createWappiFake(fake, "whatsapp"), wappi);
  });
  afterAll(async () => {
    await wappiServer?.close();
    await h.close();
  });

  let phoneSerial = 0;
  const freshPhone = () => `7916${String(1_000_000 + (phoneSerial += 1)).padStart(7, "0")}`;

  async function accountWithChannel(): Promise<{ fake: FakeAmoCrm; channel: Channel; portalId: string }> {
    const { fake, row } = await h.installed();
    const { channel } = await createChannel(h.t.db, h.deps.keyring, {
      portalId: row.id,
      provider: "wappi",
      name: "Sales",
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: wappiServer.url },
    });
    return { fake, channel, portalId: row.id };
  }

  /** An outgoing message row as an origin would write it, with its note job, and no send job. */
  async function writtenMessage(channel: Channel, peer: string, fields: Partial<typeof messages.$inferInsert> = {}) {
    const [message] = await h.t.db
      .insert(messages)
      .values({ channelId: channel.id, direction: "out", origin: "salesbot", peer, body: "Ваш заказ готов", status: "queued", dedupKey: `test:${crypto.randomUUID()}`, ...fields })
      .returning();
    await enqueueJob(h.t.db, { ...crmNoteJob("amocrm", message!.id), maxAttempts: h.deps.config.OUTBOX_MAX_ATTEMPTS }, h.clock.now());
    return message!;
  }

  const notesOn = (fake: FakeAmoCrm, entityType: "contacts" | "leads") => fake.notes.filter((n) => n.entityType === entityType);

  it("happy: a webhook API send is noted on each contact whose PHONE matches and on its open leads, once even when the job reruns (5.2, 5.5)", async () => {
    const { fake, channel } = await accountWithChannel();
    const phone = freshPhone();
    fake.setContacts([
      // stored as typed: a national form with separators still normalises to the number
      { id: 301, name: "Ivan", phones: [`8 (${phone.slice(1, 4)}) ${phone.slice(4, 7)}-${phone.slice(7, 9)}-${phone.slice(9)}`], leads: [{ id: 401 }, { id: 402, status_id: 143 }, { id: 403, status_id: 142 }] },
      // found by the substring search, but another number: no note
      { id: 302, name: "Someone abroad", phones: [`+44 ${phone.slice(1)}`], leads: [{ id: 404 }] },
    ]);
    const issued = await createWebhookToken(h.deps, channel);
    const res = await h.app.request(`${new URL(issued.url).pathname}/sendText`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone_number: phone, body: "Счёт №17 оплачен" }),
    });
    expect(res.status).toBe(200);
    const { message_id } = (await res.json()) as { message_id: string };
    await h.runJobs(4);

    const [search] = fake.restCalls("/api/v4/contacts").filter((c) => c.method === "GET");
    expect(search!.query.get("query")).toBe(phone.slice(-10));
    expect(search!.query.get("with")).toBe("leads");
    const text = `WhatsApp message to +${phone} sent via chatbridge (Sales) through the API: Счёт №17 оплачен — status: sent`;
    expect(notesOn(fake, "contacts")).toEqual([expect.objectContaining({ entity_id: 301, note_type: "common", params: { text } })]);
    expect(notesOn(fake, "leads")).toEqual([expect.objectContaining({ entity_id: 401, note_type: "common", params: { text } })]);

    const [note] = (await h.jobsOf(AMOCRM_NOTE_JOB)).filter((j) => JSON.stringify(j.payload).includes(message_id));
    expect(note!.status).toBe("done");
    await h.t.db.update(outboxJobs).set({ status: "pending", attempts: 0, runAt: h.clock.now(), finishedAt: null }).where(eq(outboxJobs.id, note!.id));
    await h.runJobs(2);
    expect(fake.restCalls("/api/v4/contacts").filter((c) => c.method === "GET")).toHaveLength(2);
    expect(fake.notes).toHaveLength(2);
    expect((await h.jobsOf(AMOCRM_NOTE_POST_JOB)).filter((j) => JSON.stringify(j.payload).includes(message_id))).toHaveLength(2);
  });

  it("happy: a phone no contact has is searched (204) and nothing is noted", async () => {
    const { fake, channel } = await accountWithChannel();
    const message = await writtenMessage(channel, freshPhone(), { status: "sent" });
    await h.runJobs(2);
    expect(fake.restCalls("/api/v4/contacts").filter((c) => c.method === "GET")).toHaveLength(1);
    expect(fake.notes).toHaveLength(0);
    const [job] = (await h.jobsOf(AMOCRM_NOTE_JOB)).filter((j) => JSON.stringify(j.payload).includes(message.id));
    expect(job!.status).toBe("done");
  });

  it("happy: while the message is still queued the note waits, then carries the provider's verdict", async () => {
    const { fake, channel } = await accountWithChannel();
    const phone = freshPhone();
    fake.setContacts([{ id: 311, phones: [`+${phone}`] }]);
    const message = await writtenMessage(channel, phone);
    const installCalls = fake.calls.length;
    await h.runJobs(1);
    expect(fake.calls).toHaveLength(installCalls);
    const [waiting] = (await h.jobsOf(AMOCRM_NOTE_JOB)).filter((j) => JSON.stringify(j.payload).includes(message.id));
    expect(waiting).toMatchObject({ status: "pending", attempts: 1 });

    await h.t.db.update(messages).set({ status: "failed", errorMessage: "Recipient is not on WhatsApp" }).where(eq(messages.id, message.id));
    await h.runJobs(3);
    expect(notesOn(fake, "contacts")).toEqual([
      expect.objectContaining({ entity_id: 311, params: { text: `WhatsApp message to +${phone} sent via chatbridge (Sales) by a Salesbot: Ваш заказ готов — status: failed (Recipient is not on WhatsApp)` } }),
    ]);
  });

  it("happy: 429 from amoCRM brings the note back later, then it is posted (5.7)", async () => {
    const { fake, channel } = await accountWithChannel();
    const phone = freshPhone();
    fake.setContacts([{ id: 321, phones: [phone] }]);
    await writtenMessage(channel, phone, { status: "sent", origin: "dp" });
    fake.answer429(1, 1);
    await h.runJobs(4);
    expect(fake.restCalls("/api/v4/contacts").filter((c) => c.method === "GET")).toHaveLength(2);
    expect(notesOn(fake, "contacts")).toEqual([expect.objectContaining({ entity_id: 321, params: { text: expect.stringContaining("by a Digital Pipeline action") } })]);
  });

  it("happy: an account that is no longer active gets no note and no call", async () => {
    const { fake, channel, portalId } = await accountWithChannel();
    fake.setContacts([{ id: 331, phones: ["+79160009999"] }]);
    await h.t.db.update(portals).set({ status: "uninstalled" }).where(eq(portals.id, portalId));
    const message = await writtenMessage(channel, "79160009999", { status: "sent" });
    const installCalls = fake.calls.length;
    await h.runJobs(2);
    expect(fake.calls).toHaveLength(installCalls);
    const [job] = (await h.jobsOf(AMOCRM_NOTE_JOB)).filter((j) => JSON.stringify(j.payload).includes(message.id));
    expect(job!.status).toBe("done");
  });

  it("happy: a file message names the file link; a long text is cut", () => {
    const base = { peer: "79160000001", origin: "webhook_api", status: "delivered", errorMessage: null, errorCode: null } as const;
    const withFile = contactNoteText({ ...base, body: "Invoice", file: { url: "https://bridge.example/files/1/sig" } } as never, { messenger: "whatsapp", name: "Main" });
    expect(withFile).toBe("WhatsApp message to +79160000001 sent via chatbridge (Main) through the API: Invoice\nFile: https://bridge.example/files/1/sig — status: delivered");
    const long = contactNoteText({ ...base, body: "x".repeat(5000), file: null } as never, { messenger: "telegram", name: "TG" });
    expect(long.startsWith("Telegram message")).toBe(true);
    expect(long.length).toBeLessThan(2200);
  });
});
