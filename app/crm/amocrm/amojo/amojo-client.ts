import { z } from "zod";
import { utf8 } from "../../../core/encoding.js";
import { countCrmAnswer } from "../client.js";
import { metricsOf } from "../../../core/metrics.js";
import type { AmoCrmDeps } from "../deps.js";
import { AmoCrmError, AmoCrmRetryableError } from "../errors.js";
import type { AmojoChannel } from "./channel-config.js";
import { signAmojoRequest } from "./sign.js";

const TIMEOUT_MS = 30_000;
/** How long to wait after a 429 without Retry-After (2.10: no published amojo limit). */
const RATE_LIMIT_WAIT_MS = 30_000;

/** 2.10 [unverified schema]: amojo error bodies as one open-source client reads them. */
const errorBodySchema = z.looseObject({
  error_code: z.union([z.string(), z.number()]).optional(),
  error_type: z.string().optional(),
  error_description: z.string().optional(),
});

function describeError(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) return text.slice(0, 200);
  const { error_code, error_type, error_description } = parsed.data;
  return [error_type, error_code, error_description].filter((p) => p !== undefined).join(" ").slice(0, 200) || text.slice(0, 200);
}

function retryAfterMs(res: Response): number {
  const seconds = Number(res.headers.get("retry-after"));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 600_000) : RATE_LIMIT_WAIT_MS;
}

/**
 * One amojo host (2.1) called as the registered channel: every request signed (2.4), the body
 * serialised once and exactly those bytes sent. 403 (signature), 400 (data) and 404 (unknown
 * channel or message) cannot be fixed by retrying: AmoCrmError. 429, 5xx and network failures
 * come back later: AmoCrmRetryableError.
 */
export class AmojoClient {
  constructor(
    private readonly deps: Pick<AmoCrmDeps, "fetch" | "clock" | "metrics">,
    private readonly baseUrl: string,
    private readonly channel: AmojoChannel,
  ) {}

  async call<S extends z.ZodType>(method: "GET" | "POST" | "DELETE", path: string, body: unknown, schema: S): Promise<z.output<S>> {
    const url = new URL(`${this.baseUrl}${path}`);
    const bytes = body === undefined ? new Uint8Array(0) : utf8.encode(JSON.stringify(body));
    const headers = await signAmojoRequest({ method, path: url.pathname, body: bytes, secret: this.channel.secret, at: this.deps.clock.now() });
    let res: Response;
    try {
      res = await this.deps.fetch(url.toString(), {
        method,
        headers: { ...headers, accept: "application/json" },
        ...(method === "GET" ? {} : { body: bytes }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        // a redirect would be followed with our signature to wherever it points
        redirect: "manual",
      });
    } catch (err) {
      metricsOf(this.deps).inc("chatbridge_crm_calls_total", { crm: "amojo", outcome: "network" });
      throw new AmoCrmRetryableError("network", `amojo unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    countCrmAnswer(this.deps, "amojo", res.status);
    const text = await res.text().catch(() => "");
    const what = `amojo ${method} ${path.split("?")[0]}`;
    if (res.status === 429) throw new AmoCrmRetryableError("rate_limited", `${what}: HTTP 429`, retryAfterMs(res));
    if (res.status >= 500) throw new AmoCrmRetryableError(`http_${res.status}`, `${what}: HTTP ${res.status} ${describeError(text)}`.trim());
    if (res.status === 403) throw new AmoCrmError("amojo_forbidden", `${what}: signature or channel refused (403) ${describeError(text)}`.trim(), 403);
    if (res.status === 404) throw new AmoCrmError("amojo_not_found", `${what}: not found (404) ${describeError(text)}`.trim(), 404);
    if (res.status < 200 || res.status >= 300) {
      throw new AmoCrmError(`http_${res.status}`, `${what}: HTTP ${res.status} ${describeError(text)}`.trim(), res.status);
    }
    let json: unknown;
    try {
      // 2.3: disconnect answers 200 with no body; 204 likewise has none (6.2 pitfall 11)
      json = text.trim() === "" ? undefined : JSON.parse(text);
    } catch {
      throw new AmoCrmError("bad_response", `${what}: the answer is not JSON`, res.status);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new AmoCrmError("bad_response", `${what}: unexpected answer (${parsed.error.issues[0]?.message ?? "invalid"})`, res.status);
    }
    return parsed.data;
  }
}
