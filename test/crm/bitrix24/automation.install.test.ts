import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REGISTER_CONNECTOR_JOB } from "../../../app/crm/bitrix24/connector/registration.js";
import { backends } from "../../support/db.js";
import { ConnectorHarness } from "./connector-harness.js";

describe.each(await backends())("robot, BP activity and SMS sender registration at install (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  // leads, deals, contacts (5.1's example) and every smart process: the SPA document class of 5.1 as a partial type
  const DOCUMENT_TYPES = [
    ["crm", "CCrmDocumentDeal"],
    ["crm", "CCrmDocumentLead"],
    ["crm", "CCrmDocumentContact"],
    ["crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic"],
  ];

  // 5.1 select: at install the portal has no channels yet, so the default channel is the one option
  const channelSelect = {
    Name: { en: "Channel", ru: "Канал" },
    Type: "select",
    Required: "N",
    Options: { default: "Default channel / Канал по умолчанию" },
    Default: "default",
  };
  const recipients = { Name: { en: expect.stringContaining("Recipients"), ru: expect.any(String) }, Type: "string", Required: "Y", Multiple: "Y" };
  const runReturns = {
    message_id: expect.objectContaining({ Type: "string" }),
    status: expect.objectContaining({ Type: "string" }),
    error: expect.objectContaining({ Type: "string" }),
    results: expect.objectContaining({ Type: "text" }),
    sent_count: expect.objectContaining({ Type: "int" }),
    failed_count: expect.objectContaining({ Type: "int" }),
  };

  const robotShape = (code: string) => ({
    CODE: code,
    HANDLER: `https://bridge.example/b24/robots/${code}`,
    AUTH_USER_ID: "1",
    USE_SUBSCRIPTION: "Y",
    NAME: { en: "Send WhatsApp/Telegram message", ru: "Отправить сообщение WhatsApp/Telegram" },
    PROPERTIES: {
      channel: channelSelect,
      phone: recipients,
      text: { Name: { en: "Text", ru: "Текст" }, Type: "text", Required: "Y" },
      file_url: { Type: "string", Required: "N" },
      send_to_ol: { Name: { en: "Send to Open Line", ru: "Отправить в открытую линию" }, Type: "bool", Required: "N", Default: "N" },
    },
    RETURN_PROPERTIES: runReturns,
    FILTER: { INCLUDE: DOCUMENT_TYPES },
    USE_PLACEMENT: "N",
  });

  it("happy: the install's one registration batch also adds the robot (5.1), the BP activity (5.1) and the SMS sender (6)", async () => {
    await h.installed();
    const batchesBefore = h.fake.callsOf("batch").length;
    const since = h.fake.restCalls.length;
    await h.runJobs(1);
    expect(h.fake.callsOf("batch").slice(batchesBefore)).toHaveLength(1);
    const calls = h.fake.restCalls.slice(since).filter((c) => c.inBatch);
    const byMethod = (m: string) => calls.filter((c) => c.method === m);

    expect(byMethod("bizproc.robot.add").filter((c) => c.body.CODE === "chatbridge_send")[0]!.body).toMatchObject(robotShape("chatbridge_send"));
    expect(byMethod("bizproc.activity.add").filter((c) => c.body.CODE === "chatbridge_send_bp")[0]!.body).toMatchObject(robotShape("chatbridge_send_bp"));
    // property and return keys must start with a letter, [A-Za-z0-9_] (5.1)
    for (const robot of [...byMethod("bizproc.robot.add"), ...byMethod("bizproc.activity.add")].map((c) => c.body)) {
      for (const block of [robot.PROPERTIES, robot.RETURN_PROPERTIES] as Array<Record<string, unknown>>) {
        for (const key of Object.keys(block)) expect(key).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
      }
    }
    const bySender = (m: string, code: string) => byMethod(m).filter((c) => c.body.CODE === code);
    for (const [method, code] of [["bizproc.robot.add", "chatbridge_send_file"], ["bizproc.activity.add", "chatbridge_send_file_bp"]] as const) {
      expect(bySender(method, code)).toHaveLength(1);
      expect(bySender(method, code)[0]!.body).toEqual({
        CODE: code,
        HANDLER: `https://bridge.example/b24/robots/${code}`,
        AUTH_USER_ID: "1",
        USE_SUBSCRIPTION: "Y",
        NAME: { en: "Send WhatsApp/Telegram file", ru: "Отправить файл WhatsApp/Telegram" },
        DESCRIPTION: { en: expect.stringContaining("file"), ru: expect.stringContaining("файл") },
        PROPERTIES: {
          channel: channelSelect,
          phone: recipients,
          file_url: { Name: { en: "File URL", ru: "Ссылка на файл" }, Type: "string", Required: "Y" },
          caption: { Name: { en: "Caption", ru: "Подпись" }, Type: "text", Required: "N" },
          send_to_ol: { Name: expect.any(Object), Type: "bool", Required: "N", Default: "N" },
        },
        RETURN_PROPERTIES: runReturns,
        FILTER: { INCLUDE: DOCUMENT_TYPES },
        USE_PLACEMENT: "N",
      });
    }
    for (const [method, code] of [["bizproc.robot.add", "chatbridge_send_template"], ["bizproc.activity.add", "chatbridge_send_template_bp"]] as const) {
      expect(bySender(method, code)).toHaveLength(1);
      expect(bySender(method, code)[0]!.body).toMatchObject({
        CODE: code,
        HANDLER: `https://bridge.example/b24/robots/${code}`,
        USE_SUBSCRIPTION: "Y",
        NAME: { en: "Send WhatsApp template", ru: "Отправить шаблон WhatsApp" },
        PROPERTIES: {
          channel: { Type: "select", Options: { default: expect.any(String) }, Default: "default" },
          phone: recipients,
          // no template synced yet: one placeholder option (an empty Options is UNVERIFIED)
          template: { Type: "select", Required: "Y", Options: { none: expect.any(String) }, Default: "none" },
          params: { Type: "string", Required: "N", Multiple: "Y" },
          header_url: { Type: "string", Required: "N" },
        },
        RETURN_PROPERTIES: runReturns,
        FILTER: { INCLUDE: DOCUMENT_TYPES },
      });
    }
    for (const [method, code] of [["bizproc.robot.add", "chatbridge_check_phone"], ["bizproc.activity.add", "chatbridge_check_phone_bp"]] as const) {
      expect(bySender(method, code)).toHaveLength(1);
      expect(bySender(method, code)[0]!.body).toMatchObject({
        CODE: code,
        HANDLER: `https://bridge.example/b24/robots/${code}`,
        USE_SUBSCRIPTION: "Y",
        NAME: { en: "Check WhatsApp/Telegram number" },
        PROPERTIES: { channel: channelSelect, phone: { Name: { en: "Phone", ru: "Телефон" }, Type: "string", Required: "Y" } },
        RETURN_PROPERTIES: { exists: { Type: "bool" }, error: { Type: "string" } },
        FILTER: { INCLUDE: DOCUMENT_TYPES },
      });
      expect(Object.keys(bySender(method, code)[0]!.body.PROPERTIES as object)).toEqual(["channel", "phone"]);
    }
    expect(byMethod("bizproc.robot.add")).toHaveLength(4);
    expect(byMethod("bizproc.activity.add")).toHaveLength(4);

    expect(byMethod("messageservice.sender.add")).toHaveLength(1);
    expect(byMethod("messageservice.sender.add")[0]!.body).toEqual({
      CODE: "chatbridge_sms",
      TYPE: "SMS",
      HANDLER: "https://bridge.example/b24/sms",
      NAME: { en: "WhatsApp / Telegram (chatbridge)", ru: "WhatsApp / Telegram (chatbridge)" },
      DESCRIPTION: { en: expect.stringContaining("SMS"), ru: expect.stringContaining("SMS") },
    });
    expect((await h.jobsOf(REGISTER_CONNECTOR_JOB)).every((j) => j.status === "done")).toBe(true);
  });

  it("happy: a reinstall finding them installed updates them (bizproc.robot.update {CODE, FIELDS}; activity and sender update shapes UNVERIFIED)", async () => {
    await h.runJobs(1);
    await h.installed();
    h.fake.batchFailures.set("bizproc.robot.add", [{ error: "ERROR_ACTIVITY_ALREADY_INSTALLED", error_description: "Activity or Robot already installed!" }]);
    h.fake.batchFailures.set("bizproc.activity.add", [{ error: "ERROR_ACTIVITY_ALREADY_INSTALLED", error_description: "Activity or Robot already installed!" }]);
    h.fake.batchFailures.set("messageservice.sender.add", [{ error: "ERROR_SENDER_ALREADY_INSTALLED", error_description: "Sender already installed" }]);
    const since = h.fake.restCalls.length;
    await h.runJobs(1);
    const calls = h.fake.restCalls.slice(since).filter((c) => c.inBatch);
    const [robotUpdate] = calls.filter((c) => c.method === "bizproc.robot.update");
    expect(robotUpdate!.body).toMatchObject({ CODE: "chatbridge_send", FIELDS: { HANDLER: "https://bridge.example/b24/robots/chatbridge_send", USE_SUBSCRIPTION: "Y" } });
    expect(robotUpdate!.body.FIELDS).not.toHaveProperty("CODE");
    const [activityUpdate] = calls.filter((c) => c.method === "bizproc.activity.update");
    expect(activityUpdate!.body).toMatchObject({ CODE: "chatbridge_send_bp", FIELDS: { HANDLER: "https://bridge.example/b24/robots/chatbridge_send_bp" } });
    const [senderUpdate] = calls.filter((c) => c.method === "messageservice.sender.update");
    expect(senderUpdate!.body).toMatchObject({ CODE: "chatbridge_sms", TYPE: "SMS", HANDLER: "https://bridge.example/b24/sms" });
    expect((await h.jobsOf(REGISTER_CONNECTOR_JOB)).every((j) => j.status === "done")).toBe(true);
  });

  it("error: a portal refusing the robot (ACCESS_DENIED: no admin token, 5.1) dead-letters the registration job with the reason", async () => {
    await h.runJobs(1);
    await h.installed();
    h.fake.batchFailures.set("bizproc.robot.add", [{ error: "ACCESS_DENIED", error_description: "Application context required" }]);
    await h.runJobs(1);
    const dead = (await h.jobsOf(REGISTER_CONNECTOR_JOB)).filter((j) => j.status === "dead");
    expect(dead).toHaveLength(1);
    expect(dead[0]!.lastError).toContain("robot: ACCESS_DENIED");
  });
});
