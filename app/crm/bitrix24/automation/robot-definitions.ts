import type { Bitrix24Params } from "../client.js";
import type { AutomationCatalog } from "./automation-catalog.js";
import {
  channelProperty,
  messageReturns,
  name,
  phoneProperty,
  recipientsProperty,
  sendToOpenLineProperty,
  templateChannelProperty,
  templateProperty,
} from "./robot-properties.js";

/** What a robot run does; each has a robot code and a BP activity code (5.1). */
export type RobotKind = "send" | "send_file" | "send_template" | "check_phone";

/**
 * 5.1: codes are `[A-Za-z0-9._-]`, unique in the app. The BP designer's activity is registered
 * separately (`bizproc.activity.add`) under a code of its own: whether a robot and an
 * activity of one app may share a code is UNVERIFIED.
 */
export const ROBOT_CODES: Readonly<Record<RobotKind, { robot: string; activity: string }>> = {
  send: { robot: "chatbridge_send", activity: "chatbridge_send_bp" },
  send_file: { robot: "chatbridge_send_file", activity: "chatbridge_send_file_bp" },
  send_template: { robot: "chatbridge_send_template", activity: "chatbridge_send_template_bp" },
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

interface RobotShape {
  NAME: { en: string; ru: string };
  DESCRIPTION: { en: string; ru: string };
  PROPERTIES: Bitrix24Params;
  RETURN_PROPERTIES: Bitrix24Params;
}

/** 5.1 PROPERTIES / RETURN_PROPERTIES of each kind; the selects list the portal's channels and templates. */
function shapeOf(kind: RobotKind, catalog: AutomationCatalog): RobotShape {
  const channel = channelProperty(catalog);
  switch (kind) {
    case "send":
      return {
        NAME: name("Send WhatsApp/Telegram message", "Отправить сообщение WhatsApp/Telegram"),
        DESCRIPTION: name("Sends a message through chatbridge", "Отправляет сообщение через chatbridge"),
        PROPERTIES: {
          channel,
          phone: recipientsProperty,
          text: { Name: name("Text", "Текст"), Type: "text", Required: "Y" },
          file_url: { Name: name("File URL", "Ссылка на файл"), Type: "string", Required: "N" },
          send_to_ol: sendToOpenLineProperty,
        },
        RETURN_PROPERTIES: messageReturns,
      };
    case "send_file":
      return {
        NAME: name("Send WhatsApp/Telegram file", "Отправить файл WhatsApp/Telegram"),
        DESCRIPTION: name("Sends a file by its link through chatbridge", "Отправляет файл по ссылке через chatbridge"),
        PROPERTIES: {
          channel,
          phone: recipientsProperty,
          file_url: { Name: name("File URL", "Ссылка на файл"), Type: "string", Required: "Y" },
          caption: { Name: name("Caption", "Подпись"), Type: "text", Required: "N" },
          send_to_ol: sendToOpenLineProperty,
        },
        RETURN_PROPERTIES: messageReturns,
      };
    case "send_template":
      return {
        NAME: name("Send WhatsApp template", "Отправить шаблон WhatsApp"),
        DESCRIPTION: name(
          "Sends an approved WhatsApp template (Cloud API), also outside the 24-hour window",
          "Отправляет одобренный шаблон WhatsApp (Cloud API), в том числе вне 24-часового окна",
        ),
        PROPERTIES: {
          channel: templateChannelProperty(catalog),
          phone: recipientsProperty,
          template: templateProperty(catalog),
          // one value per variable, {{1}} first; a field per value in the designer
          params: { Name: name("Template values, in order", "Значения шаблона по порядку"), Type: "string", Required: "N", Multiple: "Y" },
          header_url: { Name: name("Header file URL (media header)", "Ссылка на файл заголовка (медиа)"), Type: "string", Required: "N" },
        },
        RETURN_PROPERTIES: messageReturns,
      };
    case "check_phone":
      return {
        NAME: name("Check WhatsApp/Telegram number", "Проверить номер WhatsApp/Telegram"),
        DESCRIPTION: name("Checks whether a number has an account in the channel's messenger", "Проверяет, есть ли у номера аккаунт в мессенджере канала"),
        PROPERTIES: { channel, phone: phoneProperty },
        RETURN_PROPERTIES: {
          exists: { Name: name("Has the messenger", "Есть в мессенджере"), Type: "bool" },
          error: { Name: name("Error", "Ошибка"), Type: "string" },
        },
      };
  }
}

/** `bizproc.robot.add` / `bizproc.activity.add` fields (5.1) of one robot kind under one code. */
export function robotFields(base: string, kind: RobotKind, code: string, catalog: AutomationCatalog): Bitrix24Params {
  return {
    CODE: code,
    HANDLER: `${base}/b24/robots/${code}`,
    AUTH_USER_ID,
    USE_SUBSCRIPTION: "Y",
    ...shapeOf(kind, catalog),
    FILTER: DOCUMENT_FILTER,
    USE_PLACEMENT: "N",
  };
}
