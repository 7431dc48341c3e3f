import { z } from "zod";

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/**
 * Devino WhatsApp Business credentials (reference/providers.md 6b). `from` is the sender name
 * Devino registered for the account. Status callbacks go to a per-message `callbackUrl`: Devino
 * has no call to set a webhook, so the channel keeps our /hooks/devino/<secret> URL here.
 */
export const devinoCredentials = z.object({
  apiKey: z.string().min(1),
  from: z.string().min(1),
  apiUrl: httpUrl.transform((s) => s.replace(/\/+$/, "")).optional(),
  callbackUrl: httpUrl.optional(),
  /** language of template sends that name none; Devino's own default is EN (seed 002) */
  templateLanguage: z.string().min(2).max(10).optional(),
});
export type DevinoCredentials = z.output<typeof devinoCredentials>;

/** One entry of `messages[]` in POST /whatsapp/messages (seed 002, "Параметры запроса"). */
export interface DevinoOutgoingMessage {
  from: string;
  to: string;
  text?: string;
  contentUrl?: string;
  contentType?: string;
  contentName?: string;
  templateId?: string;
  templateParams?: Record<string, string>;
  languageCode?: string;
  callbackUrl?: string;
  callbackData?: string;
}

export const devinoReason = z.object({ key: z.string(), ref: z.string().nullish() });

/** One result per input message, in the same order (seed 002, "Параметры ответа"). */
export const devinoResult = z.object({
  code: z.enum(["OK", "REJECTED"]),
  messageId: z.union([z.string(), z.number()]).transform(String).nullish(),
  reasons: z.array(devinoReason).nullish(),
  description: z.string().nullish(),
});
export type DevinoResult = z.output<typeof devinoResult>;

export const devinoSendAnswer = z.object({ result: z.array(devinoResult).min(1) });

/**
 * Status callback entry (seed 002, "Получение статуса"): `messageId` and `ts` are longs, which
 * the webhook parser quotes before JSON.parse so 64-bit ids keep every digit.
 */
export const devinoStatusCallback = z.object({
  /** required: the only thing naming our message (the seed's example has it, as `long`) */
  messageId: z.string().regex(/^\d+$/),
  ts: z.union([z.number(), z.string()]).nullish(),
  status: z.string().min(1),
  errorCode: z.coerce.number().int().nullish(),
  options: z.string().nullish(),
});
export type DevinoStatusCallback = z.output<typeof devinoStatusCallback>;

const geoLocation = z.object({
  latitude: z.coerce.number(),
  longitude: z.coerce.number(),
  address: z.string().nullish(),
  addressName: z.string().nullish(),
  addressurl: z.string().nullish(),
});

/** Lists of objects per the seed's prose ("каждый объект contactName может содержать…"); a single object is tolerated. */
const listOf = <T extends z.ZodType>(item: T) => z.union([z.array(item), item.transform((one) => [one])]);

const whatsAppContact = z.object({
  contactName: listOf(
    z.object({
      formattedName: z.string().nullish(),
      firstName: z.string().nullish(),
      middleName: z.string().nullish(),
      lastName: z.string().nullish(),
    }),
  ).nullish(),
  phones: listOf(z.object({ phone: z.string().nullish(), waId: z.string().nullish() })).nullish(),
});
export type DevinoContact = z.output<typeof whatsAppContact>;

/** Incoming message (seed 002, "Получение входящих сообщений"). */
export const devinoIncoming = z.object({
  /** required: recognises an incoming item and dedups it */
  incomingMessageId: z.string().regex(/^\d+$/),
  to: z.string().nullish(),
  /** required: the client, i.e. the conversation */
  from: z.string().min(1),
  ts: z.union([z.number(), z.string()]).nullish(),
  text: z.string().nullish(),
  contentUrl: z.string().nullish(),
  contentType: z.string().nullish(),
  contentName: z.string().nullish(),
  profileName: z.string().nullish(),
  whatsAppGeoLocation: geoLocation.nullish(),
  whatsAppContacts: z.array(whatsAppContact).nullish(),
});
export type DevinoIncoming = z.output<typeof devinoIncoming>;
