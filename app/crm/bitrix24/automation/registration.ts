import type { Config } from "../../../config.js";
import type { BatchCommand, BatchCommandError, Bitrix24Client, Bitrix24Params } from "../client.js";
import { Bitrix24Error } from "../errors.js";
import { ROBOT_CODES, type RobotKind, robotFields } from "./robot-definitions.js";

/** 6: the SMS sender's CODE, also named in every `messageservice.message.status.update`. */
export const SMS_SENDER_CODE = "chatbridge_sms";

const name = (en: string, ru: string) => ({ en, ru });

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

const ACTIVITY_INSTALLED = "ERROR_ACTIVITY_ALREADY_INSTALLED";
const ROBOT_KINDS = Object.keys(ROBOT_CODES) as RobotKind[];

/** The send robot keeps its first batch keys ("robot", "activity"), which failures are reported under. */
const keySuffix = (kind: RobotKind) => (kind === "send" ? "" : `_${kind}`);

const AUTOMATION_KEYS: ReadonlySet<string> = new Set([...ROBOT_KINDS.flatMap((kind) => [`robot${keySuffix(kind)}`, `activity${keySuffix(kind)}`]), "sms_sender"]);

function automationItems(config: Pick<Config, "PUBLIC_URL">): AutomationItem[] {
  const base = config.PUBLIC_URL.replace(/\/+$/, "");
  const robots = ROBOT_KINDS.flatMap((kind): AutomationItem[] => {
    const { robot, activity } = ROBOT_CODES[kind];
    return [
      { key: `robot${keySuffix(kind)}`, add: "bizproc.robot.add", fields: robotFields(base, kind, robot), alreadyInstalled: ACTIVITY_INSTALLED, update: bizprocUpdate("bizproc.robot.update") },
      { key: `activity${keySuffix(kind)}`, add: "bizproc.activity.add", fields: robotFields(base, kind, activity), alreadyInstalled: ACTIVITY_INSTALLED, update: bizprocUpdate("bizproc.activity.update") },
    ];
  });
  return [
    ...robots,
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

/** Batch commands registering the three robots, their BP activities (5.1) and the SMS sender (6). */
export function automationRegistrationCommands(config: Pick<Config, "PUBLIC_URL">): BatchCommand[] {
  return automationItems(config).map((item) => ({ key: item.key, method: item.add, params: item.fields }));
}

export function isAutomationCommandKey(key: string): boolean {
  return AUTOMATION_KEYS.has(key);
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
