import { z } from "zod";

/**
 * Wahelp channel credentials (reference/providers.md 6a). The API host is not published, so it
 * comes from `apiUrl` or the deployment's WAHELP_API_URL.
 */
export const wahelpCredentials = z.object({
  login: z.string().min(1),
  password: z.string().min(1),
  /** project ids are numbers in the seed (`"id": 101`); kept as a string for URLs and headers */
  projectId: z.union([z.string().regex(/^\d+$/, { error: "must be a number" }), z.number().int().positive()]).transform(String),
  channelUuid: z.string().min(1),
  messenger: z.enum(["whatsapp", "telegram"]).default("whatsapp"),
  apiUrl: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .transform((s) => s.replace(/\/+$/, ""))
    .optional(),
});
export type WahelpCredentials = z.output<typeof wahelpCredentials>;

const wahelpId = z.union([z.string().min(1), z.number()]).transform(String);

/** Every answer is wrapped in `{"success":true,"data":…}` (seed 000, all examples). */
export const envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), data });

/** POST /api/app/user/login (seed 000 §1). */
export const loginAnswer = envelope(
  z.object({
    token_type: z.string().optional(),
    access_token: z.string().min(1),
    expires_in: z.number().positive().default(3600),
  }),
);

/** Channel object (seed 000 §3): `active` turns true once the QR code has been scanned. */
export const wahelpChannel = z.object({
  id: wahelpId.optional(),
  uuid: z.string(),
  name: z.string().optional(),
  active: z.boolean(),
  type: z.string().optional(),
});
export const channelListAnswer = envelope(z.array(wahelpChannel));

/** POST …/channels/{uuid}/users (seed 000 §4): the Wahelp user id is what send_message needs. */
export const userAnswer = envelope(z.object({ id: wahelpId, name: z.string().nullish(), phone: z.string().nullish() }));

/** send_message answers "the message object with its id, text and status" (seed 000 §6). */
export const sentMessageAnswer = envelope(
  z.object({ id: wahelpId, text: z.string().nullish(), status: z.string().nullish() }),
);

/** PUT …/hook (seed 000 §7): only `success` is relied on; the data part is not described. */
export const hookAnswer = z.object({ success: z.literal(true) });

/**
 * Webhook payload [U]: the seed only says Wahelp POSTs "new messages and delivery status
 * changes". The most plausible shape reuses the message object of send_message and history
 * (`id`, `text`, `status`, timestamps) plus who it is with and which way it went, either bare
 * or in the same `{…, data}` envelope the API uses. Field names beyond id/text/status are guesses.
 */
export const hookUser = z.object({
  id: wahelpId,
  phone: z.string().nullish(),
  name: z.string().nullish(),
});

export const hookFile = z.object({
  url: z.string().min(1),
  name: z.string().nullish(),
  mime: z.string().nullish(),
});

export const hookMessage = z.object({
  id: wahelpId,
  /** a project hook serves every channel of the project, so the channel is named [U] */
  channel_uuid: z.string().nullish(),
  text: z.string().nullish(),
  status: z.string().nullish(),
  direction: z.enum(["incoming", "outgoing", "in", "out"]).nullish(),
  user: hookUser.nullish(),
  user_id: wahelpId.nullish(),
  phone: z.string().nullish(),
  files: z.array(hookFile).nullish(),
  created_at: z.union([z.string(), z.number()]).nullish(),
  updated_at: z.union([z.string(), z.number()]).nullish(),
});
export type WahelpHookMessage = z.output<typeof hookMessage>;

export const hookPayload = z.union([
  z.object({ event: z.string().nullish(), data: hookMessage }),
  hookMessage,
]);
