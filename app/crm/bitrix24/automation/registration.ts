import type { Config } from "../../../config.js";
import type { BatchCommand, BatchCommandError, Bitrix24Client, Bitrix24Params } from "../client.js";
import { Bitrix24Error } from "../errors.js";
import { type AutomationCatalog, EMPTY_CATALOG } from "./automation-catalog.js";
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
  /** a robot or BP activity, whose selects list the portal's channels (not the SMS sender) */
  robot: boolean;
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

function automationItems(config: Pick<Config, "PUBLIC_URL">, catalog: AutomationCatalog): AutomationItem[] {
  const base = config.PUBLIC_URL.replace(/\/+$/, "");
  const robots = ROBOT_KINDS.flatMap((kind): AutomationItem[] => {
    const { robot, activity } = ROBOT_CODES[kind];
    return [
      {
        key: `robot${keySuffix(kind)}`,
        robot: true,
        add: "bizproc.robot.add",
        fields: robotFields(base, kind, robot, catalog),
        alreadyInstalled: ACTIVITY_INSTALLED,
        update: bizprocUpdate("bizproc.robot.update"),
      },
      {
        key: `activity${keySuffix(kind)}`,
        robot: true,
        add: "bizproc.activity.add",
        fields: robotFields(base, kind, activity, catalog),
        alreadyInstalled: ACTIVITY_INSTALLED,
        update: bizprocUpdate("bizproc.activity.update"),
      },
    ];
  });
  return [
    ...robots,
    {
      key: "sms_sender",
      robot: false,
      add: "messageservice.sender.add",
      fields: smsSenderFields(base),
      alreadyInstalled: "ERROR_SENDER_ALREADY_INSTALLED",
      // 6 names the method only; the flat shape (the add fields again) is UNVERIFIED
      update: (fields) => ({ method: "messageservice.sender.update", params: fields }),
    },
  ];
}

/**
 * Batch commands registering the robots, their BP activities (5.1) and the SMS sender (6). At
 * install the portal has no channels yet (EMPTY_CATALOG): the selects offer the default channel
 * only, until a channel change re-registers them (refreshAutomationRegistration).
 */
export function automationRegistrationCommands(config: Pick<Config, "PUBLIC_URL">, catalog: AutomationCatalog = EMPTY_CATALOG): BatchCommand[] {
  return automationItems(config, catalog).map((item) => ({ key: item.key, method: item.add, params: item.fields }));
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
  catalog: AutomationCatalog = EMPTY_CATALOG,
): Promise<void> {
  const updates: BatchCommand[] = [];
  for (const item of automationItems(config, catalog)) {
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

/**
 * The robots and activities registered again with the portal's current channels and templates
 * in their selects (5.1 `bizproc.robot.update` / `bizproc.activity.update`, one batch). What
 * the portal does not have yet (a robot kind added in a later version, a registration that
 * never ran) fails to update and is added instead; a failed add is thrown as the job's error
 * (Bitrix24 refusals are permanent: errors.ts; limits and outages come back as retryable).
 */
export async function refreshAutomationRegistration(client: Bitrix24Client, config: Pick<Config, "PUBLIC_URL">, catalog: AutomationCatalog): Promise<void> {
  const items = automationItems(config, catalog).filter((item) => item.robot);
  const { errors } = await client.batch(items.map((item) => ({ ...item.update(item.fields), key: item.key })));
  const missing = items.filter((item) => errors[item.key] !== undefined);
  if (missing.length === 0) return;
  const { errors: addErrors } = await client.batch(missing.map((item) => ({ key: `${item.key}_add`, method: item.add, params: item.fields })));
  for (const item of missing) {
    const error = addErrors[`${item.key}_add`];
    if (!error) continue;
    // installed after all: the update's own error is the one that says what went wrong
    throw fail(item.key, error.error === item.alreadyInstalled ? errors[item.key]! : error);
  }
}
