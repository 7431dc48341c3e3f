import { z } from "zod";
import { metricsOf } from "../../core/metrics.js";
import { hitRateLimit, type RateLimit } from "../../core/rate-limit.js";
import { assertAccountBaseUrl } from "./account-host.js";
import type { AmoCrmDeps } from "./deps.js";
import { AmoCrmError, AmoCrmReinstallNeededError, AmoCrmRetryableError } from "./errors.js";
import { refreshAmoTokens } from "./oauth.js";
import { findAmoPortalById } from "./portal.js";
import { type AmoAuth, decryptAmoAuth, markAmoNeedsReinstall } from "./tokens.js";

export type AmoMethod = "GET" | "POST" | "PATCH" | "DELETE";

export interface AmoCrmClientOptions {
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
  /** the per-account budget; 5.7 allows 7 rps, we stay under it */
  rateLimit?: RateLimit;
}

/**
 * reference/amocrm.md 5.7: "≤ 7 requests/second … use a token bucket (e.g. 5 rps) per account".
 * Whether amoCRM counts per account, token or IP is [U]; per account is what we can hold to.
 */
export const AMOCRM_RATE_LIMIT: RateLimit = { limit: 5, windowMs: 1000 };
/** Refresh a little before the 24 h access token expires (1.1), so calls do not meet a 401 first. */
const REFRESH_AHEAD_MS = 5 * 60_000;
/** Over our own budget: wait in the call this long at most, this many times, then hand the job back. */
const MAX_RATE_WAIT_MS = 2_000;
const MAX_RATE_WAITS = 3;
/** 429 without Retry-After: come back after this (6.2 pitfall 12: repeated 429 escalates to an IP block). */
const TOO_MANY_BACKOFF_MS = 5_000;
const API_PATH = /^\/api\/v4\//;

/** 5.7 problem+json; `validation-errors` carries the field-level reasons. */
const problemSchema = z.looseObject({
  title: z.string().optional(),
  detail: z.string().optional(),
  hint: z.string().optional(),
  "validation-errors": z
    .array(
      z.looseObject({
        request_id: z.union([z.string(), z.number()]).optional(),
        errors: z.array(z.looseObject({ code: z.string().optional(), path: z.string().optional(), detail: z.string().optional() })).optional(),
      }),
    )
    .optional(),
});

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a failed answer says, in one line: title, detail, and each validation error's path and detail. */
export function describeProblem(body: unknown): string {
  const parsed = problemSchema.safeParse(body);
  if (!parsed.success) return "";
  const p = parsed.data;
  const fields = (p["validation-errors"] ?? []).flatMap((v) =>
    (v.errors ?? []).map((e) => `${v.request_id !== undefined ? `[${v.request_id}] ` : ""}${e.path ?? ""}${e.path ? ": " : ""}${e.detail ?? e.code ?? ""}`),
  );
  return [p.title, p.detail ?? p.hint, fields.join("; ")].filter((s) => s !== undefined && s !== "").join(" — ");
}

function retryAfterMs(res: Response): number | undefined {
  const raw = res.headers.get("retry-after");
  if (!raw) return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(1000, at - Date.now());
}

/** chatbridge_crm_calls_total / chatbridge_crm_throttled_total for one answer of amoCRM or amojo (5.7, 2.10: 429). */
export function countCrmAnswer(deps: Pick<AmoCrmDeps, "metrics">, crm: "amocrm" | "amojo", status: number): void {
  const metrics = metricsOf(deps);
  const outcome = status === 429 ? "throttled" : status >= 200 && status < 300 ? "ok" : "error";
  metrics.inc("chatbridge_crm_calls_total", { crm, outcome });
  if (outcome === "throttled") metrics.inc("chatbridge_crm_throttled_total", { crm });
}

/**
 * An account's REST API v4 (reference/amocrm.md 5): Bearer token, JSON both ways, 204 = nothing
 * (null). The token is refreshed ahead of expiry and once on a 401 (single flight, oauth.ts); a
 * second 401 means the grant is gone (1.4 "revoked") and the account needs a reinstall. Calls are
 * kept under 5 per second per account across instances (5.7); 429, 5xx and network failures
 * become AmoCrmRetryableError so the job comes back later.
 */
export class AmoCrmClient {
  private auth: AmoAuth | undefined;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly deps: AmoCrmDeps,
    readonly portalId: string,
    private readonly opts: AmoCrmClientOptions = {},
  ) {
    this.sleep = opts.sleep ?? defaultSleep;
  }

  /**
   * `pathOrUrl`: `/api/v4/...` relative to the account's base URL, or an absolute URL on the
   * account's own origin (a Salesbot `return_url`, 4.2); anything else is `foreign_url`, since the
   * Bearer token goes with it. Returns null for 204 and any other success without a body
   * (202 of a Salesbot continue).
   */
  async request<S extends z.ZodType>(method: AmoMethod, pathOrUrl: string, body: unknown, schema: S): Promise<z.output<S> | null> {
    let auth = await this.currentAuth();
    const url = this.resolve(auth, pathOrUrl);
    if (auth.expiresAt && auth.expiresAt.getTime() - this.deps.clock.now().getTime() < REFRESH_AHEAD_MS) {
      auth = await this.refresh(auth);
    }
    let refreshed = false;
    for (;;) {
      await this.takeTurn(auth.accountId);
      const res = await this.send(auth, method, url, body);
      countCrmAnswer(this.deps, "amocrm", res.status);
      if (res.status === 401) {
        await res.body?.cancel();
        if (!refreshed) {
          refreshed = true;
          auth = await this.refresh(auth);
          continue;
        }
        await markAmoNeedsReinstall(this.deps.db, auth.portalId, this.deps.clock.now());
        this.deps.logger.warn("amocrm: fresh token refused, account needs a reinstall", { account_id: auth.accountId });
        throw new AmoCrmReinstallNeededError("unauthorized", `${method} ${url.pathname}: amoCRM refused a fresh token (401)`, 401);
      }
      return this.readAnswer(method, url, res, schema);
    }
  }

  private resolve(auth: AmoAuth, pathOrUrl: string): URL {
    const base = new URL(assertAccountBaseUrl(auth.baseUrl, this.deps.config.OUTBOUND_ALLOW_LOOPBACK).baseUrl);
    let url: URL;
    try {
      url = pathOrUrl.startsWith("/") && !pathOrUrl.startsWith("//") ? new URL(pathOrUrl, base) : new URL(pathOrUrl);
    } catch {
      throw new AmoCrmError("foreign_url", `not a URL: ${pathOrUrl.slice(0, 200)}`);
    }
    if (url.origin !== base.origin || url.username || url.password || !API_PATH.test(url.pathname)) {
      throw new AmoCrmError("foreign_url", `${url.origin}${url.pathname} is not an API v4 address of account ${auth.accountId}`);
    }
    return url;
  }

  private async readAnswer<S extends z.ZodType>(method: AmoMethod, url: URL, res: Response, schema: S): Promise<z.output<S> | null> {
    const what = `${method} ${url.pathname}`;
    if (res.status === 204) return null;
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      // the Bearer token would follow a redirect to wherever it points
      throw new AmoCrmError("redirected", `${what}: amoCRM answered with a redirect (${res.status})`, res.status);
    }
    const text = await res.text().catch(() => "");
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.ok) {
      // 202 of a Salesbot continue (4.2) and other bodiless successes: nothing to check
      if (text.trim() === "") return null;
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new AmoCrmError("bad_response", `${what}: unexpected answer (${parsed.error.issues[0]?.message ?? "invalid"})`, res.status);
      return parsed.data;
    }
    const why = describeProblem(json);
    const message = `${what}: amoCRM answered ${res.status}${why ? ` (${why})` : ""}`;
    if (res.status === 429) throw new AmoCrmRetryableError("rate_limited", message, retryAfterMs(res) ?? TOO_MANY_BACKOFF_MS);
    if (res.status >= 500) throw new AmoCrmRetryableError("server_error", message, retryAfterMs(res));
    // 402 subscription expired, 403 rights / IP block (5.7): retrying as is does not help
    if (res.status === 402) throw new AmoCrmError("payment_required", message, 402);
    if (res.status === 403) throw new AmoCrmError("forbidden", message, 403);
    if (res.status === 404) throw new AmoCrmError("not_found", message, 404);
    throw new AmoCrmError(res.status === 400 ? "validation" : `http_${res.status}`, message, res.status);
  }

  private async send(auth: AmoAuth, method: AmoMethod, url: URL, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${auth.accessToken}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      return await this.deps.fetch(url.toString(), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        redirect: "manual",
      });
    } catch (err) {
      metricsOf(this.deps).inc("chatbridge_crm_calls_total", { crm: "amocrm", outcome: "network" });
      throw new AmoCrmRetryableError("network", `${method} ${url.pathname}: amoCRM unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** 5.7: a shared per-account budget (rate_buckets), so instances together stay under the limit. */
  private async takeTurn(accountId: string): Promise<void> {
    const rule = this.opts.rateLimit ?? AMOCRM_RATE_LIMIT;
    for (let waits = 0; ; waits += 1) {
      const decision = await hitRateLimit(this.deps.db, `amocrm:${accountId}`, rule, this.deps.clock.now());
      if (decision.allowed) return;
      if (waits >= MAX_RATE_WAITS || decision.retryAfterMs > MAX_RATE_WAIT_MS) {
        throw new AmoCrmRetryableError("rate_limited", `amoCRM account ${accountId}: our request budget is spent`, decision.retryAfterMs);
      }
      await this.sleep(decision.retryAfterMs + Math.floor(Math.random() * 100));
    }
  }

  private async refresh(stale: AmoAuth): Promise<AmoAuth> {
    this.auth = await refreshAmoTokens(this.deps, this.portalId, stale.accessToken);
    return this.auth;
  }

  private async currentAuth(): Promise<AmoAuth> {
    if (this.auth) return this.auth;
    const row = await findAmoPortalById(this.deps.db, this.portalId);
    if (!row) throw new AmoCrmReinstallNeededError("account_unknown", `amoCRM account ${this.portalId} is not installed`);
    this.auth = await decryptAmoAuth(this.deps.keyring, row);
    return this.auth;
  }
}
