/** amojo wire rules the fake enforces (reference/amocrm.md 2.5). */

const MEDIA_NEEDS_FILE_INFO = new Set(["file", "video", "picture"]);
const MESSAGE_TYPES = new Set(["text", "contact", "file", "video", "picture", "voice", "audio", "sticker", "location"]);

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** reference/amocrm.md 2.5 rules for a new_message body: what the real amojo answers 400 for, as far as the sheet says. */
export function newMessageProblems(body: unknown): string[] {
  if (!isRecord(body) || body.event_type !== "new_message" || !isRecord(body.payload)) return ["body must be {event_type: new_message, payload}"];
  const p = body.payload;
  const out: string[] = [];
  for (const key of ["timestamp", "msec_timestamp"]) if (!Number.isInteger(p[key])) out.push(`${key} must be an integer`);
  for (const key of ["msgid", "conversation_id"]) if (typeof p[key] !== "string" || p[key] === "") out.push(`${key} must be a non-empty string`);
  const user = (u: unknown, what: string) => {
    if (!isRecord(u) || typeof u.id !== "string" || u.id === "" || typeof u.name !== "string" || u.name === "") out.push(`${what} needs id and name`);
  };
  user(p.sender, "sender");
  if (p.receiver !== undefined) user(p.receiver, "receiver");
  if (typeof p.silent !== "boolean") out.push("silent must be a boolean");
  if (p.source !== undefined) {
    const ext = isRecord(p.source) ? p.source.external_id : undefined;
    if (typeof ext !== "string" || !/^[\x21-\x7e]{1,40}$/.test(ext)) out.push("source.external_id must be 1-40 printable ASCII characters");
  }
  const m = p.message;
  if (!isRecord(m) || typeof m.type !== "string" || !MESSAGE_TYPES.has(m.type)) return [...out, "message.type is missing or unknown"];
  if (m.type === "text" && (typeof m.text !== "string" || m.text === "")) out.push("a text message needs text");
  if (m.type !== "text" && m.type !== "location" && m.type !== "contact") {
    if (typeof m.media !== "string" || !/^https?:\/\//.test(m.media)) out.push("media must be a public URL");
  }
  if (MEDIA_NEEDS_FILE_INFO.has(m.type)) {
    if (typeof m.file_name !== "string" || m.file_name === "") out.push(`${m.type} needs file_name`);
    if (!Number.isInteger(m.file_size) || Number(m.file_size) <= 0) out.push(`${m.type} needs file_size`);
  }
  return out;
}

/** reference/amocrm.md 2.5 `edit_message`: our msgid of a message amojo has, the conversation, the new message. */
export function editMessageProblems(body: unknown, knownOurIds: ReadonlySet<string>): string[] {
  if (!isRecord(body) || body.event_type !== "edit_message" || !isRecord(body.payload)) return ["body must be {event_type: edit_message, payload}"];
  const p = body.payload;
  const out: string[] = [];
  for (const key of ["timestamp", "msec_timestamp"]) if (!Number.isInteger(p[key])) out.push(`${key} must be an integer`);
  for (const key of ["msgid", "conversation_id"]) if (typeof p[key] !== "string" || p[key] === "") out.push(`${key} must be a non-empty string`);
  if (typeof p.msgid === "string" && !knownOurIds.has(p.msgid)) out.push(`msgid ${p.msgid} names no message posted before`);
  const m = p.message;
  if (!isRecord(m) || m.type !== "text" || typeof m.text !== "string" || m.text === "") out.push("message must be a text message with text");
  return out;
}
