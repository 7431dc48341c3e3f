import type { Peer } from "../providers/types.js";
import { AppError } from "./errors.js";
import { normalizePhone, type PhoneRegion } from "./phone.js";
import type { WebhookKind } from "./webhook-tokens.js";

/**
 * A website form's submission (webhook sendForm) as messages: the builder (Tilda, WordPress
 * Contact Form 7…) posts its own field names, the URL it keeps says what to send to whom.
 */

/** The visitor's answers as posted: field name -> value; lists arrive flat as `name[0]`, `name[1]`… */
export type FormFields = Record<string, string>;

/** Fields tried for the visitor's phone when the URL names none (Tilda: Phone; CF7 and plain HTML forms: phone, tel). */
const DEFAULT_PHONE_FIELDS = ["phone", "tel"];
/** Tilda's submission id; its retries of one submission carry the same one. */
const TILDA_SUBMISSION_FIELD = "tranid";
/** Submission ids become part of a dedup key; anything longer is not a builder's id. */
const MAX_SUBMISSION_ID = 100;
const PLACEHOLDER = /\{([^{}\r\n]{1,100})\}/g;
/** A Telegram chat id or @username, which `to` may be on a Telegram channel. */
const TELEGRAM_CHAT = /^(-?\d{1,20}|@[A-Za-z0-9_]{4,32})$/;

/** Field names matched case-insensitively, with a PHP-style list (`services[]`) read as one comma-separated value. */
export function fieldIndex(fields: FormFields): Map<string, { name: string; value: string }> {
  const index = new Map<string, { name: string; value: string }>();
  for (const [key, value] of Object.entries(fields)) {
    const list = /^(.+)\[(\d+)\]$/.exec(key);
    const name = list ? list[1]! : key;
    const lower = name.toLowerCase();
    const seen = index.get(lower);
    if (!seen) index.set(lower, { name, value });
    else if (list && seen.name === name) seen.value = `${seen.value}, ${value}`;
  }
  return index;
}

/**
 * Fills `{Field}` placeholders with the form's values. A placeholder naming no posted field
 * stays as written, so a typo shows in the message instead of silently vanishing, and is
 * reported so the integrator can fix the template.
 */
export function fillTemplate(template: string, fields: FormFields): { text: string; unknownFields: string[] } {
  const index = fieldIndex(fields);
  const unknown = new Set<string>();
  const text = template.replace(PLACEHOLDER, (whole, inner: string) => {
    const field = index.get(inner.trim().toLowerCase());
    if (field) return field.value;
    unknown.add(inner.trim());
    return whole;
  });
  return { text, unknownFields: [...unknown] };
}

/** Builders answer the saving of a webhook URL with a probe (Tilda: `test=test`); it must send nothing. */
export function isTestSubmission(fields: FormFields): boolean {
  return fieldIndex(fields).get("test")?.value.trim().toLowerCase() === "test";
}

/** The names that were posted, for an error message: never their values, which are the visitor's data. */
function postedNames(fields: FormFields): string {
  const names = [...new Set([...fieldIndex(fields).values()].map((f) => f.name.slice(0, 40)))];
  if (names.length === 0) return "none";
  return names.length > 20 ? `${names.slice(0, 20).join(", ")}… (${names.length} fields)` : names.join(", ");
}

function visitorPhone(fields: FormFields, phoneField: string | undefined, region: PhoneRegion): string {
  const index = fieldIndex(fields);
  const candidates = phoneField !== undefined ? [phoneField.toLowerCase()] : DEFAULT_PHONE_FIELDS;
  const found = candidates.map((name) => index.get(name)).find((f) => f !== undefined && f.value.trim() !== "");
  if (!found) {
    const which = phoneField !== undefined ? `the form has no non-empty field ${phoneField}` : "no Phone, phone or tel field in the form; set phone_field";
    throw new AppError("invalid_parameter", `phone_field: ${which} (fields posted: ${postedNames(fields)})`, { field: "phone_field" });
  }
  return normalizePhone(found.value, found.name, region);
}

function submissionIdOf(fields: FormFields, requestIdField: string | undefined): string | undefined {
  const index = fieldIndex(fields);
  const field = index.get((requestIdField ?? TILDA_SUBMISSION_FIELD).toLowerCase());
  const id = field?.value.trim();
  if (!id) {
    if (requestIdField === undefined) return undefined;
    throw new AppError("invalid_parameter", `request_id_field: the form has no non-empty field ${requestIdField} (fields posted: ${postedNames(fields)})`, {
      field: "request_id_field",
    });
  }
  if (id.length > MAX_SUBMISSION_ID || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new AppError("invalid_parameter", `request_id_field: the submission id must be at most ${MAX_SUBMISSION_ID} printable characters`, {
      field: "request_id_field",
    });
  }
  return id;
}

export interface FormConfig {
  kind: WebhookKind;
  body: string;
  to?: string | undefined;
  visitorBody?: string | undefined;
  phoneField?: string | undefined;
  requestIdField?: string | undefined;
  region: PhoneRegion;
}

export interface FormMessage {
  peer: Peer;
  text: string;
  /** the message's idempotency key, derived from the submission id; none without one */
  requestId?: string | undefined;
}

export interface FormPlan {
  /** to `to`, or to the visitor when there is no `to` */
  primary: FormMessage;
  /** the visitor's confirmation (visitor_body with `to`), or why it cannot go */
  visitor?: { message: FormMessage } | { error: AppError };
  unknownFields: string[];
}

const peerKey = (peer: Peer) => peer.chatId ?? peer.phone ?? "";

/**
 * What one submission sends. The manager's message (`to`) never depends on the visitor's
 * phone: a missing or unreadable one only drops the confirmation. Each message's key is the
 * submission id with its recipient and role, so a repeated delivery of the submission sends
 * neither again, while one submission may notify the manager and confirm to the visitor.
 */
export function planFormSubmission(config: FormConfig, fields: FormFields): FormPlan {
  if (config.visitorBody !== undefined && config.to === undefined) {
    throw new AppError("invalid_parameter", "visitor_body: only with to (without to, body already goes to the visitor)", { field: "visitor_body" });
  }
  const submission = submissionIdOf(fields, config.requestIdField);
  const primaryPeer: Peer =
    config.to === undefined
      ? { phone: visitorPhone(fields, config.phoneField, config.region) }
      : config.kind === "tg" && TELEGRAM_CHAT.test(config.to)
        ? { chatId: config.to }
        : { phone: normalizePhone(config.to, "to", config.region) };
  const primary = fillTemplate(config.body, fields);
  const plan: FormPlan = {
    primary: {
      peer: primaryPeer,
      text: primary.text,
      requestId: submission === undefined ? undefined : `form:${submission}:${peerKey(primaryPeer)}`,
    },
    unknownFields: primary.unknownFields,
  };
  if (config.visitorBody !== undefined) {
    const confirmation = fillTemplate(config.visitorBody, fields);
    plan.unknownFields = [...new Set([...plan.unknownFields, ...confirmation.unknownFields])];
    try {
      const peer: Peer = { phone: visitorPhone(fields, config.phoneField, config.region) };
      plan.visitor = {
        message: { peer, text: confirmation.text, requestId: submission === undefined ? undefined : `form:${submission}:visitor:${peerKey(peer)}` },
      };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      plan.visitor = { error: err };
    }
  }
  return plan;
}
