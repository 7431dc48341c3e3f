import type { Context } from "hono";
import { z } from "zod";
import { bitrix24SessionVerifier } from "../../../api/admin/bitrix24-verifier.js";
import { parseInput } from "../../../api/admin/input.js";
import { type AdminIdentity, issueAdminSession } from "../../../core/admin-session.js";
import { AppError } from "../../../core/errors.js";
import type { AppEnv } from "../../../deps.js";
import type { BracketObject } from "../bracket-form.js";
import { readBracketBody } from "../routes/form-body.js";

/** A verified frame: the admin it proved and the bearer token the page will use. */
export interface FrameSession {
  identity: AdminIdentity;
  token: string;
  expiresAt: Date;
  /** the frame's body, for placement-specific fields read after verification */
  form: BracketObject;
}

/**
 * Verifies the frame POST exactly as POST /api/session does (same verifier, same input merge:
 * DOMAIN from the query, the rest from the body, the body winning) and issues the session the
 * same way, so the page and a page that calls /api/session itself get the same token.
 */
export async function openFrameSession(c: Context<AppEnv>): Promise<FrameSession> {
  const form = await readBracketBody(c);
  const input = parseInput(bitrix24SessionVerifier.schema, { ...c.req.query(), ...form });
  const identity = await bitrix24SessionVerifier.verify(c.var.deps, input);
  const session = await issueAdminSession(c.var.deps.db, identity, c.var.deps.clock.now());
  return { identity, token: session.token, expiresAt: session.expiresAt, form };
}

/**
 * Only LINE is read: the statuses (ACTIVE_STATUS and the rest, 3.4) change as soon as the admin
 * binds a channel, so the page does not show them; binding activates the line either way.
 */
const connectorOptionsSchema = z.looseObject({
  /** a string per 3.4 (a number tolerated); Open Line ids are positive integers */
  LINE: z.union([z.string().trim(), z.number().int().transform(String)]).pipe(z.string().regex(/^[1-9]\d{0,9}$/)),
});

export interface ConnectorPlacement {
  line: string;
}

const placementNeeded = () => new AppError("invalid_parameter", "PLACEMENT_OPTIONS must carry the Open Line (LINE)", { field: "PLACEMENT_OPTIONS" });

/** PLACEMENT_OPTIONS of the SETTING_CONNECTOR placement: a JSON string (1.2, 3.4). */
export function connectorPlacementOf(form: BracketObject): ConnectorPlacement {
  const text = form.PLACEMENT_OPTIONS;
  if (typeof text !== "string") throw placementNeeded();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw placementNeeded();
  }
  const options = connectorOptionsSchema.safeParse(parsed);
  if (!options.success) throw placementNeeded();
  return { line: options.data.LINE };
}
