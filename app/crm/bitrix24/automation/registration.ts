import type { Config } from "../../../config.js";
import type { BatchCommand, BatchCommandError, Bitrix24Client, Bitrix24Params } from "../client.js";
import { Bitrix24Error } from "../errors.js";

/** 5.1: robot codes are `[A-Za-z0-9._-]`, unique in the app. */
export const ROBOT_CODE = "chatbridge_send";
/**
 * 5.1: the BP designer's activity is registered separately (`bizproc.activity.add`). It gets a
 * code of its own: whether a robot and an activity of one app may share a code is UNVERIFIED.
 */
export const ACTIVITY_CODE = "chatbridge_send_bp";
/** 6: the SMS sender's CODE, also named in every `messageservice.message.status.update`. */
export const SMS_SENDER_CODE = "chatbridge_sms";

/** Both codes reach the same handler route, `/b24/robots/<code>`. */
export const ROBOT_HANDLER_CODES: readonly string[] = [ROBOT_CODE, ACTIVITY_CODE];

/**
 * 5.1: whose token arrives in `auth[]`. We never use that token (replies go with the portal's
 * stored one, 5.3 allows either), so the portal's first user, normally the admin who created
 * it, is named. [UNVERIFIED] that user 1 exists on every portal.
 */
const AUTH_USER_ID = 1;

const name = (en: string, ru: string) => ({ en, ru });

/**
 * 5.1. The channel is a string, not a `select`: select options are fixed at registration, and
 * channels are added after install. It takes a channel id (shown in the admin UI) or an Open
 * Line id (what a Bitrix24 admin sees); empty means the portal's default channel, as for SMS.
 */
function robotFields(base: string, code: string): Bitrix24Params {
  return {
    CODE: code,
    HANDLER: `${base}/b24/robots/${code}`,
    AUTH_USER_ID,
    USE_SUBSCRIPTION: "Y",
    NAME: name("Send WhatsApp/Telegram message", "Отправить сообщение WhatsApp/Telegram"),
    DESCRIPTION: name("Sends a message through chatbridge", "Отправляет сообщение через chatbridge"),
    PROPERTIES: {
      channel: { Name: name("Channel id or Open Line id (empty: default channel)", "ID канала или открытой линии (пусто: канал по умолчанию)"), Type: "string", Required: "N" },
      phone: { Name: name("Phone", "Телефон"), Type: "string", Required: "Y" },
      text: { Name: name("Text", "Текст"), Type: "text", Required: "Y" },
      file_url: { Name: name("File URL", "Ссылка на файл"), Type: "string", Required: "N" },
    },
    RETURN_PROPERTIES: {
      message_id: { Name: name("Message ID", "ID сообщения"), Type: "string" },
      status: { Name: name("Status", "Статус"), Type: "string" },
      error: { Name: name("Error", "Ошибка"), Type: "string" },
    },
    FILTER: { INCLUDE: [["crm", "CCrmDocumentDeal"], ["crm", "CCrmDocumentLead"], ["crm", "CCrmDocumentContact"]] },
    USE_PLACEMENT: "N",
  };
}

function smsSenderFields(base: string): Bitrix24Params {
  return {
    CODE: SMS_SENDER_CODE,
    TYPE: "SMS",
    HANDLER: `${base}/b24/sms`,
    NAME: name("WhatsApp / Telegram (chatbridge)", "WhatsApp / Telegram (chatbridge)"),
    DESCRIPTION: name("Sends CRM SMS as WhatsApp or Telegram messages", "Отправляет SMS из CRM сообщениями WhatsApp или Telegram"),
  };
}

interface AutomationItem {
  key: string;
  add: string;
  fields: Bitrix24Params;
  alreadyInstalled: string;
  update: (fields: Bitrix24Params) => BatchCommand;
}

/** `{CODE, FIELDS:{...}}` is the sheet's shape for bizproc.robot.update (5.1); the same for activities is UNVERIFIED. */
function bizprocUpdate(method: string) {
  return ({ CODE, ...rest }: Bitrix24Params): BatchCommand => ({ method, params: { CODE, FIELDS: rest } });
}

function automationItems(config: Pick<Config, "PUBLIC_URL">): AutomationItem[] {
  const base = config.PUBLIC_URL.replace(/\/+$/, "");
  return [
    { key: "robot", add: "bizproc.robot.add", fields: robotFields(base, ROBOT_CODE), alreadyInstalled: "ERROR_ACTIVITY_ALREADY_INSTALLED", update: bizprocUpdate("bizproc.robot.update") },
    { key: "activity", add: "bizproc.activity.add", fields: robotFields(base, ACTIVITY_CODE), alreadyInstalled: "ERROR_ACTIVITY_ALREADY_INSTALLED", update: bizprocUpdate("bizproc.activity.update") },
    {
      key: "sms_sender",
      add: "messageservice.sender.add",
      fields: smsSenderFields(base),
      alreadyInstalled: "ERROR_SENDER_ALREADY_INSTALLED",
      // 6 names the method only; the flat shape (the add fields again) is UNVERIFIED
      update: (fields) => ({ method: "messageservice.sender.update", params: fields }),
    },
  ];
}

/** Batch commands registering the robot, the BP activity (5.1) and the SMS sender (6). */
export function automationRegistrationCommands(config: Pick<Config, "PUBLIC_URL">): BatchCommand[] {
  return automationItems(config).map((item) => ({ key: item.key, method: item.add, params: item.fields }));
}

export function isAutomationCommandKey(key: string): boolean {
  return key === "robot" || key === "activity" || key === "sms_sender";
}

function fail(key: string, error: BatchCommandError): Bitrix24Error {
  return new Bitrix24Error(error.error, `${key}: ${error.error} ${error.error_description ?? ""}`.trim());
}

/**
 * After the registration batch: what a reinstall finds already installed (5.1, 6) is updated,
 * so a changed PUBLIC_URL or property list reaches the portal; any other failure is thrown.
 */
export async function finishAutomationRegistration(
  client: Bitrix24Client,
  config: Pick<Config, "PUBLIC_URL">,
  errors: Record<string, BatchCommandError>,
): Promise<void> {
  const updates: BatchCommand[] = [];
  for (const item of automationItems(config)) {
    const error = errors[item.key];
    if (!error) continue;
    if (error.error !== item.alreadyInstalled) throw fail(item.key, error);
    updates.push({ ...item.update(item.fields), key: `${item.key}_update` });
  }
  if (updates.length === 0) return;
  const { errors: updateErrors } = await client.batch(updates);
  const [failed] = Object.entries(updateErrors);
  if (failed) throw fail(failed[0], failed[1]);
}
