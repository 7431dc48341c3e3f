import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { metricsOf } from "../../core/metrics.js";
import { type BracketInput, encodeBracketForm } from "./bracket-form.js";
import { Bitrix24Error, Bitrix24ReinstallNeededError, Bitrix24RetryableError } from "./errors.js";
import { type Bitrix24Deps, refreshPortalTokens } from "./oauth.js";
import { assertPortalEndpoint, decryptPortalAuth, findPortal, markNeedsReinstall, type PortalAuth, type PortalRow } from "./portal-auth.js";

export type Bitrix24Params = { readonly [key: string]: BracketInput };

export interface Bitrix24ClientOptions {
  /** waits after QUERY_LIMIT_EXCEEDED; its length bounds the in-call retries */
  backoffMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
  /** the portal's row when the caller has just read it: its tokens are used without reading it again */
  portal?: PortalRow;
}

export interface BatchCommand {
  /** the key results and errors come back under; `$result[key]` works only within one call of 50 */
  key?: string;
  method: string;
  params?: Bitrix24Params;
}

export interface BatchCommandError {
  error: string;
  error_description?: string;
}

export interface BatchResult {
  result: Record<string, unknown>;
  errors: Record<string, BatchCommandError>;
}

/** reference/bitrix24.md 2.4: at most 50 commands per batch call. */
export const BATCH_LIMIT = 50;

/** reference/bitrix24.md 2.2/2.3: limits that pass if we wait, as opposed to errors. */
const LIMIT_ERRORS = new Set(["QUERY_LIMIT_EXCEEDED"]);
/**
 * 2.3: the method's CPU-time budget over a sliding 10-minute window is spent; a one-minute
 * bucket drops each minute, so waiting seconds in the call cannot help: the job comes back later.
 */
const TIME_BUDGET_ERROR = "OPERATION_TIME_LIMIT";
const TIME_BUDGET_RETRY_MS = 60_000;
const RETRY_LATER_ERRORS = new Set(["INTERNAL_SERVER_ERROR", "OVERLOAD_LIMIT"]);
const METHOD_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/i;
const BATCH_KEY = /^[A-Za-z0-9_-]{1,64}$/;

const errorAnswerSchema = z.object({ error: z.string().min(1), error_description: z.string().optional() });
const commandErrorSchema = z.object({ error: z.coerce.string(), error_description: z.coerce.string().optional() });
/** PHP encodes an empty keyed array as `[]`, so batch maps may come back as arrays. */
const keyedSchema = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .transform((v): Record<string, unknown> => (Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [String(i), x])) : v));
const batchAnswerSchema = z.object({
  result: keyedSchema.default({}),
  result_error: keyedSchema.default({}),
});

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Answer = { ok: true; result: unknown } | { ok: false; status: number; error: string; description: string };

/**
 * A portal's REST API: `POST <client_endpoint><method>.json` with the params form-encoded and
 * `auth=<access_token>` (reference/bitrix24.md section 0). On `expired_token` it refreshes once
 * (single flight, oauth.ts) and repeats the call; on rate and time limits it backs off a few
 * times, then throws Bitrix24RetryableError so the job comes back later.
 */
export class Bitrix24Client {
  private auth: PortalAuth | undefined;
  private readonly backoffMs: readonly number[];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly deps: Bitrix24Deps,
    readonly memberId: string,
    private readonly opts: Bitrix24ClientOptions = {},
  ) {
    this.backoffMs = opts.backoffMs ?? [1000, 2000, 4000];
    this.sleep = opts.sleep ?? defaultSleep;
  }

  async call<S extends z.ZodType>(method: string, params: Bitrix24Params, schema: S): Promise<z.output<S>> {
    if (!METHOD_NAME.test(method)) throw new Bitrix24Error("invalid_method", `not a Bitrix24 method name: ${method}`);
    let auth = await this.currentAuth();
    let refreshed = false;
    let waits = 0;
    for (;;) {
      const answer = await this.send(auth, method, params);
      this.count(answer);
      if (answer.ok) {
        const parsed = schema.safeParse(answer.result);
        if (!parsed.success) {
          throw new Bitrix24Error("bad_response", `${method}: unexpected answer (${parsed.error.issues[0]?.message ?? "invalid"})`);
        }
        return parsed.data;
      }
      const { error, status, description } = answer;
      // 2.2: expired_token -> refresh and retry once; invalid_token is treated the same [UNVERIFIED wording]
      if ((error === "expired_token" || error === "invalid_token") && !refreshed) {
        refreshed = true;
        auth = await refreshPortalTokens(this.deps, this.memberId, auth.accessToken);
        this.auth = auth;
        continue;
      }
      if (LIMIT_ERRORS.has(error)) {
        const wait = this.backoffMs[waits];
        if (wait !== undefined) {
          waits += 1;
          await this.sleep(wait + Math.floor(Math.random() * wait * 0.2));
          continue;
        }
        throw new Bitrix24RetryableError(error, `${method}: ${error} after ${waits} retries`, (this.backoffMs.at(-1) ?? 1000) * 2);
      }
      if (error === TIME_BUDGET_ERROR) {
        throw new Bitrix24RetryableError(error, `${method}: ${error} (time budget of the method spent)`, TIME_BUDGET_RETRY_MS);
      }
      if (error === "PORTAL_DELETED") {
        // the portal no longer exists: nothing will succeed until it is installed again
        await markNeedsReinstall(this.deps.db, auth.portalId, this.deps.clock.now());
      }
      if (RETRY_LATER_ERRORS.has(error) || (status >= 500 && error !== "PORTAL_DELETED")) {
        throw new Bitrix24RetryableError(error, `${method}: ${error} (${status}) ${description}`.trim());
      }
      throw new Bitrix24Error(error, `${method}: ${error} ${description}`.trim(), status);
    }
  }

  /**
   * Runs commands through `batch`, 50 per call (longer lists are split; 2.4), and merges what
   * comes back. Per-command failures are in `errors` under the command's key; with `halt` the
   * remaining calls are skipped after the first failure.
   */
  async batch(commands: readonly BatchCommand[], opts: { halt?: boolean } = {}): Promise<BatchResult> {
    const keyed = commands.map((c, i) => ({ ...c, key: c.key ?? `c${i}` }));
    const seen = new Set<string>();
    for (const c of keyed) {
      if (!BATCH_KEY.test(c.key) || seen.has(c.key)) throw new Bitrix24Error("invalid_batch", `batch key "${c.key}" is invalid or repeated`);
      if (!METHOD_NAME.test(c.method) || c.method === "batch") throw new Bitrix24Error("invalid_batch", `batch cannot run "${c.method}"`);
      seen.add(c.key);
    }
    const result: Array<[string, unknown]> = [];
    const errors: Array<[string, BatchCommandError]> = [];
    for (let start = 0; start < keyed.length; start += BATCH_LIMIT) {
      const chunk = keyed.slice(start, start + BATCH_LIMIT);
      const cmd = Object.fromEntries(
        chunk.map((c) => [c.key, c.params ? `${c.method}?${encodeBracketForm(c.params)}` : c.method]),
      );
      const answer = await this.call("batch", { halt: opts.halt ? 1 : 0, cmd }, batchAnswerSchema);
      result.push(...Object.entries(answer.result));
      for (const [key, value] of Object.entries(answer.result_error)) {
        const parsed = commandErrorSchema.safeParse(value);
        errors.push([key, parsed.success ? parsed.data : { error: "unknown", error_description: JSON.stringify(value) }]);
      }
      if (opts.halt && errors.length > 0) break;
    }
    return { result: Object.fromEntries(result), errors: Object.fromEntries(errors) };
  }

  /** chatbridge_crm_calls_total / chatbridge_crm_throttled_total (2.2: QUERY_LIMIT_EXCEEDED, or a bare 503). */
  private count(answer: Answer): void {
    const metrics = metricsOf(this.deps);
    const throttled = !answer.ok && (LIMIT_ERRORS.has(answer.error) || answer.status === 503);
    metrics.inc("chatbridge_crm_calls_total", { crm: "bitrix24", outcome: answer.ok ? "ok" : throttled ? "throttled" : "error" });
    if (throttled) metrics.inc("chatbridge_crm_throttled_total", { crm: "bitrix24" });
  }

  private async currentAuth(): Promise<PortalAuth> {
    if (this.auth) return this.auth;
    const given = this.opts.portal?.externalId === this.memberId ? this.opts.portal : undefined;
    const row = given ?? (await findPortal(this.deps.db, this.memberId));
    if (!row) throw new Bitrix24ReinstallNeededError("portal_unknown", `Bitrix24 portal ${this.memberId} is not installed`);
    this.auth = await decryptPortalAuth(this.deps.keyring, row);
    return this.auth;
  }

  private async send(auth: PortalAuth, method: string, params: Bitrix24Params): Promise<Answer> {
    let endpoint: string;
    try {
      endpoint = assertPortalEndpoint(auth.clientEndpoint, this.deps.config.OUTBOUND_ALLOW_LOOPBACK);
    } catch (err) {
      throw new Bitrix24Error("invalid_endpoint", err instanceof AppError ? err.message : "unusable portal endpoint");
    }
    try {
      return await sendRestCall(this.deps.fetch, `${endpoint}${method}.json`, { ...params, auth: auth.accessToken }, this.opts.timeoutMs);
    } catch (err) {
      metricsOf(this.deps).inc("chatbridge_crm_calls_total", { crm: "bitrix24", outcome: "network" });
      throw err;
    }
  }
}

/** One HTTP round trip, its answer sorted into a result or a Bitrix24 error code. */
export async function sendRestCall(fetchFn: typeof fetch, url: string, body: Bitrix24Params, timeoutMs = 30_000): Promise<Answer> {
  let res: Response;
  try {
    res = await fetchFn(url, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      body: encodeBracketForm(body),
      signal: AbortSignal.timeout(timeoutMs),
      // the endpoint passed the SSRF guard; a redirect could lead past it (with our token in the body)
      redirect: "manual",
    });
  } catch (err) {
    throw new Bitrix24RetryableError("network", `Bitrix24 unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.status >= 300 && res.status < 400) {
    return { ok: false, status: res.status, error: `http_${res.status}`, description: "the portal answered with a redirect" };
  }
  const json: unknown = await res.json().catch(() => undefined);
  const failure = errorAnswerSchema.safeParse(json);
  if (failure.success) {
    return { ok: false, status: res.status, error: failure.data.error, description: failure.data.error_description ?? "" };
  }
  if (res.ok && json !== null && typeof json === "object" && "result" in json) return { ok: true, result: json.result };
  const code = res.ok ? "bad_response" : `http_${res.status}`;
  return { ok: false, status: res.status, error: code, description: "answer is not Bitrix24 JSON" };
}
