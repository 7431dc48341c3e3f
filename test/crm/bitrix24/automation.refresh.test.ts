import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { AUTOMATION_LISTS_VERSION, CHANNELS_CHANGED_JOB } from "../../../app/core/admin-channels.js";
import { scheduleMaintenance } from "../../../app/core/maintenance.js";
import { portals } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { AdminHarness } from "../../api/admin/harness.js";
import type { RestCall } from "./fake-bitrix24.js";

const ROBOT_CODES = ["chatbridge_send", "chatbridge_send_file", "chatbridge_send_template", "chatbridge_check_phone"];
const ACTIVITY_CODES = ROBOT_CODES.map((code) => `${code}_bp`);

describe.each(await backends())("robot channel selects kept current when channels change (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  /** The bizproc updates (5.1 `{CODE, FIELDS}`) the fake received since `since`, for one code. */
  const updatesOf = (since: number, method: string, code: string): RestCall[] => h.fake.restCalls.slice(since).filter((c) => c.method === method && c.body.CODE === code);
  const channelOptions = (call: RestCall) => ((call.body.FIELDS as { PROPERTIES: { channel: { Options: Record<string, string> } } }).PROPERTIES.channel.Options);

  it("happy: creating a channel through the admin API updates every robot and activity with the channel in its select, once, after the call answered", async () => {
    const admin = await h.adminPortal();
    await h.runJobs(1);
    const since = h.fake.restCalls.length;
    const id = await h.apiChannel(admin.token, "Sales");
    // the admin call answers before Bitrix24 is asked: the refresh is a job, due a few seconds later
    expect(h.fake.restCalls.slice(since).filter((c) => c.method.startsWith("bizproc."))).toHaveLength(0);
    expect((await h.jobsOf(CHANNELS_CHANGED_JOB)).filter((j) => j.status === "pending")).toHaveLength(1);

    await h.runJobs(2);
    for (const code of ROBOT_CODES) expect(updatesOf(since, "bizproc.robot.update", code)).toHaveLength(1);
    for (const code of ACTIVITY_CODES) expect(updatesOf(since, "bizproc.activity.update", code)).toHaveLength(1);
    const [send] = updatesOf(since, "bizproc.robot.update", "chatbridge_send");
    expect(channelOptions(send!)).toEqual({ default: "Default channel", [id]: "Sales (wappi, WhatsApp)" });
    expect((send!.body.FIELDS as { PROPERTIES: { channel: object } }).PROPERTIES.channel).toMatchObject({ Type: "select", Required: "N", Default: "default" });
    expect(send!.body.FIELDS).toMatchObject({ HANDLER: "https://bridge.example/b24/robots/chatbridge_send", RETURN_PROPERTIES: { results: { Type: "text" } } });
    // the template robot offers only channels with templates: a Wappi number has none
    const [template] = updatesOf(since, "bizproc.robot.update", "chatbridge_send_template");
    expect(channelOptions(template!)).toEqual({ default: "First channel with templates" });
    // nothing was added: everything was installed, so update answered
    expect(h.fake.restCalls.slice(since).filter((c) => c.method.endsWith(".add"))).toHaveLength(0);
  });

  it("happy: a burst (two creates and a rename in the same moment) is one update per portal with the final names; a delete removes the option", async () => {
    const admin = await h.adminPortal();
    await h.runJobs(1);
    const since = h.fake.restCalls.length;
    const first = await h.apiChannel(admin.token, "Sales");
    const second = await h.apiChannel(admin.token, "Support");
    const renamed = await h.call("PATCH", `/api/channels/${first}`, admin.token, { name: "Sales Moscow" });
    expect(renamed.status).toBe(200);
    await h.runJobs(2);
    const sends = updatesOf(since, "bizproc.robot.update", "chatbridge_send");
    expect(sends).toHaveLength(1);
    expect(channelOptions(sends[0]!)).toEqual({ default: "Default channel", [first]: "Sales Moscow (wappi, WhatsApp)", [second]: "Support (wappi, WhatsApp)" });

    const beforeDelete = h.fake.restCalls.length;
    const deleted = await h.call("DELETE", `/api/channels/${second}`, admin.token);
    expect(deleted.status).toBe(200);
    await h.runJobs(2);
    const [after] = updatesOf(beforeDelete, "bizproc.activity.update", "chatbridge_check_phone_bp");
    expect(channelOptions(after!)).toEqual({ default: "Default channel", [first]: "Sales Moscow (wappi, WhatsApp)" });
  });

  it("happy: a pacing change lists nothing new and asks Bitrix24 nothing", async () => {
    const admin = await h.adminPortal();
    const id = await h.apiChannel(admin.token, "Paced");
    await h.runJobs(2);
    const since = h.fake.restCalls.length;
    expect((await h.call("PATCH", `/api/channels/${id}`, admin.token, { paceMinMs: 5000 })).status).toBe(200);
    await h.runJobs(2);
    expect(h.fake.restCalls.slice(since).filter((c) => c.method.startsWith("bizproc."))).toHaveLength(0);
  });

  it("[U] error: a robot the portal does not have (update refused: a kind added in a later version) is added instead", async () => {
    const admin = await h.adminPortal();
    await h.runJobs(1);
    const since = h.fake.restCalls.length;
    h.fake.batchFailures.set("bizproc.robot.update", [{ error: "ERROR_ACTIVITY_NOT_FOUND", error_description: "Activity or Robot not found" }]);
    await h.apiChannel(admin.token, "Late");
    await h.runJobs(2);
    const added = h.fake.restCalls.slice(since).filter((c) => c.method === "bizproc.robot.add");
    // the first robot.update of the batch was refused: chatbridge_send
    expect(added.map((c) => c.body.CODE)).toEqual(["chatbridge_send"]);
    expect((await h.jobsOf(CHANNELS_CHANGED_JOB)).filter((j) => j.status !== "done")).toHaveLength(0);
  });

  it("error: Bitrix24 unavailable (503) -> the refresh job is retried and then updates; refusing update and add (ACCESS_DENIED) dead-letters it with the reason", async () => {
    const admin = await h.adminPortal();
    await h.runJobs(1);
    h.fake.answerNext("batch", { status: 503, body: { error: "INTERNAL_SERVER_ERROR", error_description: "Service unavailable" } });
    const since = h.fake.restCalls.length;
    await h.apiChannel(admin.token, "Flaky");
    await h.runJobs(1);
    await h.runJobs(1);
    const [retried] = (await h.jobsOf(CHANNELS_CHANGED_JOB)).filter((j) => j.lastError?.includes("INTERNAL_SERVER_ERROR"));
    expect(retried).toMatchObject({ status: "pending", attempts: 1 });
    await h.runJobs(2);
    expect((await h.jobsOf(CHANNELS_CHANGED_JOB)).find((j) => j.id === retried!.id)!.status).toBe("done");
    expect(updatesOf(since, "bizproc.robot.update", "chatbridge_send")).toHaveLength(1);

    h.fake.batchFailures.set("bizproc.activity.update", [{ error: "ACCESS_DENIED", error_description: "Application context required" }]);
    h.fake.batchFailures.set("bizproc.activity.add", [{ error: "ACCESS_DENIED", error_description: "Application context required" }]);
    await h.apiChannel(admin.token, "Denied");
    await h.runJobs(2);
    const dead = (await h.jobsOf(CHANNELS_CHANGED_JOB)).filter((j) => j.status === "dead");
    expect(dead).toHaveLength(1);
    expect(dead[0]!.lastError).toContain("activity: ACCESS_DENIED");
  });

  it("happy: a portal registered before these lists (no automationVersion) gets one refresh from the hourly maintenance, then none", async () => {
    const admin = await h.adminPortal();
    await h.runJobs(1);
    await h.apiChannel(admin.token, "Legacy");
    await h.runJobs(2);
    const [row] = await h.t.db.select().from(portals).where(eq(portals.externalId, admin.portal.memberId));
    expect(row!.settings.automationVersion).toBe(AUTOMATION_LISTS_VERSION);
    // as a portal installed by an older release looks
    const { automationVersion: _dropped, ...older } = row!.settings;
    await h.t.db.update(portals).set({ settings: older }).where(eq(portals.id, row!.id));

    const since = h.fake.restCalls.length;
    await scheduleMaintenance(h.deps.db, h.clock.now());
    await h.runJobs(2);
    expect(updatesOf(since, "bizproc.robot.update", "chatbridge_send").filter((c) => JSON.stringify(c.body).includes("Legacy"))).toHaveLength(1);
    const [after] = await h.t.db.select().from(portals).where(eq(portals.id, row!.id));
    expect(after!.settings.automationVersion).toBe(AUTOMATION_LISTS_VERSION);

    const later = h.fake.restCalls.length;
    h.clock.advance(2 * 3600_000);
    await scheduleMaintenance(h.deps.db, h.clock.now());
    await h.runJobs(2);
    expect(updatesOf(later, "bizproc.robot.update", "chatbridge_send").filter((c) => JSON.stringify(c.body).includes("Legacy"))).toHaveLength(0);
  });
});
