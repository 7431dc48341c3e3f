import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import type { AppEnv } from "../../../deps.js";
import { verifyApplicationToken, verifyInstallEventToken } from "../application-token.js";
import { grantFromInstallAuth, installAuthOf, installPortal, uninstallPortal } from "../install.js";
import { handleLineDelete, handleStatusDelete } from "../connector/line-events.js";
import { queueOperatorChanges } from "../connector/operator-changes.js";
import { queueOperatorMessages } from "../connector/operator-messages.js";
import { bitrix24BodyLimit, readBracketBody } from "./form-body.js";

/** Just enough to authenticate: every event carries auth[member_id] and auth[application_token] (1.4). */
const eventEnvelopeSchema = z.object({
  event: z.string().min(1),
  auth: z.looseObject({ member_id: z.string().min(1), application_token: z.string().min(1) }),
});

const uninstallDataSchema = z.object({ data: z.looseObject({ CLEAN: z.coerce.string().optional() }).optional() });

/**
 * POST /b24/events. ONAPPINSTALL stores the portal (install.ts); every other event must carry
 * the application_token stored for its member_id, or gets 401 and changes nothing.
 * ONAPPUNINSTALL deletes the credentials. Connector events (3.7, 3.9) go to connector/*
 * (operator edits and deletions become a note in the chat: operator-changes.ts); other events
 * are acknowledged and not acted on.
 */
export const bitrix24Events = new Hono<AppEnv>().post("/b24/events", bitrix24BodyLimit, async (c) => {
  const deps = c.var.deps;
  const form = await readBracketBody(c);
  const envelope = eventEnvelopeSchema.safeParse(form);
  if (!envelope.success) throw new AppError("unauthorized", "Bitrix24 event without event name, auth[member_id] or auth[application_token]");
  const { event, auth } = envelope.data;
  const name = event.toUpperCase();

  if (name === "ONAPPINSTALL") {
    await verifyInstallEventToken(deps.db, deps.keyring, auth.member_id, auth.application_token);
    await installPortal(deps, grantFromInstallAuth(installAuthOf(form)));
    return c.json({ ok: true });
  }

  const portal = await verifyApplicationToken(deps.db, deps.keyring, auth.member_id, auth.application_token);
  if (name === "ONAPPUNINSTALL") {
    const clean = uninstallDataSchema.safeParse(form).data?.data?.CLEAN === "1";
    await uninstallPortal(deps, portal, clean);
    return c.json({ ok: true });
  }
  // 3.7: answer fast; the sends themselves are outbox jobs
  if (name === "ONIMCONNECTORMESSAGEADD") {
    const { ignored, ...counts } = await queueOperatorMessages(deps, portal, form);
    return c.json(ignored ? { ok: true, ignored: name } : { ok: true, ...counts });
  }
  if (name === "ONIMCONNECTORMESSAGEUPDATE" || name === "ONIMCONNECTORMESSAGEDELETE") {
    const { ignored, ...counts } = await queueOperatorChanges(deps, portal, form, name === "ONIMCONNECTORMESSAGEUPDATE" ? "edit" : "delete");
    return c.json(ignored ? { ok: true, ignored: name } : { ok: true, ...counts });
  }
  if (name === "ONIMCONNECTORLINEDELETE") return c.json({ ok: true, deactivated: await handleLineDelete(deps, portal, form) });
  if (name === "ONIMCONNECTORSTATUSDELETE") {
    const deactivated = await handleStatusDelete(deps, portal, form);
    return c.json(deactivated === undefined ? { ok: true, ignored: name } : { ok: true, deactivated });
  }
  return c.json({ ok: true, ignored: name });
});
