import { listPortalChannels, scheduleAutomationRefresh } from "../../../core/admin-channels.js";
import { z } from "zod";
import type { Config } from "../../../config.js";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import type { Db } from "../../../db/index.js";
import { type BatchCommand, Bitrix24Client } from "../client.js";
import { Bitrix24Error } from "../errors.js";
import type { Bitrix24Deps } from "../oauth.js";
import { automationRegistrationCommands, finishAutomationRegistration, isAutomationCommandKey } from "../automation/registration.js";
import { findPortalById } from "../portal-auth.js";
import { CONNECTOR_ID } from "./connector-id.js";

export const REGISTER_CONNECTOR_JOB = "b24.register_connector";

/** 3.3: the connector events we act on; all go to the one events route. */
export const CONNECTOR_EVENTS = [
  "OnImConnectorMessageAdd",
  "OnImConnectorMessageUpdate",
  "OnImConnectorMessageDelete",
  "OnImConnectorLineDelete",
  "OnImConnectorStatusDelete",
] as const;

/** A speech bubble; 3.2 wants the SVG as a url-encoded `data:image/svg+xml,` URL. */
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="#fff" d="M32 8C18 8 7 18 7 30c0 6 3 12 8 16l-3 10 11-6c3 1 6 1 9 1 14 0 25-10 25-22S46 8 32 8z"/></svg>';

function icon(color: string) {
  return { DATA_IMAGE: `data:image/svg+xml,${encodeURIComponent(ICON_SVG)}`, COLOR: color, SIZE: "90%", POSITION: "center" };
}

/**
 * `imconnector.register` (3.2) and one `event.bind` per connector event (3.3), as batch
 * commands (2.4). CHAT_GROUP=N: one dialogue per client, so the CRM tracker runs (3.2).
 */
export function connectorRegistrationCommands(config: Pick<Config, "PUBLIC_URL">): BatchCommand[] {
  const base = config.PUBLIC_URL.replace(/\/+$/, "");
  return [
    {
      key: "register",
      method: "imconnector.register",
      params: {
        ID: CONNECTOR_ID,
        NAME: "chatbridge: WhatsApp / Telegram",
        ICON: icon("#25d366"),
        ICON_DISABLED: icon("#9ca3af"),
        PLACEMENT_HANDLER: `${base}/b24/placement/connector`,
        CHAT_GROUP: "N",
      },
    },
    ...CONNECTOR_EVENTS.map((event) => ({
      key: `bind_${event}`,
      method: "event.bind",
      params: { event, handler: `${base}/b24/events` },
    })),
  ];
}

/** 3.2: failures come with HTTP 200 and `result.result=false`, so the nested flag is what counts. */
const registerResultSchema = z.looseObject({ result: z.union([z.boolean(), z.literal("1"), z.literal(1)]) });

/** 3.3: binding a pair that is already bound answers this; it means the binding is in place. */
const ALREADY_BOUND = "ERROR_HANDLER_ALREADY_EXIST";

/**
 * Registers the connector and binds its events on one portal, and registers the robots (send,
 * send file, check number), their BP activities and the SMS sender (automation/registration.ts,
 * 5.1, 6) in the same batch request; only
 * a reinstall that finds them already installed costs a second request (their updates).
 */
export async function registerConnector(deps: Bitrix24Deps, portalId: string): Promise<void> {
  const portal = await findPortalById(deps.db, portalId);
  if (!portal) throw new Bitrix24Error("portal_unknown", `portal ${portalId} no longer exists`);
  const client = new Bitrix24Client(deps, portal.externalId);
  const { result, errors } = await client.batch([...connectorRegistrationCommands(deps.config), ...automationRegistrationCommands(deps.config)]);
  for (const [key, error] of Object.entries(errors)) {
    if (isAutomationCommandKey(key)) continue;
    if (key.startsWith("bind_") && error.error === ALREADY_BOUND) continue;
    throw new Bitrix24Error(error.error, `${key}: ${error.error} ${error.error_description ?? ""}`.trim());
  }
  const registered = registerResultSchema.safeParse(result.register);
  if (!registered.success || registered.data.result === false) {
    throw new Bitrix24Error("connector_not_registered", `imconnector.register answered ${JSON.stringify(result.register)}`);
  }
  await finishAutomationRegistration(client, deps.config, errors);
  // a reinstall over live channels registers the robots with the default channel only: the lists follow at once
  if ((await listPortalChannels(deps.db, portal.id)).length > 0) await scheduleAutomationRefresh(deps, portal.id);
  deps.logger.info("bitrix24: connector registered", { member_id: portal.externalId, connector: CONNECTOR_ID });
}

/** Written in the install transaction, so a portal that is slow or failing is retried, not the install. */
export async function enqueueConnectorRegistration(tx: Db, portalId: string, now: Date, maxAttempts: number): Promise<string> {
  const { job } = await enqueueJob(tx, { kind: REGISTER_CONNECTOR_JOB, payload: { portalId }, maxAttempts }, now);
  return job.id;
}

export function registerConnectorJob(registry: JobRegistry, deps: Bitrix24Deps): void {
  registry.register(REGISTER_CONNECTOR_JOB, {
    schema: z.object({ portalId: z.uuid() }),
    handle: ({ portalId }) => registerConnector(deps, portalId),
  });
}
