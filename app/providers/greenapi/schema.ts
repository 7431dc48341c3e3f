import { z } from "zod";

/** What an admin copies from the Green-API console (reference/providers.md section 1, "Base URL and auth"). */
export const greenApiCredentialsSchema = z.object({
  idInstance: z
    .union([z.string().trim(), z.number().int()])
    .transform(String)
    .pipe(z.string().regex(/^\d{4,}$/, { error: "idInstance is the instance number from the console" })),
  /** a path segment of every call: keep URLs out of logs */
  apiTokenInstance: z.string().trim().min(1, { error: "apiTokenInstance is required" }),
  /** the instance's own apiUrl from the console; defaults to config.GREENAPI_API_URL */
  apiUrl: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .transform((s) => s.replace(/\/+$/, ""))
    .optional(),
  /**
   * the token Green-API puts in `Authorization` of its webhooks; when absent, configureWebhook
   * sets one derived from apiTokenInstance, so nothing extra has to be stored
   */
  webhookUrlToken: z.string().min(16, { error: "webhookUrlToken must be at least 16 characters" }).optional(),
});

export type GreenApiCredentials = z.output<typeof greenApiCredentialsSchema>;

export const sendAnswerSchema = z.object({ idMessage: z.string().min(1) });

/** `checkWhatsapp`; newer docs add `chatId`, possibly an `@lid` (section 1). */
export const checkWhatsappAnswerSchema = z.object({ existsWhatsapp: z.boolean(), chatId: z.string().optional() });

export const stateAnswerSchema = z.object({ stateInstance: z.string().min(1) });

export const qrAnswerSchema = z.object({
  type: z.enum(["qrCode", "alreadyLogged", "error"]),
  message: z.string(),
});

export const setSettingsAnswerSchema = z.object({ saveSettings: z.boolean() });

/** HTTP 466 body (section 1, "Rate limits and errors"). */
export const quotaErrorSchema = z.object({
  invokeStatus: z
    .object({
      method: z.string().optional(),
      used: z.number().optional(),
      total: z.number().optional(),
      status: z.string().optional(),
      description: z.string().optional(),
    })
    .optional(),
  correspondentsStatus: z.object({ status: z.string().optional(), description: z.string().optional() }).optional(),
});

// ---- webhooks (section 1) ----

const instanceDataSchema = z.object({
  idInstance: z.union([z.number(), z.string()]).transform(String),
  wid: z.string().optional(),
  typeInstance: z.string().optional(),
});

export const anyWebhookSchema = z.looseObject({ typeWebhook: z.string().min(1), instanceData: instanceDataSchema });

const fileMessageDataSchema = z.object({
  /** empty when Green-API could not fetch the media */
  downloadUrl: z.string(),
  caption: z.string().optional(),
  fileName: z.string().optional(),
  mimeType: z.string().optional(),
});

export const messageWebhookSchema = z.object({
  typeWebhook: z.enum(["incomingMessageReceived", "outgoingMessageReceived", "outgoingAPIMessageReceived"]),
  instanceData: instanceDataSchema,
  timestamp: z.number(),
  idMessage: z.string().min(1),
  senderData: z.object({
    chatId: z.string().min(1),
    sender: z.string().optional(),
    chatName: z.string().optional(),
    senderName: z.string().optional(),
    senderContactName: z.string().optional(),
  }),
  messageData: z.object({
    typeMessage: z.string().min(1),
    textMessageData: z.object({ textMessage: z.string() }).optional(),
    extendedTextMessageData: z.object({ text: z.string() }).optional(),
    fileMessageData: fileMessageDataSchema.optional(),
    /** field names from Green-API's docs, not in the sheet [U] */
    locationMessageData: z
      .object({
        latitude: z.number(),
        longitude: z.number(),
        nameLocation: z.string().optional(),
        address: z.string().optional(),
      })
      .optional(),
    /** field names from Green-API's docs, not in the sheet [U] */
    contactMessageData: z.object({ displayName: z.string(), vcard: z.string() }).optional(),
  }),
});
export type GreenApiMessageWebhook = z.output<typeof messageWebhookSchema>;

export const statusWebhookSchema = z.object({
  typeWebhook: z.literal("outgoingMessageStatus"),
  instanceData: instanceDataSchema,
  timestamp: z.number(),
  /**
   * Absent from the English docs' example (the Russian one has it): the status is then matched by
   * `idMessage` within the channel (providerIdEndingWith). `idMessage` and `status` are all a
   * status needs, and stay required.
   */
  chatId: z.string().min(1).optional(),
  idMessage: z.string().min(1),
  status: z.string().min(1),
  description: z.string().optional(),
  sendByApi: z.boolean().optional(),
});
export type GreenApiStatusWebhook = z.output<typeof statusWebhookSchema>;

export const stateWebhookSchema = z.object({
  typeWebhook: z.literal("stateInstanceChanged"),
  instanceData: instanceDataSchema,
  timestamp: z.number(),
  stateInstance: z.string().min(1),
});
