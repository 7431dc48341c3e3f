import { type Context, Hono } from "hono";
import getFile from "../../../app/providers/telegram/fixtures/get-file.json";
import getMe from "../../../app/providers/telegram/fixtures/get-me.json";
import getWebhookInfo from "../../../app/providers/telegram/fixtures/get-webhook-info.json";
import sendDocument from "../../../app/providers/telegram/fixtures/send-document.json";
import sendMessage from "../../../app/providers/telegram/fixtures/send-message.json";
import sendPhoto from "../../../app/providers/telegram/fixtures/send-photo.json";
import setWebhook from "../../../app/providers/telegram/fixtures/set-webhook.json";
import type { FakeRecorder } from "../contract.js";

export const TELEGRAM_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1";
export const TELEGRAM_CHAT_ID = 5110022;
/** a public channel the fake knows by @name, and the numeric id Telegram answers with */
export const TELEGRAM_CHANNEL = { name: "@chatbridge_news", id: -1001122334455 };
/** getFile of this id answers "file is too big" */
export const TELEGRAM_BIG_FILE_ID = "BQACAgIAAxkBAAIFcmdGnBigFile0000000000000000000000000000";
/** what `/file/bot<token>/<path>` serves */
export const TELEGRAM_FILE_BYTES = "%PDF-1.4 telegram fake file";

const MAX_UPLOAD = 50 * 1024 * 1024;
const CHAT_ID = /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/;
const SEND_COMMON = ["business_connection_id", "message_thread_id", "disable_notification", "protect_content", "allow_paid_broadcast", "message_effect_id", "reply_parameters", "reply_markup"];
const CAPTIONED = ["caption", "parse_mode", "caption_entities", "show_caption_above_media", "has_spoiler"];
/** tags Telegram's HTML parse mode knows (Bot API "HTML style") */
const HTML_TAGS = new Set(["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "tg-spoiler", "span", "tg-emoji"]);

type Fields = Record<string, unknown>;
interface MethodSpec {
  required: string[];
  optional?: string[];
  /** the field carrying the file: a URL, a file_id or a multipart upload */
  media?: string;
  answer(c: Context, fields: Fields): Response;
}

const fail = (c: Context, status: number, description: string) => c.json({ ok: false, error_code: status, description }, status as 400);

/** Why Telegram would refuse this HTML ("can't parse entities"), or undefined. */
export function htmlProblem(html: string): string | undefined {
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z-]*)([^<>]*)>|&(#\d+|#x[0-9a-f]+|[a-z]+);|[<>&]/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    const [all, slash, name, attrs, entity] = m;
    if (entity !== undefined) {
      if (!/^(lt|gt|amp|quot|#\d+|#x[0-9a-f]+)$/i.test(entity)) return `unsupported entity &${entity};`;
    } else if (name === undefined) return `a bare "${all}" at ${m.index}`;
    else if (!HTML_TAGS.has(name.toLowerCase())) return `unsupported tag "${name}"`;
    else if (slash) {
      if (stack.pop() !== name.toLowerCase()) return `unmatched end tag "${name}"`;
    } else {
      if (name.toLowerCase() === "a" && !/^\s+href="[^"]*"\s*$/.test(attrs ?? "")) return "<a> without href";
      stack.push(name.toLowerCase());
    }
  }
  return stack.length ? `unclosed tag "${stack.at(-1)}"` : undefined;
}

/** Characters after entity parsing: tags gone, entities one character each. */
function visible(text: string, html: boolean): number {
  return html ? text.replace(/<[^>]*>/g, "").replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, "_").length : text.length;
}

/**
 * A Telegram Bot API fake speaking channels-next.md section 1: `/bot<token>/<method>` with JSON or
 * multipart bodies, the documented fields per method, answers from the fixtures; the file route
 * `/file/bot<token>/<path>` serves bytes. Anything off the documented wire is a recorded violation.
 */
export function createTelegramFake(fake: FakeRecorder): Hono {
  const sentMessage = (fixture: typeof sendMessage | typeof sendPhoto | typeof sendDocument, fields: Fields) => {
    const chatId = String(fields.chat_id);
    const chat = chatId.startsWith("@")
      ? { id: TELEGRAM_CHANNEL.id, title: "Chatbridge news", username: chatId.slice(1), type: "channel" }
      : Number(chatId) === TELEGRAM_CHAT_ID
        ? fixture.result.chat
        : { id: Number(chatId), type: Number(chatId) < 0 ? "supergroup" : "private", first_name: "Client" };
    // distinct ids within one test: the recorder (reset between tests) already holds this request
    const sent = fake.requests.filter((r) => /\/send[A-Z]\w*$/.test(r.path)).length - 1;
    return { ...fixture, result: { ...fixture.result, chat, message_id: fixture.result.message_id + sent } };
  };

  /** parse_mode, HTML and length of `text` or `caption`; answers Telegram's 400 when it would refuse */
  const checkMarkup = (c: Context, fields: Fields, key: "text" | "caption", limit: number): Response | undefined => {
    const value = fields[key];
    if (value === undefined) return undefined;
    const html = fields.parse_mode !== undefined;
    if (html && !fake.checkEqual(fields.parse_mode, "HTML", "parse_mode")) return fail(c, 400, "Bad Request: unsupported parse_mode");
    const problem = html ? htmlProblem(String(value)) : undefined;
    if (!fake.check(problem === undefined, `${key} is not HTML Telegram parses: ${problem}`)) {
      return fail(c, 400, `Bad Request: can't parse entities: ${problem}`);
    }
    if (!fake.check(visible(String(value), html) <= limit, `${key} is longer than ${limit} characters after entity parsing`)) {
      return fail(c, 400, key === "text" ? "Bad Request: message is too long" : "Bad Request: message caption is too long");
    }
    return undefined;
  };

  /** a send method: chat_id, markup, the media field (URL Telegram fetches, or an upload) */
  const send = (fixture: typeof sendMessage | typeof sendPhoto | typeof sendDocument, textKey: "text" | "caption", limit: number, media?: string) =>
    (c: Context, fields: Fields): Response => {
      if (!fake.check(CHAT_ID.test(String(fields.chat_id)), `chat_id must be numeric or @name, got ${JSON.stringify(fields.chat_id)}`)) {
        return fail(c, 400, "Bad Request: chat not found");
      }
      if (textKey === "text" && !fake.check(typeof fields.text === "string" && fields.text.trim() !== "", "text must be a non-empty string")) {
        return fail(c, 400, "Bad Request: message text is empty");
      }
      const refused = checkMarkup(c, fields, textKey, limit);
      if (refused) return refused;
      const file = media ? fields[media] : undefined;
      if (file instanceof File) {
        fake.check(file.name !== "" && file.name !== "blob", `${media} upload must carry a file name`);
        if (!fake.check(file.size <= MAX_UPLOAD, `${media} upload is over 50 MB`)) return fail(c, 413, "Request Entity Too Large");
      } else if (media) {
        let url: URL | undefined;
        try {
          url = new URL(String(file));
        } catch {
          // a file_id: accepted as it is
        }
        // Telegram fetches URLs from the internet: it cannot reach our loopback file servers
        if (url && /^(127\.|localhost$|\[::1\]$)/.test(url.hostname)) return fail(c, 400, "Bad Request: failed to get HTTP URL content");
        const ext = url && /\.([a-z0-9]+)$/i.exec(url.pathname)?.[1]?.toLowerCase();
        if (media === "document" && ext) {
          fake.check(["pdf", "zip", "gif"].includes(ext), `sendDocument by URL works only for GIF, PDF and ZIP, got .${ext}`);
        }
      }
      return c.json(sentMessage(fixture, fields));
    };

  const methods: Record<string, MethodSpec> = {
    getMe: { required: [], answer: (c) => c.json(getMe) },
    getWebhookInfo: { required: [], answer: (c) => c.json(getWebhookInfo) },
    setWebhook: {
      required: ["url"],
      optional: ["certificate", "ip_address", "max_connections", "allowed_updates", "drop_pending_updates", "secret_token"],
      answer: (c, f) => {
        let ok = fake.check(/^https:\/\//.test(String(f.url)), "setWebhook url must be HTTPS");
        ok = fake.check(typeof f.secret_token === "string" && /^[A-Za-z0-9_-]{1,256}$/.test(f.secret_token), "setWebhook must carry a secret_token of 1-256 [A-Za-z0-9_-]") && ok;
        // omitted allowed_updates keeps the previous setting (channels-next.md 1): it must always be sent
        ok = fake.check(Array.isArray(f.allowed_updates) && f.allowed_updates.every((u) => typeof u === "string"), "setWebhook must carry allowed_updates") && ok;
        if (f.max_connections !== undefined) ok = fake.check(Number(f.max_connections) >= 1 && Number(f.max_connections) <= 100, "max_connections is 1-100") && ok;
        return ok ? c.json(setWebhook) : fail(c, 400, "Bad Request: bad webhook parameters");
      },
    },
    sendMessage: {
      required: ["chat_id", "text"],
      optional: [...SEND_COMMON, "parse_mode", "entities", "link_preview_options"],
      answer: send(sendMessage, "text", 4096),
    },
    sendPhoto: { required: ["chat_id", "photo"], optional: [...SEND_COMMON, ...CAPTIONED], media: "photo", answer: send(sendPhoto, "caption", 1024, "photo") },
    sendDocument: {
      required: ["chat_id", "document"],
      optional: [...SEND_COMMON, ...CAPTIONED, "thumbnail", "disable_content_type_detection"],
      media: "document",
      answer: send(sendDocument, "caption", 1024, "document"),
    },
    sendVideo: {
      required: ["chat_id", "video"],
      optional: [...SEND_COMMON, ...CAPTIONED, "duration", "width", "height", "thumbnail", "cover", "start_timestamp", "supports_streaming"],
      media: "video",
      answer: send(sendDocument, "caption", 1024, "video"),
    },
    sendAudio: {
      required: ["chat_id", "audio"],
      optional: [...SEND_COMMON, ...CAPTIONED, "duration", "performer", "title", "thumbnail"],
      media: "audio",
      answer: send(sendDocument, "caption", 1024, "audio"),
    },
    sendVoice: { required: ["chat_id", "voice"], optional: [...SEND_COMMON, ...CAPTIONED, "duration"], media: "voice", answer: send(sendDocument, "caption", 1024, "voice") },
    getFile: {
      required: ["file_id"],
      answer: (c, f) => (f.file_id === TELEGRAM_BIG_FILE_ID ? fail(c, 400, "Bad Request: file is too big") : c.json({ ...getFile, result: { ...getFile.result, file_id: f.file_id } })),
    },
  };

  const tokenOk = (segment: string) => fake.checkEqual(segment, `bot${TELEGRAM_TOKEN}`, "bot token path segment");

  const app = new Hono();
  app.get("/file/:bot/*", (c) => (tokenOk(c.req.param("bot")) ? c.body(TELEGRAM_FILE_BYTES, 200, { "content-type": "application/octet-stream" }) : c.text("Unauthorized", 401)));
  app.all("/:bot/:method", async (c) => {
    const { bot, method } = c.req.param();
    if (!tokenOk(bot)) return fail(c, 401, "Unauthorized");
    const spec = methods[method];
    if (!fake.check(spec !== undefined, `no Bot API method ${method}`)) return fail(c, 404, "Not Found");
    const fields = await readFields(c, fake);
    if (!fields) return fail(c, 400, "Bad Request: unreadable body");
    let ok = true;
    for (const key of spec!.required) ok = fake.check(fields[key] !== undefined && fields[key] !== "", `${method}: ${key} is required`) && ok;
    const allowed = new Set([...spec!.required, ...(spec!.optional ?? [])]);
    for (const key of Object.keys(fields)) ok = fake.check(allowed.has(key), `${method}: ${key} is not a parameter of this method`) && ok;
    const media = spec!.media;
    if (media && fields[media] instanceof File) ok = fake.check((c.req.header("content-type") ?? "").startsWith("multipart/form-data"), "uploads go as multipart/form-data") && ok;
    return ok ? spec!.answer(c, fields) : fail(c, 400, `Bad Request: ${method} parameters`);
  });
  return app;
}

/** Parameters from the query and a JSON, urlencoded or multipart body, as Telegram accepts them. */
async function readFields(c: Context, fake: FakeRecorder): Promise<Fields | undefined> {
  const fields: Fields = Object.fromEntries(new URL(c.req.url).searchParams);
  if (c.req.method === "GET") return fields;
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/json")) {
    const body: unknown = await c.req.json();
    if (!fake.check(typeof body === "object" && body !== null && !Array.isArray(body), "the JSON body must be an object")) return undefined;
    return { ...fields, ...(body as Fields) };
  }
  if (type.startsWith("multipart/form-data") || type.startsWith("application/x-www-form-urlencoded")) {
    for (const [key, value] of (await c.req.formData()).entries()) fields[key] = value;
    return fields;
  }
  fake.check(false, `unsupported content-type ${JSON.stringify(type)}`);
  return undefined;
}
