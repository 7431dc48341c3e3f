import { z } from "zod";

// Wire formats of the WhatsApp Business Cloud API (channels-next.md 2). Meta adds fields over
// time, so answers and webhooks are loose objects: only what we read is checked.

const graphId = (what: string) =>
  z
    .string()
    .trim()
    // ids are 15–17 digit numbers: a JSON number would lose digits, so only strings are taken
    .regex(/^\d{5,20}$/, { error: `${what} is the numeric id from WhatsApp Manager / the Meta app dashboard` });

/** What an admin copies from the Meta app dashboard (channels-next.md 2, "Base URL, auth"). */
export const whatsappCloudCredentialsSchema = z.object({
  /** a system-user (permanent) token in production; sent as `Authorization: Bearer` only */
  accessToken: z.string().trim().min(20, { error: "accessToken must be a Meta access token" }),
  /** sends and webhook routing (`value.metadata.phone_number_id`) */
  phoneNumberId: graphId("phoneNumberId"),
  /** templates and the app subscription */
  wabaId: graphId("wabaId"),
  /** the app's secret: key of the `X-Hub-Signature-256` HMAC (32 hex characters in Meta's dashboard) */
  appSecret: z.string().trim().min(16, { error: "appSecret is the App Secret from the app's basic settings" }),
  /** Graph base including the version, e.g. `https://graph.facebook.com/v23.0`; defaults to config */
  apiUrl: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .transform((s) => s.replace(/\/+$/, ""))
    .optional(),
  /** default language of template sends (`ru`, `en_US`…) when the request names none */
  templateLanguage: z
    .string()
    .trim()
    .regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, { error: "templateLanguage is a code like ru or en_US" })
    .optional(),
});

export type WhatsAppCloudCredentials = z.output<typeof whatsappCloudCredentialsSchema>;

/** Graph error body (channels-next.md 2 "Errors" [V]). */
export const graphErrorSchema = z.object({
  error: z.looseObject({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().int(),
    error_subcode: z.number().int().optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});
export type GraphError = z.output<typeof graphErrorSchema>["error"];

/** `GET /{Phone-Number-ID}?fields=…` */
export const phoneNumberSchema = z.looseObject({
  id: z.string().optional(),
  display_phone_number: z.string(),
  verified_name: z.string(),
  quality_rating: z.string(),
  name_status: z.string().optional(),
  code_verification_status: z.string().optional(),
});

/** `POST /{WABA-ID}/subscribed_apps` and `POST /{Phone-Number-ID}` */
export const successSchema = z.looseObject({ success: z.boolean() });

/** `POST /{Phone-Number-ID}/messages`: 200 means accepted, not sent (channels-next.md 2 "Outbound"). */
export const sendAnswerSchema = z.looseObject({
  messaging_product: z.literal("whatsapp").optional(),
  contacts: z.array(z.looseObject({ input: z.string().optional(), wa_id: z.string().optional() })).optional(),
  messages: z.array(z.looseObject({ id: z.string().min(1), message_status: z.string().optional() })).min(1),
});

/** `GET /{Media-ID}`: the URL is valid 5 minutes and needs the same Bearer header. */
export const mediaUrlSchema = z.looseObject({
  url: z.url({ protocol: /^https?$/ }),
  mime_type: z.string().min(1),
  file_size: z.union([z.string(), z.number()]).optional(),
  sha256: z.string().optional(),
  id: z.string().optional(),
});

/** `POST /{Phone-Number-ID}/media` */
export const mediaUploadSchema = z.looseObject({ id: z.string().min(1) });

const templateComponentSchema = z.looseObject({
  type: z.string(),
  format: z.string().optional(),
  text: z.string().optional(),
});

/** One page of `GET /{WABA-ID}/message_templates` (channels-next.md 2 "Templates"). */
export const templatesPageSchema = z.looseObject({
  data: z.array(
    z.looseObject({
      id: z.string().optional(),
      name: z.string().min(1),
      language: z.string().min(1),
      status: z.string(),
      category: z.string(),
      components: z.array(templateComponentSchema).default([]),
    }),
  ),
  paging: z
    .looseObject({
      cursors: z.looseObject({ before: z.string().optional(), after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});

// ---- webhooks (channels-next.md 2 "Inbound payloads") ----

/** seconds since the epoch, sent as a string */
const unixSeconds = z.union([z.string().regex(/^\d+$/), z.number().int()]).transform((s) => new Date(Number(s) * 1000));

const mediaSchema = z.looseObject({
  id: z.string().min(1),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
});

/**
 * `code` is not required by Meta's own schema of a status error (OpenAPI v23.0 `StatusError`
 * lists no required field): a failed status whose error has none still fails the message.
 */
const webhookErrorSchema = z.looseObject({
  code: z.number().int().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});
export type WebhookError = z.output<typeof webhookErrorSchema>;

/** location, contacts, reaction, interactive and button shapes are [U] in the sheet (SDK lists the types only). */
export const inboundMessageSchema = z.looseObject({
  from: z.string().min(1),
  id: z.string().min(1),
  timestamp: unixSeconds,
  type: z.string().min(1),
  text: z.looseObject({ body: z.string() }).optional(),
  image: mediaSchema.optional(),
  video: mediaSchema.optional(),
  audio: mediaSchema.optional(),
  document: mediaSchema.optional(),
  sticker: mediaSchema.optional(),
  location: z
    .looseObject({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional() })
    .optional(),
  contacts: z
    .array(
      z.looseObject({
        name: z.looseObject({ formatted_name: z.string().optional(), first_name: z.string().optional() }).optional(),
        phones: z.array(z.looseObject({ phone: z.string().optional(), wa_id: z.string().optional() })).optional(),
      }),
    )
    .optional(),
  interactive: z
    .looseObject({
      type: z.string(),
      button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
    })
    .optional(),
  button: z.looseObject({ text: z.string(), payload: z.string().optional() }).optional(),
  reaction: z.looseObject({ message_id: z.string().optional(), emoji: z.string().optional() }).optional(),
});
export type InboundMessage = z.output<typeof inboundMessageSchema>;

/**
 * `conversation` and `pricing` are not read (read statuses come without them); `id`, `status` and
 * `timestamp` are required by Meta's schema and by us. `recipient_id` is required by Meta's
 * schema but not needed: the wamid names the message.
 */
export const statusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: unixSeconds,
  recipient_id: z.string().optional(),
  errors: z.array(webhookErrorSchema).optional(),
});
export type StatusUpdate = z.output<typeof statusSchema>;

/** Just enough of a change's value to route it to its number's channel. */
export const routingSchema = z.looseObject({ metadata: z.looseObject({ phone_number_id: z.string() }) });

/** `value` of a `messages` change: one of messages[], statuses[] or errors[] in practice. */
export const messagesValueSchema = z.looseObject({
  messaging_product: z.string().optional(),
  /** required (and in every Meta example): the change is routed to its channel by phone_number_id */
  metadata: z.looseObject({ phone_number_id: z.string().min(1), display_phone_number: z.string().optional() }),
  contacts: z.array(z.looseObject({ wa_id: z.string().optional(), profile: z.looseObject({ name: z.string().optional() }).optional() })).optional(),
  messages: z.array(inboundMessageSchema).optional(),
  statuses: z.array(statusSchema).optional(),
  errors: z.array(webhookErrorSchema).optional(),
});
export type MessagesValue = z.output<typeof messagesValueSchema>;

export const envelopeSchema = z.object({
  object: z.literal("whatsapp_business_account"),
  entry: z.array(
    z.looseObject({
      id: z.string(),
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
    }),
  ),
});
