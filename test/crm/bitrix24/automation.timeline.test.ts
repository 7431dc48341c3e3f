import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel } from "../../../app/core/channels.js";
import { createWebhookToken } from "../../../app/core/webhook-tokens.js";
import { TIMELINE_NOTE_JOB } from "../../../app/core/webhook-send.js";
import { TIMELINE_COMMENT_JOB, timelineDocumentOf } from "../../../app/crm/bitrix24/automation/timeline-note.js";
import { outboxJobs } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { newEventToken, postRobotRun } from "./automation-calls.js";
import { ConnectorHarness } from "./connector-harness.js";
import type { RestCall } from "./fake-bitrix24.js";

describe.each(await backends())("Bitrix24 timeline notes of robot and API messages (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  let phoneSerial = 0;
  /** A number no other scenario uses, so the fake's CRM matches belong to this one. */
  const freshPhone = () => `7916${String(1_000_000 + (phoneSerial += 1)).padStart(7, "0")}`;
  const searchesFor = (digits: string): RestCall[] =>
    h.fake.callsOf("crm.duplicate.findbycomm").filter((c) => Array.isArray(c.body.values) && c.body.values.includes(digits));
  const commentsWith = (text: string): RestCall[] =>
    h.fake.callsOf("crm.timeline.comment.add").filter((c) => JSON.stringify(c.body.fields ?? {}).includes(text));

  it("happy: a robot message to a known phone is noted with its text and status on the robot's deal and the matched contact and lead (7), once even when the job reruns", async () => {
    const b = await h.boundChannel();
    const phone = freshPhone();
    // stored as typed (7): the contact has the E.164 form, the lead the bare digits
    h.fake.phoneOwners.set(`+${phone}`, { CONTACT: [275] });
    h.fake.phoneOwners.set(phone, { LEAD: [42] });
    const res = await postRobotRun(h, b.portal, newEventToken(), { channel: b.channel.id, phone, text: "Ваш заказ №5512 готов" });
    const { message_id } = (await res.json()) as { message_id: string };
    await h.runJobs(4);

    const [search] = searchesFor(phone);
    expect(search!.body).toMatchObject({ type: "PHONE", values: [`+${phone}`, phone] });
    const comments = commentsWith("Ваш заказ №5512 готов");
    expect(comments.map((c) => c.body.fields).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
      { ENTITY_ID: "275", ENTITY_TYPE: "contact", COMMENT: expect.stringContaining("Status: sent") },
      { ENTITY_ID: "42", ENTITY_TYPE: "deal", COMMENT: expect.stringContaining("Status: sent") },
      { ENTITY_ID: "42", ENTITY_TYPE: "lead", COMMENT: expect.stringContaining("Status: sent") },
    ]);
    expect(comments[0]!.body.fields).toMatchObject({ COMMENT: expect.stringMatching(/^chatbridge: WhatsApp message to \+\d+ from an automation rule\nStatus: sent\n\nВаш заказ №5512 готов$/) });

    // the note job runs again (an admin retry, a lost completion): no comment is posted twice
    const [note] = (await h.jobsOf(TIMELINE_NOTE_JOB)).filter((j) => JSON.stringify(j.payload).includes(message_id));
    expect(note!.status).toBe("done");
    await h.t.db.update(outboxJobs).set({ status: "pending", attempts: 0, runAt: h.clock.now(), finishedAt: null }).where(eq(outboxJobs.id, note!.id));
    await h.runJobs(3);
    expect(searchesFor(phone)).toHaveLength(2);
    expect(commentsWith("Ваш заказ №5512 готов")).toHaveLength(3);
    expect((await h.jobsOf(TIMELINE_COMMENT_JOB)).filter((j) => JSON.stringify(j.payload).includes(message_id))).toHaveLength(3);
  });

  it("happy: a robot on a smart-process item comments on that item (dynamic_<type>) even when the phone matches nothing", async () => {
    const b = await h.boundChannel();
    const phone = freshPhone();
    const res = await postRobotRun(
      h,
      b.portal,
      newEventToken(),
      { channel: b.channel.id, phone, text: "Смарт-процесс" },
      { documentId: ["crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic", "DYNAMIC_183_7"], documentType: ["crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic", "DYNAMIC_183"] },
    );
    expect(res.status).toBe(200);
    await h.runJobs(4);
    expect(commentsWith("Смарт-процесс").map((c) => c.body.fields)).toEqual([
      { ENTITY_ID: "7", ENTITY_TYPE: "dynamic_183", COMMENT: expect.stringContaining("from an automation rule") },
    ]);
  });

  it("timelineDocumentOf reads deals, leads, contacts, companies and smart processes, and nothing else", () => {
    expect(timelineDocumentOf("DEAL_42")).toEqual({ entityType: "deal", entityId: "42" });
    expect(timelineDocumentOf("LEAD_7")).toEqual({ entityType: "lead", entityId: "7" });
    expect(timelineDocumentOf("CONTACT_109286")).toEqual({ entityType: "contact", entityId: "109286" });
    expect(timelineDocumentOf("COMPANY_3")).toEqual({ entityType: "company", entityId: "3" });
    expect(timelineDocumentOf("DYNAMIC_183_7")).toEqual({ entityType: "dynamic_183", entityId: "7" });
    expect(timelineDocumentOf("QUOTE_5")).toBeUndefined();
    expect(timelineDocumentOf("DEAL_")).toBeUndefined();
    expect(timelineDocumentOf(undefined)).toBeUndefined();
  });

  it("happy: a phone that matches nothing in the CRM is searched and only the robot's own deal gets the comment", async () => {
    const b = await h.boundChannel();
    const phone = freshPhone();
    const res = await postRobotRun(h, b.portal, newEventToken(), { channel: b.channel.id, phone, text: "Niemand kennt mich" });
    const { message_id } = (await res.json()) as { message_id: string };
    await h.runJobs(4);
    expect(searchesFor(phone)).toHaveLength(1);
    expect(commentsWith("Niemand kennt mich").map((c) => c.body.fields)).toEqual([{ ENTITY_ID: "42", ENTITY_TYPE: "deal", COMMENT: expect.any(String) }]);
    const [note] = (await h.jobsOf(TIMELINE_NOTE_JOB)).filter((j) => JSON.stringify(j.payload).includes(message_id));
    expect(note!.status).toBe("done");
  });

  it("happy: a webhook API send on a portal's channel is noted too, with a failed status and its reason", async () => {
    const b = await h.boundChannel();
    const phone = freshPhone();
    h.fake.phoneOwners.set(`+${phone}`, { COMPANY: [9] });
    const issued = await createWebhookToken(h.deps, b.channel);
    h.wappi.answerNext({ status: 400, body: { status: "error", detail: "Recipient is not on WhatsApp" } });
    const res = await h.app.request(`${new URL(issued.url).pathname}/sendText`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone_number: phone, body: "Rechnung 2026-17" }),
    });
    expect(res.status).toBe(200);
    await h.runJobs(4);
    const [comment] = commentsWith("Rechnung 2026-17");
    expect(comment!.body.fields).toMatchObject({ ENTITY_ID: "9", ENTITY_TYPE: "company", COMMENT: expect.stringContaining("through the API") });
    expect(String((comment!.body.fields as { COMMENT: string }).COMMENT)).toMatch(/Status: failed: .*Recipient is not on WhatsApp/);
  });

  it("happy: a message the provider never takes is noted after a few looks with the status it has (queued)", async () => {
    const b = await h.boundChannel();
    const row = await h.portalRow(b.portal.memberId);
    // a phone-gateway channel: its messages wait for the phone to fetch them, so this one stays queued
    const { channel: gateway } = await createChannel(h.deps.db, h.deps.keyring, { portalId: row!.id, provider: "gateway", name: "phone", credentials: {} });
    const phone = freshPhone();
    h.fake.phoneOwners.set(`+${phone}`, { CONTACT: [301] });
    const res = await postRobotRun(h, b.portal, newEventToken(), { channel: gateway.id, phone, text: "Über das Telefon" });
    const { message_id } = (await res.json()) as { message_id: string };
    await h.runJobs(2);
    expect(commentsWith("Über das Telefon")).toHaveLength(0);
    await h.runJobs(6);
    const comments = commentsWith("Über das Telefon").map((c) => c.body.fields as { ENTITY_TYPE: string });
    expect(comments.sort((x, y) => x.ENTITY_TYPE.localeCompare(y.ENTITY_TYPE))).toEqual([
      { ENTITY_ID: "301", ENTITY_TYPE: "contact", COMMENT: expect.stringContaining("Status: queued") },
      { ENTITY_ID: "42", ENTITY_TYPE: "deal", COMMENT: expect.stringContaining("Status: queued") },
    ]);
    const [note] = (await h.jobsOf(TIMELINE_NOTE_JOB)).filter((j) => JSON.stringify(j.payload).includes(message_id));
    expect(note).toMatchObject({ status: "done", attempts: 4 });
  });
});
