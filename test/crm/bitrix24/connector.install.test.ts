import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REGISTER_CONNECTOR_JOB } from "../../../app/crm/bitrix24/connector/registration.js";
import { backends } from "../../support/db.js";
import { ConnectorHarness } from "./connector-harness.js";
import { newMemberId } from "./harness.js";

describe.each(await backends())("Open Lines connector registration at install (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const events = ["OnImConnectorMessageAdd", "OnImConnectorMessageUpdate", "OnImConnectorMessageDelete", "OnImConnectorLineDelete", "OnImConnectorStatusDelete"];

  it("happy: install queues a job that registers the connector and binds its events in ONE batch call", async () => {
    const p = await h.installed();
    const jobs = (await h.jobsOf(REGISTER_CONNECTOR_JOB)).filter((j) => j.status === "pending");
    expect(jobs).toHaveLength(1);
    const batchesBefore = h.fake.callsOf("batch").length;
    const since = h.fake.restCalls.length;
    await h.runJobs(1);

    const batches = h.fake.callsOf("batch").slice(batchesBefore);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.body.auth).toBe(p.accessToken);
    const calls = h.fake.imconnectorCalls(since);
    const [register, ...binds] = calls;
    expect(register!.method).toBe("imconnector.register");
    expect(register!.body).toMatchObject({
      ID: "chatbridge",
      NAME: expect.stringContaining("chatbridge"),
      ICON: { COLOR: "#25d366", SIZE: "90%", POSITION: "center" },
      PLACEMENT_HANDLER: "https://bridge.example/b24/placement/connector",
      CHAT_GROUP: "N",
    });
    const icon = (register!.body.ICON as Record<string, string>).DATA_IMAGE!;
    expect(icon.startsWith("data:image/svg+xml,%3Csvg")).toBe(true);
    expect(decodeURIComponent(icon.slice("data:image/svg+xml,".length))).toContain("<svg");
    expect(binds.map((b) => [b.method, b.body.event, b.body.handler])).toEqual(events.map((e) => ["event.bind", e, "https://bridge.example/b24/events"]));
    expect((await h.jobsOf(REGISTER_CONNECTOR_JOB)).find((j) => j.id === jobs[0]!.id)!.status).toBe("done");
  });

  it("happy: events already bound (ERROR_HANDLER_ALREADY_EXIST, 3.3) count as bound", async () => {
    await h.runJobs(1);
    await h.installed();
    h.fake.batchFailures.set("event.bind", [{ error: "ERROR_HANDLER_ALREADY_EXIST", error_description: "Handler already binded" }]);
    await h.runJobs(1);
    const jobs = await h.jobsOf(REGISTER_CONNECTOR_JOB);
    expect(jobs.every((j) => j.status === "done")).toBe(true);
  });

  it("error: a portal refusing the registration leaves the install done and the job dead-lettered with the reason", async () => {
    await h.runJobs(1);
    const { res } = h.installPage(newMemberId());
    expect((await res).status).toBe(200);
    h.fake.batchFailures.set("imconnector.register", [{ error: "ACCESS_DENIED", error_description: "admin only" }]);
    await h.runJobs(1);
    const dead = (await h.jobsOf(REGISTER_CONNECTOR_JOB)).filter((j) => j.status === "dead");
    expect(dead).toHaveLength(1);
    expect(dead[0]!.lastError).toContain("ACCESS_DENIED");
  });
});
