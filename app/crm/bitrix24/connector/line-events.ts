import type { AppDeps } from "../../../deps.js";
import type { BracketObject } from "../bracket-form.js";
import { parseForm } from "../install.js";
import type { PortalRow } from "../portal-auth.js";
import { deactivateBindings, findActiveBindingsOfLine } from "./binding.js";
import { isOurConnector } from "./connector-id.js";
import { lineDeleteEventSchema, statusDeleteEventSchema } from "./event-payloads.js";

type Deps = Pick<AppDeps, "db" | "clock" | "logger">;

async function deactivateLine(deps: Deps, portal: PortalRow, line: string, why: string): Promise<number> {
  const bindings = await findActiveBindingsOfLine(deps.db, portal.id, line);
  await deactivateBindings(deps.db, bindings.map((b) => b.id), deps.clock.now());
  if (bindings.length > 0) deps.logger.info("bitrix24: open line binding deactivated", { member_id: portal.externalId, line, why });
  return bindings.length;
}

/** ONIMCONNECTORLINEDELETE (3.9): the Open Line is gone, so nothing is relayed to or from it. */
export function handleLineDelete(deps: Deps, portal: PortalRow, form: BracketObject): Promise<number> {
  const { data } = parseForm(lineDeleteEventSchema, form);
  return deactivateLine(deps, portal, data, "line deleted");
}

/** ONIMCONNECTORSTATUSDELETE (3.9): our connector was switched off on a line; others' are not ours. */
export async function handleStatusDelete(deps: Deps, portal: PortalRow, form: BracketObject): Promise<number | undefined> {
  const { connector, line } = parseForm(statusDeleteEventSchema, form);
  if (!isOurConnector(connector)) return undefined;
  return deactivateLine(deps, portal, line, "connector disabled");
}
