import { sql } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { portals } from "../../db/schema.js";
import type { AppDeps } from "../../deps.js";
import type { BracketObject } from "./bracket-form.js";
import { sendRestCall } from "./client.js";
import { enqueueConnectorRegistration } from "./connector/registration.js";
import { Bitrix24RetryableError } from "./errors.js";
import { retirePortal } from "../../core/channels.js";
import { bitrix24InstallRegion } from "../../core/portal-region.js";
import { type Bitrix24Deps, confirmInstallWithOAuthServer } from "./oauth.js";
import { assertPortalEndpoint, findPortal, type PortalRow, tokenContext } from "./portal-auth.js";

/** What an install hands us, whichever variant it came in (reference/bitrix24.md 1.1). */
export interface InstallGrant {
  memberId: string;
  clientEndpoint: string;
  accessToken: string;
  refreshToken: string;
  expiresInS: number;
  serverEndpoint?: string | undefined;
  applicationToken?: string | undefined;
  scope?: string | undefined;
  /** L local, F free, D demo, T trial, P paid: informational only (1.2) */
  plan?: string | undefined;
  /** the install page's `LANG` (ru, en, de, ua…): the region when the domain zone names none */
  lang?: string | undefined;
}

const text = z.string().trim().min(1);
const seconds = z.coerce.number().int().positive().default(3600);

/** Query string of the install page POST (1.2). DOMAIN may carry a port on test portals. */
export const installQuerySchema = z.object({
  DOMAIN: z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, { error: "must be a host name" }),
  PROTOCOL: z.enum(["0", "1"]).default("1"),
  LANG: z.string().optional(),
  APP_SID: z.string().optional(),
});

/** Body of the install page POST, the UI variant (1.2); APPLICATION_TOKEN is absent on older portals. */
export const uiInstallBodySchema = z.object({
  AUTH_ID: text,
  AUTH_EXPIRES: seconds,
  REFRESH_ID: text,
  member_id: text,
  SERVER_ENDPOINT: z.string().optional(),
  APPLICATION_TOKEN: z.string().optional(),
  APPLICATION_SCOPE: z.string().optional(),
  status: z.string().optional(),
});

/** `auth[...]` of ONAPPINSTALL and of the API-only install POST (1.3). */
export const installAuthSchema = z.object({
  domain: text,
  member_id: text,
  access_token: text,
  refresh_token: text,
  expires_in: seconds,
  client_endpoint: z.string().optional(),
  server_endpoint: z.string().optional(),
  application_token: z.string().optional(),
  scope: z.string().optional(),
  status: z.string().optional(),
});

export function grantFromInstallPage(query: z.output<typeof installQuerySchema>, body: z.output<typeof uiInstallBodySchema>): InstallGrant {
  return {
    memberId: body.member_id,
    clientEndpoint: `${query.PROTOCOL === "0" ? "http" : "https"}://${query.DOMAIN}/rest/`,
    accessToken: body.AUTH_ID,
    refreshToken: body.REFRESH_ID,
    expiresInS: body.AUTH_EXPIRES,
    serverEndpoint: body.SERVER_ENDPOINT,
    applicationToken: body.APPLICATION_TOKEN || undefined,
    scope: body.APPLICATION_SCOPE,
    plan: body.status,
    lang: query.LANG,
  };
}

export function grantFromInstallAuth(auth: z.output<typeof installAuthSchema>): InstallGrant {
  return {
    memberId: auth.member_id,
    clientEndpoint: auth.client_endpoint ?? `https://${auth.domain}/rest/`,
    accessToken: auth.access_token,
    refreshToken: auth.refresh_token,
    expiresInS: auth.expires_in,
    serverEndpoint: auth.server_endpoint,
    applicationToken: auth.application_token || undefined,
    scope: auth.scope,
    plan: auth.status,
  };
}

/** Checks a bracket-form body against a schema; the first problem becomes a 400 naming the field. */
export function parseForm<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "body";
  throw new AppError("invalid_body", `${field}: ${issue.message}`, { field });
}

/**
 * Stores a portal from an install, after the portal itself accepted its tokens: anyone can POST
 * an install, so the tokens are tried on the portal (`app.info`) before anything is kept. One
 * row per member_id: a reinstall updates it and makes it active again. An installed portal
 * whose member_id shows up under another host is refused: that would move its chats elsewhere.
 */
export async function installPortal(deps: Bitrix24Deps & Partial<Pick<AppDeps, "queue">>, grant: InstallGrant): Promise<PortalRow> {
  const endpoint = assertPortalEndpoint(grant.clientEndpoint, deps.config.OUTBOUND_ALLOW_LOOPBACK);
  const domain = new URL(endpoint).host;
  const existing = await findPortal(deps.db, grant.memberId);
  if (existing && existing.status !== "uninstalled" && existing.domain !== domain) {
    throw new AppError("conflict", "This Bitrix24 portal is installed under another domain; uninstall it there first");
  }
  await verifyTokensOnPortal(deps, endpoint, grant.accessToken);
  const fresh = await confirmInstallWithOAuthServer(deps, { ...grant, clientEndpoint: endpoint });

  const now = deps.clock.now();
  const { keyring } = deps;
  const settings: Record<string, string> = { clientEndpoint: endpoint };
  if (grant.scope) settings.scope = grant.scope;
  if (grant.plan) settings.plan = grant.plan;
  // a reinstall keeps the region the admin may have chosen since
  const region = bitrix24InstallRegion(domain, grant.lang);
  if (region && !(existing && "region" in existing.settings)) settings.region = region;
  const applicationTokenEnc = grant.applicationToken
    ? await keyring.encrypt(grant.applicationToken, tokenContext(grant.memberId, "application"))
    : null;
  const fields = {
    domain,
    accessTokenEnc: await keyring.encrypt(fresh.accessToken, tokenContext(grant.memberId, "access")),
    refreshTokenEnc: await keyring.encrypt(fresh.refreshToken, tokenContext(grant.memberId, "refresh")),
    tokenExpiresAt: fresh.expiresAt,
    serverEndpoint: fresh.serverEndpoint ?? grant.serverEndpoint ?? null,
    status: "active" as const,
    uninstalledAt: null,
    updatedAt: now,
  };
  const { row, jobId } = await deps.db.transaction(async (tx) => {
    const [stored] = await tx
      .insert(portals)
      .values({ crm: "bitrix24", externalId: grant.memberId, ...fields, applicationTokenEnc, settings })
      .onConflictDoUpdate({
        target: [portals.crm, portals.externalId],
        set: {
          ...fields,
          // an install page on an older portal carries no APPLICATION_TOKEN: keep the one ONAPPINSTALL gave
          applicationTokenEnc: applicationTokenEnc ?? sql`${portals.applicationTokenEnc}`,
          settings: sql`${portals.settings} || excluded.settings`,
        },
      })
      .returning();
    // 3.1: the connector is registered per portal at install; as a job, so a failing portal call is retried
    const job = await enqueueConnectorRegistration(tx, stored!.id, now, deps.config.OUTBOX_MAX_ATTEMPTS);
    return { row: stored!, jobId: job };
  });
  await deps.queue?.wake([jobId]);
  deps.logger.info("bitrix24: portal installed", { member_id: grant.memberId, domain, reinstall: existing !== undefined });
  return row;
}

const appInfoSchema = z.looseObject({ CODE: z.string().optional(), INSTALLED: z.unknown().optional() });

/** `app.info` answers for any valid app token (reference/bitrix24.md 1.1, 1.2) and needs no scope. */
async function verifyTokensOnPortal(deps: Bitrix24Deps, endpoint: string, accessToken: string): Promise<void> {
  let answer: Awaited<ReturnType<typeof sendRestCall>>;
  try {
    answer = await sendRestCall(deps.fetch, `${endpoint}app.info.json`, { auth: accessToken }, 20_000);
  } catch (err) {
    if (err instanceof Bitrix24RetryableError) throw new AppError("unavailable", "The Bitrix24 portal could not be reached to confirm the install");
    throw err;
  }
  if (!answer.ok || !appInfoSchema.safeParse(answer.result).success) {
    throw new AppError("unauthorized", "The Bitrix24 portal did not accept the install tokens");
  }
}

/**
 * ONAPPUNINSTALL (1.5): API access is already revoked, so the tokens and the application token
 * are deleted; the row stays for history (channels, messages point at it).
 */
export async function uninstallPortal(deps: Pick<Bitrix24Deps, "db" | "clock" | "logger">, row: PortalRow, clean: boolean): Promise<void> {
  const channelsRetired = await retirePortal(deps.db, row.id, deps.clock.now(), clean);
  deps.logger.info("bitrix24: portal uninstalled", { member_id: row.externalId, domain: row.domain, clean, channels: channelsRetired });
}

/** Reads `auth[...]` out of a parsed bracket body, for the API-only install and ONAPPINSTALL. */
export function installAuthOf(form: BracketObject): z.output<typeof installAuthSchema> {
  return parseForm(z.object({ auth: installAuthSchema }), form).auth;
}
