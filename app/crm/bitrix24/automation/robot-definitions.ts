import type { Bitrix24Params } from "../client.js";

/** What a robot run does; each has a robot code and a BP activity code (5.1). */
export type RobotKind = "send" | "send_file" | "check_phone";

/**
 * 5.1: codes are `[A-Za-z0-9._-]`, unique in the app. The BP designer's activity is registered
 * separately (`bizproc.activity.add`) under a code of its own: whether a robot and an
 * activity of one app may share a code is UNVERIFIED.
 */
export const ROBOT_CODES: Readonly<Record<RobotKind, { robot: string; activity: string }>> = {
  send: { robot: "chatbridge_send", activity: "chatbridge_send_bp" },
  send_file: { robot: "chatbridge_send_file", activity: "chatbridge_send_file_bp" },
  check_phone: { robot: "chatbridge_check_phone", activity: "chatbridge_check_phone_bp" },
};

/** The kind a handler code (`/b24/robots/<code>`) belongs to, or undefined for a code that is not ours. */
export function robotKindOf(code: string): RobotKind | undefined {
  for (const [kind, codes] of Object.entries(ROBOT_CODES) as Array<[RobotKind, { robot: string; activity: string }]>) {
    if (codes.robot === code || codes.activity === code) return kind;
  }
  return undefined;
}

/**
 * 5.1: whose token arrives in `auth[]`. We never use that token (replies go with the portal's
 * stored one, 5.3 allows either), so the portal's first user, normally the admin who created
 * it, is named. [UNVERIFIED] that user 1 exists on every portal.
 */
const AUTH_USER_ID = 1;

/**
 * 5.1 `DOCUMENT_TYPE` names smart processes (SPA) `["crm","Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic","DYNAMIC_123"]`
 * and FILTER takes "full/partial document types": the partial pair (module, class) is meant to
 * cover every smart process, whatever its DYNAMIC_<id>. That a partial SPA type matches all of
 * them is our reading of "partial", not shown by an example in the sheet.
 */
export const SMART_PROCESS_DOCUMENT = ["crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic"] as const;

/** Leads, deals, contacts (5.1's example) and smart processes. */
const DOCUMENT_FILTER = {
  INCLUDE: [["crm", "CCrmDocumentDeal"], ["crm", "CCrmDocumentLead"], ["crm", "CCrmDocumentContact"], [...SMART_PROCESS_DOCUMENT]],
};

const name = (en: string, ru: string) => ({ en, ru });

/**
 * 5.1. The channel is a string, not a `select`: select options are fixed at registration, and
 * channels are added after install. It takes a channel id (shown in the admin UI) or an Open
 * Line id (what a Bitrix24 admin sees); empty means the portal's default channel, as for SMS.
 */
const channelProperty = { Name: name("Channel id or Open Line id (empty: default channel)", "ID канала или открытой линии (пусто: канал по умолчанию)"), Type: "string", Required: "N" };
const phoneProperty = { Name: name("Phone", "Телефон"), Type: "string", Required: "Y" };
/** 5.1 `bool` arrives as Y/N (5.2); N keeps a run that does not set it out of the Open Line. */
const sendToOpenLineProperty = { Name: name("Send to Open Line", "Отправить в открытую линию"), Type: "bool", Required: "N", Default: "N" };

/** 5.3: the keys robot-reply.ts sends back for a message run. */
const messageReturns = {
  message_id: { Name: name("Message ID", "ID сообщения"), Type: "string" },
  status: { Name: name("Status", "Статус"), Type: "string" },
  error: { Name: name("Error", "Ошибка"), Type: "string" },
};

interface RobotShape {
  NAME: { en: string; ru: string };
  DESCRIPTION: { en: string; ru: string };
  PROPERTIES: Bitrix24Params;
  RETURN_PROPERTIES: Bitrix24Params;
}

const SHAPES: Record<RobotKind, RobotShape> = {
  send: {
    NAME: name("Send WhatsApp/Telegram message", "Отправить сообщение WhatsApp/Telegram"),
    DESCRIPTION: name("Sends a message through chatbridge", "Отправляет сообщение через chatbridge"),
    PROPERTIES: {
      channel: channelProperty,
      phone: phoneProperty,
      text: { Name: name("Text", "Текст"), Type: "text", Required: "Y" },
      file_url: { Name: name("File URL", "Ссылка на файл"), Type: "string", Required: "N" },
      send_to_ol: sendToOpenLineProperty,
    },
    RETURN_PROPERTIES: messageReturns,
  },
  send_file: {
    NAME: name("Send WhatsApp/Telegram file", "Отправить файл WhatsApp/Telegram"),
    DESCRIPTION: name("Sends a file by its link through chatbridge", "Отправляет файл по ссылке через chatbridge"),
    PROPERTIES: {
      channel: channelProperty,
      phone: phoneProperty,
      file_url: { Name: name("File URL", "Ссылка на файл"), Type: "string", Required: "Y" },
      caption: { Name: name("Caption", "Подпись"), Type: "text", Required: "N" },
      send_to_ol: sendToOpenLineProperty,
    },
    RETURN_PROPERTIES: messageReturns,
  },
  check_phone: {
    NAME: name("Check WhatsApp/Telegram number", "Проверить номер WhatsApp/Telegram"),
    DESCRIPTION: name("Checks whether a number has an account in the channel's messenger", "Проверяет, есть ли у номера аккаунт в мессенджере канала"),
    PROPERTIES: { channel: channelProperty, phone: phoneProperty },
    RETURN_PROPERTIES: {
      exists: { Name: name("Has the messenger", "Есть в мессенджере"), Type: "bool" },
      error: { Name: name("Error", "Ошибка"), Type: "string" },
    },
  },
};

/** `bizproc.robot.add` / `bizproc.activity.add` fields (5.1) of one robot kind under one code. */
export function robotFields(base: string, kind: RobotKind, code: string): Bitrix24Params {
  return {
    CODE: code,
    HANDLER: `${base}/b24/robots/${code}`,
    AUTH_USER_ID,
    USE_SUBSCRIPTION: "Y",
    ...SHAPES[kind],
    FILTER: DOCUMENT_FILTER,
    USE_PLACEMENT: "N",
  };
}
