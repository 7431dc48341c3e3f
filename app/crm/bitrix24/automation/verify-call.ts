import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import type { AppDeps } from "../../../deps.js";
import { verifyApplicationToken } from "../application-token.js";
import type { BracketObject } from "../bracket-form.js";
import type { PortalRow } from "../portal-auth.js";

/** 1.4: robot and SMS sender calls carry the app's auth as `auth[member_id]`, `auth[application_token]`. */
const callAuthSchema = z.object({ auth: z.looseObject({ member_id: z.string().min(1), application_token: z.string().min(1) }) });

/** The portal a robot or SMS handler call comes from, once its application_token matched; 401 before anything else otherwise. */
export async function verifiedPortalOf(deps: Pick<AppDeps, "db" | "keyring">, form: BracketObject): Promise<PortalRow> {
  const parsed = callAuthSchema.safeParse(form);
  if (!parsed.success) throw new AppError("unauthorized", "Bitrix24 call without auth[member_id] or auth[application_token]");
  return verifyApplicationToken(deps.db, deps.keyring, parsed.data.auth.member_id, parsed.data.auth.application_token);
}
