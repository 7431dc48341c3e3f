import { z } from "zod";

/** What the operator pastes from @BotFather (channels-next.md 1 "Base URL, auth, channel verification"). */
export const telegramCredentialsSchema = z.object({
  /** `<bot id>:<secret>`; a path segment of every call, so URLs with it never reach logs or errors */
  botToken: z
    .string()
    .trim()
    .regex(/^\d{3,20}:[A-Za-z0-9_-]{30,64}$/, { error: "botToken is the token @BotFather gave, like 123456789:AAE…" }),
  /** a self-hosted Bot API server (tdlib/telegram-bot-api); defaults to config.TELEGRAM_API_URL */
  apiUrl: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .transform((s) => s.replace(/\/+$/, ""))
    .optional(),
});

export type TelegramCredentials = z.output<typeof telegramCredentialsSchema>;

// Telegram objects grow fields with every Bot API version: loose objects keep parsing them.

/** `{"ok":true,"result":…}` (channels-next.md 1 "Reply envelope"). */
export function okEnvelope<S extends z.ZodType>(result: S) {
  return z.looseObject({ ok: z.literal(true), result });
}

/** `{"ok":false,"error_code":429,"description":"…","parameters":{"retry_after":7}}`; `error_code` is "subject to change". */
export const errorEnvelopeSchema = z.looseObject({
  ok: z.literal(false),
  error_code: z.number().int().optional(),
  description: z.string().optional(),
  parameters: z
    .looseObject({ retry_after: z.number().optional(), migrate_to_chat_id: z.number().optional() })
    .optional(),
});
export type TelegramErrorEnvelope = z.output<typeof errorEnvelopeSchema>;

/** getMe's `User`: `is_bot` stays required there, it is how describe() tells a bot token from another. */
export const userSchema = z.looseObject({
  id: z.number().int(),
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});
export type TelegramUser = z.output<typeof userSchema>;

/**
 * A message's sender: Telegram's own example updates (core.telegram.org/bots/webhooks, "Testing
 * your bot with updates") leave `is_bot` out of `from`, and nothing reads it there.
 */
const senderSchema = userSchema.extend({ is_bot: z.boolean().optional() });

/**
 * `type` is absent from the first example update of core.telegram.org/bots/webhooks; it is then
 * read from the id's sign (users' private chats are positive, groups and channels negative), so
 * the private-chat filter still holds. `id` stays required: it is the conversation.
 */
export const chatSchema = z
  .looseObject({
    id: z.number().int(),
    type: z.string().optional(),
  title: z.string().optional(),
  username: z.string().optional(),
    first_name: z.string().optional(),
    last_name: z.string().optional(),
  })
  .transform((chat) => ({ ...chat, type: chat.type ?? (chat.id > 0 ? "private" : "group") }));

/**
 * `file_unique_id` (Bot API 4.5) is absent from the audio, voice and document example updates of
 * core.telegram.org/bots/webhooks; it only names the file. `file_id` stays required: getFile needs it.
 */
const fileBase = { file_id: z.string().min(1), file_unique_id: z.string().min(1).optional(), file_size: z.number().optional() };

const photoSizeSchema = z.looseObject({ ...fileBase, width: z.number(), height: z.number() });
const namedFileSchema = z.looseObject({ ...fileBase, file_name: z.string().optional(), mime_type: z.string().optional() });
const stickerSchema = z.looseObject({
  ...fileBase,
  is_animated: z.boolean(),
  is_video: z.boolean(),
  emoji: z.string().optional(),
});
const locationSchema = z.looseObject({ latitude: z.number(), longitude: z.number() });

/** The subset of `Message` we read; everything else is kept by looseObject and ignored. */
export const messageSchema = z.looseObject({
  message_id: z.number().int(),
  date: z.number().int(),
  edit_date: z.number().int().optional(),
  chat: chatSchema,
  from: senderSchema.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  photo: z.array(photoSizeSchema).optional(),
  document: namedFileSchema.optional(),
  voice: namedFileSchema.optional(),
  audio: namedFileSchema.optional(),
  video: namedFileSchema.optional(),
  video_note: namedFileSchema.optional(),
  animation: namedFileSchema.optional(),
  sticker: stickerSchema.optional(),
  location: locationSchema.optional(),
  venue: z.looseObject({ location: locationSchema, title: z.string(), address: z.string() }).optional(),
  contact: z
    .looseObject({
      phone_number: z.string(),
      first_name: z.string(),
      last_name: z.string().optional(),
      user_id: z.number().int().optional(),
    })
    .optional(),
});
export type TelegramMessage = z.output<typeof messageSchema>;
export type TelegramFileObject = z.output<typeof namedFileSchema>;

/** The subset of `Update` asked for in setWebhook's allowed_updates. */
export const updateSchema = z.looseObject({
  update_id: z.number().int(),
  message: messageSchema.optional(),
  edited_message: messageSchema.optional(),
  my_chat_member: z.looseObject({ chat: chatSchema }).optional(),
});
export type TelegramUpdate = z.output<typeof updateSchema>;

/** `getFile` result: `file_path` is absent when the file cannot be downloaded (over 20 MB). */
export const fileSchema = z.looseObject({
  file_id: z.string(),
  file_unique_id: z.string(),
  file_size: z.number().optional(),
  file_path: z.string().optional(),
});

export const webhookInfoSchema = z.looseObject({
  url: z.string(),
  has_custom_certificate: z.boolean(),
  pending_update_count: z.number(),
  last_error_date: z.number().optional(),
  last_error_message: z.string().optional(),
  max_connections: z.number().optional(),
  allowed_updates: z.array(z.string()).optional(),
});

export const getMeReply = okEnvelope(userSchema);
export const messageReply = okEnvelope(messageSchema);
export const fileReply = okEnvelope(fileSchema);
export const webhookInfoReply = okEnvelope(webhookInfoSchema);
export const trueReply = okEnvelope(z.boolean());
