import { z } from "zod";
import type { OutgoingContent } from "../../../providers/types.js";

/** amojo sends "" and null for absent values as well as leaving keys out. */
const text = z
  .string()
  .nullish()
  .transform((v) => (v && v.trim() !== "" ? v : undefined));

const receiverSchema = z.looseObject({ id: text, phone: text, client_id: text, name: text });
const sourceSchema = z.looseObject({ external_id: text });

/** 2.7: the manager's message inside an outgoing hook (v2). */
const hookMessageSchema = z.looseObject({
  receiver: receiverSchema.nullish().transform((v) => v ?? receiverSchema.parse({})),
  sender: z.looseObject({ id: text }).nullish(),
  conversation: z.looseObject({ id: z.string().min(1), client_id: text }),
  source: sourceSchema.nullish().transform((v) => v ?? sourceSchema.parse({})),
  timestamp: z.number().optional(),
  msec_timestamp: z.number().optional(),
  message: z.looseObject({
    id: z.string().min(1).max(200),
    type: z.string().min(1),
    text,
    media: text,
    file_name: text,
    file_size: z.number().nullish(),
    markup: z.unknown().optional(),
  }),
});

/**
 * 2.7 hook v2. Typing and reaction hooks carry `action` instead of `message`; they are
 * accepted and ignored.
 */
export const amojoHookSchema = z.looseObject({
  account_id: z.string().min(1),
  time: z.number().optional(),
  message: hookMessageSchema.optional(),
  action: z.unknown().optional(),
});
export type AmojoHook = z.output<typeof amojoHookSchema>;
export type AmojoHookMessage = z.output<typeof hookMessageSchema>;

/** 2.7 `markup` inline buttons; a WhatsApp list message or anything else is left out. */
const inlineMarkupSchema = z.object({
  buttons: z.array(z.array(z.looseObject({ text: z.string(), url: z.string().nullish() }))),
});

/** Buttons as lines under the text: the providers send plain messages, so a choice is shown, not clickable. */
function buttonLines(markup: unknown): string[] {
  const parsed = inlineMarkupSchema.safeParse(markup);
  if (!parsed.success) return [];
  return parsed.data.buttons.flat().map((b) => (b.url ? `• ${b.text}: ${b.url}` : `• ${b.text}`));
}

/** 2.7 media types: a file by its amojo URL (public, downloaded by the provider). */
const MEDIA_TYPES = new Set(["file", "video", "picture", "voice", "audio", "sticker"]);

/**
 * What the provider sends for a manager's message: text (with inline buttons listed), or a file
 * by amojo's URL with the text as caption. Undefined for what we cannot send (no text, no media).
 */
export function outgoingContentOf(m: AmojoHookMessage["message"]): OutgoingContent | undefined {
  const lines = buttonLines(m.markup);
  const body = [m.text, lines.length > 0 ? lines.join("\n") : undefined].filter((p) => p !== undefined).join("\n\n");
  if (MEDIA_TYPES.has(m.type) && m.media) {
    return { type: "file", url: m.media, ...(m.file_name ? { name: m.file_name } : {}), ...(body ? { caption: body } : {}) };
  }
  return body ? { type: "text", text: body } : undefined;
}
