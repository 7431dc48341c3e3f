import { z } from "zod";

/** What an admin enters for a Wappi channel (reference/providers.md section 2, "Base URL and auth"). */
export const wappiCredentialsSchema = z.object({
  /** sent raw in `Authorization`, without `Bearer` */
  apiToken: z.string().trim().min(1, { error: "the Wappi API token is required" }),
  profileId: z.string().trim().min(1, { error: "the Wappi profile_id is required" }),
  /** WhatsApp profiles live under /api, Telegram user-account profiles under /tapi */
  messenger: z.enum(["whatsapp", "telegram"]).default("whatsapp"),
  /** defaults to config.WAPPI_API_URL */
  apiUrl: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .transform((s) => s.replace(/\/+$/, ""))
    .optional(),
});

export type WappiCredentials = z.output<typeof wappiCredentialsSchema>;

const idString = z.union([z.string().min(1), z.number()]).transform(String);

/** `POST …/sync/message/send` and the file variants (seed 003). Telegram ids are numeric [U]. */
export const sendAnswerSchema = z.object({
  status: z.literal("done"),
  message_id: idString,
  task_id: z.string().optional(),
});

/** `GET …/sync/get/status` (seed 003). */
export const statusAnswerSchema = z.object({
  authorized: z.boolean(),
  app_status: z.string().optional(),
  phone: z.string().optional(),
  name: z.string().optional(),
});

/** `GET /api/sync/contact/check` answers `on_whatsapp` [V]; the Telegram twin's `on_telegram` is [U]. */
export const contactCheckAnswerSchema = z.object({
  on_whatsapp: z.boolean().optional(),
  on_telegram: z.boolean().optional(),
});

/** QR answer: the field name is [U] (section 2 suggests `qrCode`); bare base64 or a data URL. */
export const qrAnswerSchema = z.object({ qrCode: z.string().min(1) });

/** `webhook/url/set` and `webhook/types/set`: `{"status":"done"}` [U]. */
export const doneAnswerSchema = z.object({ status: z.literal("done") });

/** Error bodies: `{"status":"error","detail":"…"}`, or `{"detail":"Invalid token"}` on 401 (section 2). */
export const errorBodySchema = z.object({ detail: z.string(), status: z.string().optional() });

// ---- webhooks (section 2, "Webhooks" [S]) ----

const itemBase = {
  profile_id: z.string().optional(),
  /** ISO 8601 with offset (seed 003); without it and `time` the event is dated on arrival */
  timestamp: z.string().optional(),
  /** unix seconds (third-party code, section 2) */
  time: z.number().optional(),
};

/** `incoming_message` and `outgoing_message_phone` share one shape (section 2). */
export const messageItemSchema = z.object({
  ...itemBase,
  wh_type: z.enum(["incoming_message", "outgoing_message_phone"]),
  /** required: the message's identity (dedup, edits); every documented example has it */
  id: idString,
  type: z.string().default("chat"),
  body: z.string().nullish(),
  from: idString.optional(),
  to: idString.optional(),
  chatId: idString.optional(),
  senderName: z.string().nullish(),
  contact_name: z.string().nullish(),
  contact_phone: idString.nullish(),
  username: z.string().nullish(),
  caption: z.string().nullish(),
  file_link: z.string().nullish(),
  file_name: z.string().nullish(),
  mimetype: z.string().nullish(),
});
export type WappiMessageItem = z.output<typeof messageItemSchema>;

/** `delivery_status` [U: shape from section 2]: `id` is our send's message_id. */
export const deliveryItemSchema = z.object({
  ...itemBase,
  wh_type: z.literal("delivery_status"),
  id: idString,
  status: z.string().min(1),
});
export type WappiDeliveryItem = z.output<typeof deliveryItemSchema>;

/** `authorization_status` [U: section 2 names the type only]: `authorized` as in get/status, or a `status` word. */
export const authorizationItemSchema = z.object({
  ...itemBase,
  wh_type: z.literal("authorization_status"),
  authorized: z.boolean().optional(),
  status: z.string().optional(),
});
export type WappiAuthorizationItem = z.output<typeof authorizationItemSchema>;

export const anyItemSchema = z.looseObject({ wh_type: z.string().min(1), profile_id: z.string().optional() });

/** The envelope: `messages` is normally an array, but some deliveries carry a single object (section 2). */
export const webhookEnvelopeSchema = z.object({
  messages: z.union([z.array(z.unknown()), z.looseObject({})]),
});
