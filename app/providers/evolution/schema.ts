import { z } from "zod";

/**
 * What an admin enters for their own Evolution API v2 server (channels-next.md 4, "Base URL,
 * auth"): the server's URL (SSRF-guarded like every tenant URL; a private address needs
 * OUTBOUND_ALLOW_PRIVATE), its API key (the global `AUTHENTICATION_API_KEY`, or an instance
 * token, which cannot create instances) and the instance name chatbridge uses or creates.
 */
export const evolutionCredentialsSchema = z.object({
  apiUrl: z
    .url({ protocol: /^https?$/, error: "must be the http(s) URL of your Evolution API server, e.g. https://evo.example.com" })
    .transform((s) => s.replace(/\/+$/, ""))
    .meta({ title: "Evolution API server URL", description: "e.g. https://evo.example.com or http://10.0.0.5:8080 (a private address needs OUTBOUND_ALLOW_PRIVATE=true)" }),
  apiKey: z
    .string()
    .trim()
    .min(1, { error: "apiKey is required" })
    .meta({ title: "API key", description: "the server's AUTHENTICATION_API_KEY (sent as apikey); an instance token works for an existing instance" }),
  /** a path segment of every call; Evolution accepts any name, we keep URL-safe ones */
  instanceName: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, { error: "instanceName: letters, digits, '_', '.', '-' (up to 100)" })
    .meta({ title: "Instance name", description: "created on the server (WhatsApp QR login) if it does not exist" }),
});

export type EvolutionCredentials = z.output<typeof evolutionCredentialsSchema>;

/** `messageTimestamp` is a number in webhooks and a string in send answers (channels-next.md 4 "Outbound"). */
const unixSeconds = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

const messageKeySchema = z.object({
  remoteJid: z.string().min(1),
  fromMe: z.boolean(),
  id: z.string().min(1),
  participant: z.string().nullish(),
  /** the phone JID beside a `@lid` remoteJid (newer builds); 2.3.0 used senderPn */
  remoteJidAlt: z.string().nullish(),
  senderPn: z.string().nullish(),
  addressingMode: z.string().nullish(),
});

// ---- answers of the REST API ----

/** `POST /message/sendText|sendMedia|sendWhatsAppAudio/{instance}`: the prepared message, `status: PENDING`. */
export const sendAnswerSchema = z.object({
  key: messageKeySchema,
  messageTimestamp: unixSeconds.optional(),
  status: z.string().optional(),
});

/** `POST /chat/whatsappNumbers/{instance}` (chat.dto.ts OnWhatsAppDto). */
export const whatsappNumbersAnswerSchema = z.array(
  z.object({
    exists: z.boolean(),
    jid: z.string(),
    number: z.string(),
    name: z.string().nullish(),
    lid: z.string().nullish(),
  }),
);

/** `GET /instance/connectionState/{instance}`: `state` is missing when the instance is not loaded. */
export const connectionStateAnswerSchema = z.object({
  instance: z.object({ instanceName: z.string(), state: z.string().optional() }),
});

/** `GET /instance/connect/{instance}` while connecting: a QR, with a pairing code when `number` was given. */
export const qrAnswerSchema = z.object({
  pairingCode: z.string().nullish(),
  code: z.string().nullish(),
  base64: z.string().nullish(),
  count: z.number().optional(),
});

/**
 * `GET /instance/connect/{instance}` (instance.controller.ts connectToWhatsapp): the state object
 * when already open, a failure as `200 {"error":true,"message":…}`, else the QR. The QR shape has
 * only optional fields, so it comes last.
 */
export const connectAnswerSchema = z.union([
  // other states answer `{instance:{instanceName,status},qrcode}`
  z.object({
    instance: z.object({ instanceName: z.string(), state: z.string().optional(), status: z.string().optional() }),
    qrcode: qrAnswerSchema.nullish(),
  }),
  z.object({ error: z.literal(true), message: z.string() }),
  qrAnswerSchema,
]);

/** `DELETE /instance/logout/{instance}`. */
export const logoutAnswerSchema = z.object({ status: z.string(), error: z.boolean().optional() });

/** `GET /instance/fetchInstances?instanceName=`: Prisma `Instance` rows. */
export const fetchInstancesAnswerSchema = z.array(
  z.object({
    name: z.string(),
    connectionStatus: z.string().nullish(),
    ownerJid: z.string().nullish(),
    profileName: z.string().nullish(),
    integration: z.string().nullish(),
    number: z.string().nullish(),
    disconnectionReasonCode: z.number().nullish(),
  }),
);

/** `POST /instance/create` (201). */
export const createInstanceAnswerSchema = z.object({
  instance: z.object({
    instanceName: z.string(),
    instanceId: z.string().optional(),
    integration: z.string().optional(),
    status: z.string().optional(),
  }),
  hash: z.string().optional(),
});

/** `POST /webhook/set/{instance}`: the stored Prisma `Webhook` row. */
export const webhookSetAnswerSchema = z.object({
  url: z.string(),
  enabled: z.boolean().nullish(),
  events: z.array(z.string()).nullish(),
});

/** `POST /chat/getBase64FromMediaMessage/{instance}` (201). */
export const mediaAnswerSchema = z.object({
  mediaType: z.string().optional(),
  fileName: z.string().nullish(),
  mimetype: z.string().nullish(),
  base64: z.string().min(1),
});

/** `{"status":<code>,"error":"<reason>","response":{"message":[…]}}` (channels-next.md 4 "Errors"). */
export const errorBodySchema = z.object({
  status: z.number().optional(),
  error: z.string().optional(),
  response: z.object({ message: z.unknown() }).optional(),
});

// ---- webhooks (channels-next.md 4 "Inbound payloads") ----

export const webhookEnvelopeSchema = z.object({
  event: z.string().min(1),
  instance: z.string().min(1),
  data: z.unknown(),
  date_time: z.string().optional(),
  sender: z.string().nullish(),
  server_url: z.string().nullish(),
});

const mediaFields = {
  url: z.string().nullish(),
  mimetype: z.string().nullish(),
  caption: z.string().nullish(),
  fileName: z.string().nullish(),
  title: z.string().nullish(),
};
const mediaMessageSchema = z.object(mediaFields);
const vcardSchema = z.object({ displayName: z.string().nullish(), vcard: z.string() });

/** The Baileys `message` as Evolution forwards it; only what we bridge is named. */
export const messageContentSchema = z.object({
  conversation: z.string().nullish(),
  extendedTextMessage: z.object({ text: z.string().nullish() }).nullish(),
  imageMessage: mediaMessageSchema.nullish(),
  videoMessage: mediaMessageSchema.nullish(),
  ptvMessage: mediaMessageSchema.nullish(),
  audioMessage: mediaMessageSchema.extend({ ptt: z.boolean().nullish() }).nullish(),
  documentMessage: mediaMessageSchema.nullish(),
  stickerMessage: mediaMessageSchema.nullish(),
  locationMessage: z
    .object({ degreesLatitude: z.number(), degreesLongitude: z.number(), name: z.string().nullish(), address: z.string().nullish() })
    .nullish(),
  liveLocationMessage: z.object({ degreesLatitude: z.number(), degreesLongitude: z.number() }).nullish(),
  contactMessage: vcardSchema.nullish(),
  contactsArrayMessage: z.object({ displayName: z.string().nullish(), contacts: z.array(vcardSchema) }).nullish(),
  reactionMessage: z.object({ text: z.string().nullish(), key: z.object({ id: z.string() }).partial().nullish() }).nullish(),
  /** set when the server stores media in S3/MinIO: a plain download link */
  mediaUrl: z.string().nullish(),
});

export type EvolutionMessageContent = z.output<typeof messageContentSchema>;

export const upsertDataSchema = z.object({
  key: messageKeySchema,
  pushName: z.string().nullish(),
  status: z.string().nullish(),
  message: messageContentSchema.nullish(),
  contextInfo: z
    .object({
      stanzaId: z.string().nullish(),
      /** the message a reply quotes, a Baileys message: its text is in one of these */
      quotedMessage: z
        .looseObject({ conversation: z.string().nullish(), extendedTextMessage: z.looseObject({ text: z.string().nullish() }).nullish() })
        .nullish(),
    })
    .nullish(),
  messageType: z.string().min(1),
  messageTimestamp: unixSeconds,
});

export type EvolutionUpsert = z.output<typeof upsertDataSchema>;

/** `messages.update`: flat in v2.3.x (`keyId`, `status`), nested in older builds (`key.id`, `update.status`). */
export const updateDataSchema = z.object({
  keyId: z.string().optional(),
  key: z.object({ id: z.string(), fromMe: z.boolean().optional(), remoteJid: z.string().optional() }).optional(),
  remoteJid: z.string().nullish(),
  fromMe: z.boolean().optional(),
  status: z.union([z.string(), z.number()]).nullish(),
  update: z.object({ status: z.union([z.string(), z.number()]).nullish() }).nullish(),
});

export type EvolutionUpdate = z.output<typeof updateDataSchema>;

/** `connection.update` (whatsapp.baileys.service.ts connectionUpdate). */
export const connectionDataSchema = z.object({
  instance: z.string().optional(),
  state: z.string().min(1),
  statusReason: z.number().nullish(),
  wuid: z.string().nullish(),
  profileName: z.string().nullish(),
});
