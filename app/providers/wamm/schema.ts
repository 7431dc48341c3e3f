import { z } from "zod";

/** WAMM credentials: the personal API token from Settings (seed 002, WAMM section; reference 6c). */
export const wammCredentials = z.object({
  token: z.string().regex(/^[^/?#\s]+$/, { error: "must be the API token (no slashes or spaces)" }),
  apiUrl: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .transform((s) => s.replace(/\/+$/, ""))
    .optional(),
});
export type WammCredentials = z.output<typeof wammCredentials>;

/** Success is `"err":0`; a string in `err` is the error (HTTP stays 200). */
const ok = z.union([z.literal(0), z.literal("0")]);
const wammId = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String);

/** msg_to, file_to: `{"err":0,"msg_id":1234567}`. */
export const sentAnswer = z.object({ err: ok, msg_id: wammId });

/** check_phone: `{"err":0,"result":"exists"}` or `"none"`. */
export const checkPhoneAnswer = z.object({ err: ok, result: z.enum(["exists", "none"]) });

/** msg_state: `{"err":0,"msg_data":{"msg_id":"…","phone":"79…","state":"viewed"}}`. */
export const msgStateAnswer = z.object({
  err: ok,
  msg_data: z.object({ msg_id: wammId, phone: z.string().nullish(), state: z.string() }),
});

/** One entry of msg_get_last / msg_get (seed 002, "Получение сообщений"). */
export const wammMessage = z.object({
  msg_id: wammId,
  from_me: z.union([z.string(), z.number()]).transform((v) => String(v) === "1"),
  phone: z.string(),
  chat_name: z.string().nullish(),
  tip_msg: z.string().nullish(),
  msg_text: z.string().nullish(),
  msg_link: z.string().nullish(),
  date_ins: z.string().nullish(),
  date_upd: z.string().nullish(),
  state: z.string().nullish(),
});
export type WammMessage = z.output<typeof wammMessage>;

/** "msgs not be" (no messages yet) is an empty list, not a failure. */
export const lastMessagesAnswer = z.union([
  z.object({ err: ok, msg_data: z.array(wammMessage) }).transform((a) => a.msg_data),
  z.object({ err: z.literal("msgs not be") }).transform((): WammMessage[] => []),
]);
