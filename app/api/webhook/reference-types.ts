import type { ErrorCode } from "../../core/errors.js";
import type { WebhookMethod } from "./auth.js";

/** The docs' languages: English (also the OpenAPI document's) and Russian, for most of the integrators. */
export type DocLang = "en" | "ru";

/** One text in both languages, so a translation cannot be missing or drift into a second copy. */
export type Localized = Record<DocLang, string>;

export interface ParamDoc {
  name: string;
  required: boolean;
  type: "string" | "integer" | "boolean";
  /** OLChat's Y|N flags */
  yesNo?: boolean;
  /** a regular expression the value must match (OpenAPI `pattern`) */
  pattern?: string;
  description: Localized;
  example: string;
}

export interface MethodDoc {
  name: WebhookMethod;
  summary: Localized;
  description: Localized;
  limit: Localized;
  /**
   * The method's parameters. For a method with `formFields` they configure the call and travel
   * in the query string only; the body carries the form's own fields.
   */
  params: ParamDoc[];
  /** sendForm: example fields a form builder posts (its own names), shown in the recipes */
  formFields?: Array<[name: string, value: string]>;
  /** a successful answer */
  answer: Record<string, unknown>;
  errors: ErrorCode[];
  warning?: Localized;
}

export const sendAnswer = { ok: true, message_id: "0b9c6a8e-3f61-4c7e-9d0e-2a1f5b7c8d90", status: "queued" };
export const sendErrors: ErrorCode[] = [
  "missing_parameter",
  "invalid_parameter",
  "invalid_phone",
  "channel_not_connected",
  "no_messenger",
  "send_failed",
  "rate_limited",
  "daily_cap_reached",
];
