import { z } from "zod";

/**
 * What an admin enters for a self-hosted WAHA server (channels-next.md 3 "Base URL, auth"): the
 * server's own URL (SSRF-guarded like every tenant URL; a private address needs
 * OUTBOUND_ALLOW_PRIVATE), its API key (`WAHA_API_KEY`, sent as `X-Api-Key`) and the session.
 */
export const wahaCredentialsSchema = z.object({
  apiUrl: z
    .url({ protocol: /^https?$/, error: "must be the http(s) URL of your WAHA server, e.g. http://waha.example.com:3000" })
    .transform((s) => s.replace(/\/+$/, ""))
    .meta({ title: "WAHA server URL", description: "e.g. https://waha.example.com or http://10.0.0.5:3000 (a private address needs OUTBOUND_ALLOW_PRIVATE=true)" }),
  apiKey: z
    .string()
    .trim()
    .min(1, { error: "apiKey is the server's WAHA_API_KEY" })
    .meta({ title: "API key", description: "the server's WAHA_API_KEY (sent as X-Api-Key)" }),
  /** WAHA before 2026.6.1 (Core) runs only the session `default` (channels-next.md 3 "editions") */
  session: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "session: letters, digits, _ and - (up to 64)" })
    .default("default")
    .meta({ title: "Session", description: "created on the server if it does not exist; WAHA Core before 2026.6 runs only \"default\"" }),
});

export type WahaCredentials = z.output<typeof wahaCredentialsSchema>;

export const SESSION_STATUSES = [
  "STOPPED",
  "STARTING",
  "SCAN_QR_CODE",
  "PASSKEY_REQUIRED",
  "PASSKEY_CONFIRMATION_REQUIRED",
  "WORKING",
  "FAILED",
] as const;

/** Unknown statuses of later versions stay strings: they map to `unknown`, they do not break status(). */
const sessionStatusSchema = z.string().min(1);

const webhookConfigSchema = z.looseObject({
  url: z.string(),
  events: z.array(z.string()).optional(),
  hmac: z.looseObject({ key: z.string().nullish() }).nullish(),
});
export type WahaWebhookConfig = z.output<typeof webhookConfigSchema>;

/** `config` of a session: kept as WAHA gave it (proxy, metadata, engine options) when we change its webhooks. */
export const sessionConfigSchema = z.looseObject({ webhooks: z.array(webhookConfigSchema).nullish() });
export type WahaSessionConfig = z.output<typeof sessionConfigSchema>;

/** `GET /api/sessions/{session}` (and the answers of create / update / start) */
export const sessionInfoSchema = z.looseObject({
  name: z.string(),
  status: sessionStatusSchema,
  config: sessionConfigSchema.nullish(),
  me: z.looseObject({ id: z.string(), pushName: z.string().nullish() }).nullish(),
  engine: z.looseObject({ engine: z.string().optional() }).nullish(),
});
export type WahaSessionInfo = z.output<typeof sessionInfoSchema>;

/** `GET /api/server/version` (WAHAEnvironment; `/api/version` is its deprecated twin) */
export const versionSchema = z.looseObject({ version: z.string(), engine: z.string().optional(), tier: z.string().optional() });

/** `GET /api/contacts/check-exists` (channels-next.md 3 "Number check"): `chatId` only when it exists */
export const checkExistsSchema = z.object({ numberExists: z.boolean(), chatId: z.string().nullish() });

/** `GET /api/{session}/auth/qr` with `Accept: application/json` (channels-next.md 3) */
export const qrAnswerSchema = z.object({ mimetype: z.string().min(1), data: z.string().min(1) });

/** `POST /api/{session}/auth/request-code` */
export const pairingCodeSchema = z.object({ code: z.string().min(1) });

/**
 * Send answers are the engine's own object, not WAMessage (channels-next.md 3 "Outbound",
 * waha#760): NOWEB `{key:{remoteJid,fromMe,id}}`, WEBJS `{id:{_serialized}}`, GOWS and the
 * OpenAPI `{id:"true_…"}`. Anything else fails as bad_response (2xx: never retried).
 */
export const sendAnswerSchema = z.union([
  z.looseObject({ id: z.string().min(1) }),
  z.looseObject({ id: z.looseObject({ _serialized: z.string().min(1) }) }),
  z.looseObject({ key: z.looseObject({ id: z.string().min(1), remoteJid: z.string().optional() }) }),
]);
export type WahaSendAnswer = z.output<typeof sendAnswerSchema>;

/** NestJS error bodies (channels-next.md 3 "Errors"): `message` or `error`, as text or a list */
export const errorBodySchema = z.looseObject({
  message: z.union([z.string(), z.array(z.string())]).optional(),
  error: z.union([z.string(), z.looseObject({ key: z.string().optional(), message: z.string().optional() })]).optional(),
  status: z.string().optional(),
  expected: z.array(z.string()).optional(),
});

// ---- webhooks (channels-next.md 3 "Inbound payloads") ----

/** Every event: `id` (`evt_…`) and `timestamp` (ms) are in the 2026 docs; older servers may omit them. */
export const envelopeSchema = z.looseObject({
  id: z.string().optional(),
  timestamp: z.number().optional(),
  event: z.string().min(1),
  session: z.string().min(1),
  payload: z.unknown(),
});

const mediaSchema = z.looseObject({
  url: z.string().nullish(),
  mimetype: z.string().nullish(),
  filename: z.string().nullish(),
  error: z.unknown().optional(),
});

/** WALocation: latitude / longitude are strings in the source, numbers in some engines' examples */
const coordinate = z.union([z.number(), z.string().trim().min(1)]).pipe(z.coerce.number()).refine(Number.isFinite, "not a number");

export const messagePayloadSchema = z.looseObject({
  id: z.string().min(1),
  timestamp: z.number(),
  from: z.string().min(1),
  fromMe: z.boolean(),
  to: z.string().nullish(),
  participant: z.string().nullish(),
  /** `api` (our sends) or `app` (typed on the phone): only in `message.any`, newer versions */
  source: z.string().nullish(),
  body: z.string().nullish(),
  hasMedia: z.boolean().nullish(),
  media: mediaSchema.nullish(),
  location: z
    .looseObject({ latitude: coordinate, longitude: coordinate, description: z.string().nullish(), name: z.string().nullish(), address: z.string().nullish() })
    .nullish(),
  vCards: z.array(z.string()).nullish(),
  replyTo: z.looseObject({ id: z.string().nullish(), body: z.string().nullish() }).nullish(),
  _data: z.unknown().optional(),
});
export type WahaMessagePayload = z.output<typeof messagePayloadSchema>;

export const ackPayloadSchema = z.looseObject({
  id: z.string().min(1),
  from: z.string().nullish(),
  to: z.string().nullish(),
  fromMe: z.boolean(),
  ack: z.number().int(),
  ackName: z.string().nullish(),
});
export type WahaAckPayload = z.output<typeof ackPayloadSchema>;

export const reactionPayloadSchema = z.looseObject({
  id: z.string().min(1),
  timestamp: z.number(),
  from: z.string().min(1),
  fromMe: z.boolean(),
  reaction: z.looseObject({ text: z.string(), messageId: z.string().nullish() }),
});
export type WahaReactionPayload = z.output<typeof reactionPayloadSchema>;

export const sessionStatusPayloadSchema = z.looseObject({ status: sessionStatusSchema });
