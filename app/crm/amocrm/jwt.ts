import { errors as joseErrors, jwtVerify } from "jose";
import { z } from "zod";
import { utf8 } from "../../core/encoding.js";
import { AppError } from "../../core/errors.js";
import { timingSafeEqual } from "../../core/tokens.js";
import type { AmoCrmDeps } from "./deps.js";
import { amoRedirectUri } from "./oauth.js";
import { type AmoPlatform, allIntegrationKeys, type IntegrationKeys, platformOf } from "./platform.js";
import { type AmoPortalRow, amoSettingsOf, findAmoAccount } from "./portal.js";

/**
 * amoCRM's disposable JWTs (reference/amocrm.md 4.2, 4.3), signed with our client_secret:
 * - the widget token (`X-Auth-Token` from `$authorizedAjax`, 4.3): HS256, `aud` = scheme+host of
 *   our redirect URI, claims account_id, user_id, subdomain, client_uuid;
 * - the Salesbot bot token (body `token` of a `widget_request`, 4.2): HS512 per the official SDK
 *   (`parseBotDisposableToken`; the docs only say "signed with the client secret"); claims
 *   account_id, subdomain, entity_type, entity_id, bot_type, client_uuid. HS512 ONLY: every user
 *   of an account holds an HS256 widget token signed with the same secret, and a bot token that
 *   could also be HS256 would let any of them send through Salesbot. A token naming a user
 *   (`user_id`, the widget token's claim) is refused as a bot token for the same reason.
 * Every refusal is the same AppError "unauthorized" (the reason is logged, never answered), and
 * nothing is read or written for a token that fails here.
 */

/** Clock skew allowed on exp / nbf: amoCRM's clock and ours are both NTP-synced, a minute is plenty. */
const LEEWAY_SECONDS = 60;
/** A JWT larger than this is not one of amoCRM's (theirs are well under 1 KB). */
const MAX_TOKEN_LENGTH = 4096;

/** 2^53: account and user ids are JSON numbers in the token; strings of digits are accepted too. */
const numericId = z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER).transform(String), z.string().regex(/^[1-9]\d{0,15}$/)]);

const widgetClaimsSchema = z.looseObject({
  iss: z.string().max(300),
  account_id: numericId,
  user_id: numericId,
  subdomain: z.string().max(100).optional(),
  client_uuid: z.string().max(100),
});

const botClaimsSchema = z.looseObject({
  iss: z.string().max(300),
  account_id: numericId,
  subdomain: z.string().max(100).optional(),
  client_uuid: z.string().max(100).optional(),
  /** 4.2: numeric in practice (2 = lead, 12 = customer per the SDK), names per the docs: both kept as text [U] */
  entity_type: z.union([z.number().int().transform(String), z.string().max(40)]).optional(),
  entity_id: numericId.optional(),
  bot_type: z.string().max(40).optional(),
});

export interface WidgetToken {
  portal: AmoPortalRow;
  accountId: string;
  userId: string;
}

export interface BotToken {
  portal: AmoPortalRow;
  accountId: string;
  /** "2" lead, "12" customer (SDK), or a name such as "lead" (docs) [U] */
  entityType?: string;
  entityId?: string;
  botType?: string;
}

/** Why a token was refused: logged for the operator, never told to the caller. */
class TokenRefused extends Error {}

const refused = () => new AppError("unauthorized", "The amoCRM token is missing, expired or not valid for this integration");


/** `scheme://host` (what the SDK compares, 4.3) and `scheme://host:port` of a URL. */
function originForms(raw: string): string[] {
  const u = new URL(raw);
  return [...new Set([`${u.protocol}//${u.hostname}`, u.origin])];
}

/** `aud` as a list; amoCRM sends a string, RFC 7519 allows an array. */
function audiences(aud: unknown): string[] {
  if (typeof aud === "string") return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === "string");
  return [];
}

function audienceMatches(aud: unknown, ours: readonly string[]): boolean {
  const allowed = new Set(ours.flatMap(originForms));
  return audiences(aud).some((a) => allowed.has(a.replace(/\/+$/, "")));
}

/** Signature, algorithm and lifetime (exp required; nbf and iat checked when present). */
async function verifySignature(deps: Pick<AmoCrmDeps, "config" | "clock">, token: string, algorithms: string[], secret: string): Promise<Record<string, unknown>> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new TokenRefused("no token or an oversized one");
  try {
    const { payload } = await jwtVerify(token, utf8.encode(secret), {
      algorithms,
      currentDate: deps.clock.now(),
      clockTolerance: LEEWAY_SECONDS,
      requiredClaims: ["exp", "iat"],
    });
    const iat = payload.iat ?? 0;
    // a token "issued" in the future is forged or from a broken clock; jose only checks iat against maxTokenAge
    if (iat * 1000 > deps.clock.now().getTime() + LEEWAY_SECONDS * 1000) throw new TokenRefused("issued in the future");
    return payload;
  } catch (err) {
    if (err instanceof TokenRefused) throw err;
    if (err instanceof joseErrors.JOSEError) throw new TokenRefused(err.code);
    throw err;
  }
}

/** The stored active account the token names, whose host is the token's issuer (4.2/4.3 `iss` = account URL). */
async function issuingAccount(deps: Pick<AmoCrmDeps, "db">, accountId: string, iss: string): Promise<AmoPortalRow> {
  const portal = await findAmoAccount(deps.db, accountId);
  if (!portal || portal.status !== "active") throw new TokenRefused(`account ${accountId} is not an installed account`);
  let host: string;
  try {
    host = new URL(iss).host.toLowerCase();
  } catch {
    throw new TokenRefused("iss is not a URL");
  }
  if (host !== portal.domain.toLowerCase()) throw new TokenRefused(`iss ${host} is not the domain of account ${accountId}`);
  return portal;
}

type ServingKeys = IntegrationKeys & { serves: AmoPlatform[] };

/**
 * The token checked against each configured integration's secret (amoCRM, and Kommo when it
 * has its own registration: platform.ts); the keys that verified it come back with it.
 */
async function verifyWithKeys(deps: Pick<AmoCrmDeps, "config" | "clock">, token: string, algorithms: string[]): Promise<{ payload: Record<string, unknown>; keys: ServingKeys }> {
  const sets = allIntegrationKeys(deps.config);
  if (sets.length === 0) throw new AppError("unavailable", "The amoCRM integration is not configured on this server");
  let refusal: TokenRefused | undefined;
  for (const keys of sets) {
    try {
      return { payload: await verifySignature(deps, token, algorithms, keys.clientSecret), keys };
    } catch (err) {
      if (!(err instanceof TokenRefused)) throw err;
      refusal = err;
    }
  }
  throw refusal ?? new TokenRefused("no key verified the token");
}

/**
 * The token's keys must be the account's: those of the integration it installed when recorded
 * (settings.clientId), else keys serving its platform. A Kommo token does not open an amoCRM
 * account, nor the other way round.
 */
function assertServed(keys: ServingKeys, portal: AmoPortalRow): void {
  const installedWith = amoSettingsOf(portal).clientId;
  if (installedWith !== undefined) {
    if (keys.clientId !== installedWith) throw new TokenRefused("the token's integration is not the one the account installed");
    return;
  }
  if (!keys.serves.includes(platformOf(portal))) throw new TokenRefused(`the token's integration does not serve ${platformOf(portal)} accounts`);
}

async function guarded<T>(deps: Pick<AmoCrmDeps, "logger">, kind: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof TokenRefused) {
      deps.logger.info(`amocrm: ${kind} token refused`, { reason: err.message });
      throw refused();
    }
    throw err;
  }
}

/** 4.3: the widget's `X-Auth-Token`. */
export function verifyWidgetToken(deps: Pick<AmoCrmDeps, "db" | "config" | "clock" | "logger">, token: string): Promise<WidgetToken> {
  return guarded(deps, "widget", async () => {
    const { payload, keys } = await verifyWithKeys(deps, token, ["HS256"]);
    if (!audienceMatches(payload.aud, [amoRedirectUri(deps.config)])) throw new TokenRefused("aud is not our redirect URI's origin");
    const claims = widgetClaimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenRefused(`claims: ${claims.error.issues[0]?.path.join(".")}`);
    if (!timingSafeEqual(claims.data.client_uuid, keys.clientId)) throw new TokenRefused("client_uuid is another integration's");
    const portal = await issuingAccount(deps, claims.data.account_id, claims.data.iss);
    assertServed(keys, portal);
    return { portal, accountId: claims.data.account_id, userId: claims.data.user_id };
  });
}

/**
 * 4.2: the Salesbot bot token. `aud` is checked only when present (the SDK checks it only when
 * given a receiver URL) against our public and redirect origins [U: the exact value amoCRM puts
 * there is not documented]; `client_uuid`, when present, must be ours.
 */
export function verifyBotToken(deps: Pick<AmoCrmDeps, "db" | "config" | "clock" | "logger">, token: string): Promise<BotToken> {
  return guarded(deps, "bot", async () => {
    const { payload, keys } = await verifyWithKeys(deps, token, ["HS512"]);
    if (payload.user_id !== undefined) throw new TokenRefused("a user's widget token is not a bot token");
    if (payload.aud !== undefined && !audienceMatches(payload.aud, [deps.config.PUBLIC_URL, amoRedirectUri(deps.config)])) {
      throw new TokenRefused("aud is not our origin");
    }
    const claims = botClaimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenRefused(`claims: ${claims.error.issues[0]?.path.join(".")}`);
    if (claims.data.client_uuid !== undefined && !timingSafeEqual(claims.data.client_uuid, keys.clientId)) {
      throw new TokenRefused("client_uuid is another integration's");
    }
    const portal = await issuingAccount(deps, claims.data.account_id, claims.data.iss);
    assertServed(keys, portal);
    const { entity_type: entityType, entity_id: entityId, bot_type: botType } = claims.data;
    return {
      portal,
      accountId: claims.data.account_id,
      ...(entityType !== undefined ? { entityType } : {}),
      ...(entityId !== undefined ? { entityId } : {}),
      ...(botType !== undefined ? { botType } : {}),
    };
  });
}
