import { eq, sql } from "drizzle-orm";
import { AUTOMATION_LISTS_VERSION } from "../../../core/admin-channels.js";
import { portals } from "../../../db/schema.js";
import type { PortalJobHandlers } from "../../dispatch.js";
import { Bitrix24Client } from "../client.js";
import type { Bitrix24Deps } from "../oauth.js";
import { findPortalById } from "../portal-auth.js";
import { automationCatalog } from "./automation-catalog.js";
import { refreshAutomationRegistration } from "./registration.js";

/**
 * `crm.channels_changed` on a Bitrix24 portal: its robots and BP activities registered again
 * (5.1 bizproc.robot.update / bizproc.activity.update) with the channel and template selects
 * as the portal has them now. A portal that is not installed has no robots to update; one
 * whose token is refused retries through the outbox like any other Bitrix24 call.
 */
export async function refreshPortalAutomation(deps: Bitrix24Deps, portalId: string): Promise<void> {
  const portal = await findPortalById(deps.db, portalId);
  if (!portal || portal.status !== "active") {
    deps.logger.info("bitrix24: robots not refreshed, the portal is not installed", { portal: portalId });
    return;
  }
  const catalog = await automationCatalog(deps.db, portal);
  await refreshAutomationRegistration(new Bitrix24Client(deps, portal.externalId), deps.config, catalog);
  await deps.db
    .update(portals)
    .set({ settings: sql`${portals.settings} || ${JSON.stringify({ automationVersion: AUTOMATION_LISTS_VERSION })}::jsonb` })
    .where(eq(portals.id, portal.id));
  deps.logger.info("bitrix24: robots refreshed", { member_id: portal.externalId, channels: catalog.channels.length, templates: catalog.templates.length });
}

export function bitrix24PortalHandlers(deps: Bitrix24Deps): PortalJobHandlers {
  return { channelsChanged: (portalId) => refreshPortalAutomation(deps, portalId) };
}
