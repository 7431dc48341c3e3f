import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { AppError, errorResponse } from "../../core/errors.js";
import { normalizePhone, type PhoneRegion, phoneRegionSchema } from "../../core/phone.js";
import type { WebhookKind } from "../../core/webhook-tokens.js";
import type { Peer } from "../../providers/types.js";

/** Parameters are short strings; a text message is the largest. Anything far beyond is not a call of ours. */
const MAX_BODY_BYTES = 256 * 1024;

export type RawParams = Record<string, string>;

/**
 * Counts the bytes actually read (chunked and multipart bodies too), so no body is read whole
 * before its size is known. Mount it before any route that calls readParams.
 */
export const paramsBodyLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) =>
    errorResponse(c, new AppError("invalid_body", `the request body is larger than ${MAX_BODY_BYTES / 1024} KB`), c.get("requestId")),
});

/**
 * Lists travel as PHP does (`params[]=a&params[]=b`, also `params[0]=a`) or as a JSON array;
 * both are kept flat as `params[0]`, `params[1]`… so every method reads one shape.
 */
function addParam(out: RawParams, key: string, value: string): void {
  if (key.endsWith("[]")) {
    const base = key.slice(0, -2);
    let i = 0;
    while (`${base}[${i}]` in out) i++;
    out[`${base}[${i}]`] = value;
  } else if (!(key in out)) out[key] = value;
}

/** Reads a list parameter: `name[0]`, `name[1]`… in order, else `<single>1`, `<single>2`… (form builders and 1C send those). */
export function listParam(raw: RawParams, name: string, single: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < 100 && raw[`${name}[${i}]`] !== undefined; i++) out.push(raw[`${name}[${i}]`]!);
  if (out.length > 0) return out;
  for (let i = 1; i <= 100 && raw[`${single}${i}`] !== undefined; i++) out.push(raw[`${single}${i}`]!);
  return out;
}

function fromJson(text: string): RawParams {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError("invalid_body", "the body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new AppError("invalid_body", "the JSON body must be an object of parameters");
  }
  const out: RawParams = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value === null || value === undefined) continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[key] = String(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number")) {
      value.forEach((v, i) => (out[`${key}[${i}]`] = String(v)));
    } else throw new AppError("invalid_parameter", `${key}: must be a string, number or boolean`, { field: key });
  }
  return out;
}

async function fromMultipart(c: Context): Promise<RawParams> {
  const out: RawParams = {};
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new AppError("invalid_body", "the multipart body cannot be parsed");
  }
  for (const [key, value] of form.entries()) {
    if (typeof value !== "string") {
      throw new AppError("invalid_parameter", `${key}: files cannot be uploaded; pass a direct link to the file in body`, { field: key });
    }
    addParam(out, key, value);
  }
  return out;
}

/** The query string's parameters (lists flattened as `name[0]`, `name[1]`…). */
export function readQuery(c: Context): RawParams {
  const out: RawParams = {};
  for (const [key, value] of new URL(c.req.url).searchParams) addParam(out, key, value);
  return out;
}

/**
 * The body of a POST as flat parameters, whatever way it was sent: `application/x-www-form-urlencoded`,
 * `multipart/form-data` (without files) or JSON. A GET has none.
 */
export async function readBody(c: Context): Promise<RawParams> {
  if (c.req.method !== "POST") return {};
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "multipart/form-data") return fromMultipart(c);

  const text = await c.req.text();
  if (text.trim() === "") return {};
  if (type === "application/json" || type.endsWith("+json")) return fromJson(text);
  if (type === "application/x-www-form-urlencoded" || type === "" || type === "text/plain") {
    // 1C and shell scripts often post form data without a content type
    if (type === "" && text.trimStart().startsWith("{")) return fromJson(text);
    const body: RawParams = {};
    for (const [key, value] of new URLSearchParams(text)) addParam(body, key, value);
    return body;
  }
  throw new AppError("invalid_body", `unsupported Content-Type ${type}: use application/x-www-form-urlencoded or application/json`);
}

/**
 * Reads a webhook API call into one flat set of parameters, whatever way the integrator sent
 * them: the query string of a GET (what OLChat documents), or the body of a POST (see
 * readBody). Body parameters override query parameters of the same name, so a POST may keep
 * fixed ones in the URL.
 */
export async function readParams(c: Context): Promise<RawParams> {
  return { ...readQuery(c), ...(await readBody(c)) };
}

/**
 * Checks parameters against a method's schema. A parameter that is absent or blank is
 * `missing_parameter`, one that is present but wrong is `invalid_parameter`; the message
 * names the field either way, since integrators read it in a 1C or CRM log.
 */
export function parseParams<S extends z.ZodType>(schema: S, raw: RawParams): z.output<S> {
  // Form builders send unused fields as empty strings: a blank parameter counts as absent.
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v.trim() !== ""));
  const result = schema.safeParse(given);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? "parameters");
    return { field, missing: given[field] === undefined, message: issue.message };
  });
  const missing = issues.find((i) => i.missing);
  if (missing) throw new AppError("missing_parameter", `${missing.field} is required`, { field: missing.field });
  const first = issues[0]!;
  throw new AppError("invalid_parameter", `${first.field}: ${first.message}`, { field: first.field });
}

/** A required free-text parameter (blank counts as absent, see parseParams). */
export const textParam = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: "must not be empty" })
    .max(max, { error: `must be at most ${max} characters` });

/** OLChat's `Y|N`; JSON callers naturally send booleans, so true/false/1/0 are read the same way. */
export const yesNo = z
  .string()
  .trim()
  .toUpperCase()
  .pipe(z.enum(["Y", "N", "TRUE", "FALSE", "1", "0"], { error: "must be Y or N" }))
  .transform((v) => v === "Y" || v === "TRUE" || v === "1")
  .default(false);

/** `wait`: how long the answer may be held for the provider's verdict. */
export const MAX_WAIT_SECONDS = 10;
export const waitSeconds = z
  .string()
  .trim()
  .regex(/^\d+$/, { error: `must be whole seconds from 0 to ${MAX_WAIT_SECONDS}` })
  .transform(Number)
  .pipe(z.number().max(MAX_WAIT_SECONDS, { error: `must be at most ${MAX_WAIT_SECONDS} seconds` }))
  .default(0);

/** `if_capped`: over the channel's daily cap, queue for later (`wait`) or refuse at once (`fail`). */
export const ifCapped = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(["wait", "fail"], { error: "must be wait or fail" }))
  .default("wait");

/** Idempotency key chosen by the caller (an order number, a form submission id). */
export const requestId = z
  .string()
  .trim()
  .min(1, { error: "must not be empty" })
  .max(128, { error: "must be at most 128 characters" })
  .regex(/^[^\u0000-\u001f\u007f]+$/, { error: "must not contain control characters" })
  .optional();

export const phoneNumber = textParam(64).optional();

/** `country`: where phone_number is read when it has no country code, for this call only (else the portal's region). */
export const country = phoneRegionSchema.optional();
/** Telegram peers without a phone: a numeric chat id or an @username. */
export const chatId = z
  .string()
  .trim()
  .regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{4,32})$/, { error: "must be a numeric Telegram chat id or an @username" })
  .optional();

/**
 * The recipient of a call. WhatsApp channels address numbers only; Telegram channels take a
 * number or, for people who hide theirs, `chat_id`.
 */
export function peerOf(
  kind: WebhookKind,
  params: { phone_number?: string | undefined; chat_id?: string | undefined; country?: PhoneRegion | undefined },
  portalRegion?: PhoneRegion,
): Peer {
  if (params.chat_id !== undefined) {
    if (kind !== "tg") {
      throw new AppError("invalid_parameter", "chat_id: only Telegram channels (/rest/webhook/tg/...) accept chat_id", { field: "chat_id" });
    }
    if (params.phone_number !== undefined) {
      throw new AppError("invalid_parameter", "chat_id: give phone_number or chat_id, not both", { field: "chat_id" });
    }
    return { chatId: params.chat_id };
  }
  if (params.phone_number === undefined) {
    const alt = kind === "tg" ? " (or chat_id)" : "";
    throw new AppError("missing_parameter", `phone_number${alt} is required`, { field: "phone_number" });
  }
  return { phone: normalizePhone(params.phone_number, "phone_number", params.country ?? portalRegion) };
}
