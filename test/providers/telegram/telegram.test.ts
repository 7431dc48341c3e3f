import { readdirSync, readFileSync } from "node:fs";
import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import migrated from "../../../app/providers/telegram/fixtures/error-400-migrated.json";
import parseEntities from "../../../app/providers/telegram/fixtures/error-400-parse-entities.json";
import getMe from "../../../app/providers/telegram/fixtures/get-me.json";
import sendMessage from "../../../app/providers/telegram/fixtures/send-message.json";
import { telegram } from "../../../app/providers/telegram/index.js";
import type { OutgoingContent, SendProgress } from "../../../app/providers/types.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake, webhookRequest } from "../provider-fake.js";
import { createTelegramFake, TELEGRAM_BIG_FILE_ID, TELEGRAM_CHAT_ID, TELEGRAM_FILE_BYTES, TELEGRAM_TOKEN } from "./fake.js";

const CHAT = String(TELEGRAM_CHAT_ID);
const MB = 1024 * 1024;

/** A CRM-side file host on loopback: Telegram (the fake) cannot fetch from it, so files get uploaded. */
function fileHost(): Hono {
  const app = new Hono();
  app.get("/files/report.docx", (c) => c.body("PK docx bytes", 200, { "content-type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document" }));
  app.get("/files/photo.jpg", (c) => c.body("jpeg bytes", 200, { "content-type": "image/jpeg" }));
  app.get("/files/big-photo.jpg", (c) => c.body(new Uint8Array(11 * MB).fill(65), 200, { "content-type": "image/jpeg" }));
  app.get("/files/huge.bin", () => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 51 * MB) return controller.close();
        sent += MB;
        controller.enqueue(new Uint8Array(MB));
      },
    });
    return new Response(stream, { headers: { "content-type": "application/octet-stream" } }); // no content-length
  });
  return app;
}

function memoryProgress(): SendProgress & { parts: Array<string | null> } {
  const parts: Array<string | null> = [];
  return { parts, record: async (i, id) => void (parts[i] = id) };
}

describe("telegram", () => {
  const recorder = new Recorder();
  let server: FakeServer;
  let files: FakeServer;
  const ctx = () => providerContext(telegram, { credentials: { botToken: TELEGRAM_TOKEN, apiUrl: server.url }, messenger: "telegram" });
  const send = (content: OutgoingContent, progress?: SendProgress, to = CHAT) =>
    telegram.send(ctx(), { to: { chatId: to }, content, messageId: "m1", ...(progress ? { progress } : {}) });
  const failure = (p: Promise<unknown>) => p.then(() => Promise.reject(new Error("expected a failure")), (e: unknown) => e as Error & { code: string; delayMs?: number });
  const bodies = () => recorder.requests.map((r) => (r.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(r.body) : r.body));
  const methods = () => recorder.requests.map((r) => r.path.split("/").at(-1));

  beforeAll(async () => {
    server = await serveFake(createTelegramFake, recorder);
    files = await startFake(fileHost());
  });
  afterAll(async () => {
    await server.close();
    await files.close();
  });
  beforeEach(() => recorder.reset());

  describe("text", () => {
    it("sends CRM markup as Telegram HTML with parse_mode HTML", async () => {
      await send({ type: "text", text: "[b]Order[/b] #12 <ready> & paid" });
      expect(bodies()).toEqual([{ chat_id: CHAT, text: "<b>Order</b> #12 &lt;ready&gt; &amp; paid", parse_mode: "HTML" }]);
      expect(recorder.violations).toEqual([]);
    });

    it("a long text goes as ordered parts; the result names the first; a retry skips the parts already sent", async () => {
      const paragraph = (n: number) => `${String(n).repeat(10)} ${"word ".repeat(700)}`.trim();
      const text = [paragraph(1), paragraph(2), paragraph(3)].join("\n");
      const progress = memoryProgress();
      recorder.answerNext({ status: 200, body: sendMessage });
      recorder.answerNext({ status: 502, body: "Bad Gateway" });
      expect((await failure(send({ type: "text", text }, progress))).code).toBe("server_error");
      expect(progress.parts).toEqual([`${CHAT}:1367`]);

      recorder.reset();
      const result = await send({ type: "text", text }, progress);
      const texts = bodies().map((b) => b.text as string);
      expect(texts.map((t) => t.slice(0, 10))).toEqual(["2222222222", "3333333333"]);
      expect(texts.every((t) => t.length <= 4096)).toBe(true);
      expect(progress.parts).toHaveLength(3);
      expect(result).toEqual({ providerMessageId: `${CHAT}:1367` });
      expect(recorder.violations).toEqual([]);
    });

    it("HTML Telegram cannot parse is resent once as plain text [U: the description text]", async () => {
      recorder.answerNext({ status: 400, body: parseEntities });
      await send({ type: "text", text: "[url=https://e.com]site[/url] [b]x[/b]" });
      expect(bodies()[1]).toEqual({ chat_id: CHAT, text: "site (https://e.com) x" });
    });

    it("a group upgraded to a supergroup: retried once in the new chat (migrate_to_chat_id)", async () => {
      recorder.answerNext({ status: 400, body: migrated });
      const result = await send({ type: "text", text: "hi" }, undefined, "-4012345678");
      expect(bodies().map((b) => b.chat_id)).toEqual(["-4012345678", "-1001234567890"]);
      expect(result.providerMessageId).toBe("-1001234567890:1368");
    });

    it("a second migration answer is not followed around", async () => {
      recorder.answerNext({ status: 400, body: migrated, times: 2 });
      expect((await failure(send({ type: "text", text: "hi" }))).code).toBe("invalid_recipient");
      expect(recorder.requests).toHaveLength(2);
    });

    it("refuses a phone-only recipient before calling Telegram: a bot cannot write first", async () => {
      const err = await failure(telegram.send(ctx(), { to: { phone: "79001234568" }, content: { type: "text", text: "x" }, messageId: "m" }));
      expect(err.code).toBe("invalid_recipient");
      expect(err.message).toMatch(/must start the bot/);
      expect(recorder.requests).toEqual([]);
    });
  });

  describe("files", () => {
    it("a document Telegram will not fetch by URL (not GIF/PDF/ZIP) is downloaded and uploaded as multipart", async () => {
      const url = `${files.url}/files/report.docx`;
      const result = await send({ type: "file", url, caption: "[b]Report[/b]" });
      expect(methods()).toEqual(["sendDocument"]);
      const req = recorder.requests[0]!;
      expect(req.headers.get("content-type")).toMatch(/^multipart\/form-data/);
      expect(req.body).toContain('name="document"; filename="report.docx"');
      expect(req.body).toContain("PK docx bytes");
      expect(req.body).toContain("<b>Report</b>");
      expect(result.providerMessageId).toBe(`${CHAT}:1369`);
      expect(recorder.violations).toEqual([]);
    });

    it("a photo Telegram cannot fetch (failed to get HTTP URL content) falls back to an upload [U: the description text]", async () => {
      await send({ type: "file", url: `${files.url}/files/photo.jpg` });
      expect(methods()).toEqual(["sendPhoto", "sendPhoto"]);
      expect(bodies()[0]).toEqual({ chat_id: CHAT, photo: `${files.url}/files/photo.jpg` });
      expect(recorder.requests[1]!.body).toContain('filename="photo.jpg"');
      expect(recorder.violations).toEqual([]);
    });

    it("a photo over the 10 MB upload limit goes as a document [U: Telegram might take it as a photo anyway]", async () => {
      await send({ type: "file", url: `${files.url}/files/big-photo.jpg` });
      expect(methods()).toEqual(["sendPhoto", "sendDocument"]);
    });

    it("a download over 50 MB is refused as bad_request, without a length header too", async () => {
      const err = await failure(send({ type: "file", url: `${files.url}/files/huge.bin`, name: "backup.bin" }));
      expect(err.code).toBe("bad_request");
      expect(err.message).toMatch(/50 MB/);
    });

    it("the download is SSRF-guarded: a private address is never fetched", async () => {
      const err = await failure(send({ type: "file", url: "http://10.0.0.5/files/report.docx" }));
      expect(err.code).toBe("bad_request");
      expect(recorder.requests).toEqual([]);
    });

    it("a caption over 1024 characters follows the file as a text message", async () => {
      const caption = "long caption ".repeat(100);
      const result = await send({ type: "file", url: "https://files.example.com/a.jpg", caption }, memoryProgress());
      expect(methods()).toEqual(["sendPhoto", "sendMessage"]);
      expect(bodies()[0]).toEqual({ chat_id: CHAT, photo: "https://files.example.com/a.jpg" });
      expect(bodies()[1]).toMatchObject({ text: caption.trim() });
      expect(result.providerMessageId).toBe(`${CHAT}:1368`);
    });

    it("picks the method from the MIME type or the extension", async () => {
      const cases: Array<[Partial<OutgoingContent & { type: "file" }>, string]> = [
        [{ url: "https://f.example.com/clip.mp4" }, "sendVideo"],
        [{ url: "https://f.example.com/song", mime: "audio/mpeg" }, "sendAudio"],
        [{ url: "https://f.example.com/v.ogg" }, "sendVoice"],
        [{ url: "https://f.example.com/anim.gif" }, "sendDocument"],
        [{ url: "https://f.example.com/p.png" }, "sendPhoto"],
      ];
      for (const [file, method] of cases) {
        recorder.reset();
        await send({ type: "file", url: file.url!, ...(file.mime ? { mime: file.mime } : {}) });
        expect(methods(), file.url).toEqual([method]);
      }
    });
  });

  describe("media and bot info", () => {
    it("resolveMedia turns a file ref into the token-bearing download URL, with or without media:", async () => {
      const want = { url: `${server.url}/file/bot${TELEGRAM_TOKEN}/documents/file_12.pdf` };
      expect(await telegram.resolveMedia!(ctx(), "BQACAgIAAxkBAAIF")).toEqual(want);
      expect(await telegram.resolveMedia!(ctx(), "media:BQACAgIAAxkBAAIF")).toEqual(want);
      expect(JSON.parse(recorder.requests[1]!.body)).toEqual({ file_id: "BQACAgIAAxkBAAIF" });
      expect(await (await fetch(want.url)).text()).toBe(TELEGRAM_FILE_BYTES);
    });

    it("resolveMedia refuses files over the 20 MB bot download limit [U: the 'file is too big' text]", async () => {
      expect((await failure(telegram.resolveMedia!(ctx(), TELEGRAM_BIG_FILE_ID))).message).toMatch(/20 MB/);
      recorder.answerNext({ status: 200, body: { ok: true, result: { file_id: "x", file_unique_id: "y", file_size: 25 * MB } } });
      expect((await failure(telegram.resolveMedia!(ctx(), "x"))).code).toBe("bad_request");
    });

    it("describe() names the bot for the admin", async () => {
      expect(await telegram.describe!(ctx())).toEqual({
        state: "connected",
        info: { username: "@chatbridge_demo_bot", link: "https://t.me/chatbridge_demo_bot", bot_id: "7012345678", name: "Chatbridge Demo" },
      });
    });

    it("describe() refuses a revoked token and a token that is not a bot's", async () => {
      recorder.answerNext({ status: 401, body: { ok: false, error_code: 401, description: "Unauthorized" } });
      expect((await failure(telegram.describe!(ctx()))).code).toBe("invalid_credentials");
      recorder.answerNext({ status: 200, body: { ...getMe, result: { ...getMe.result, is_bot: false } } });
      expect((await failure(telegram.describe!(ctx()))).code).toBe("invalid_credentials");
    });

    it("status says when the webhook is not set", async () => {
      recorder.answerNext({ status: 200, body: { ok: true, result: { url: "", has_custom_certificate: false, pending_update_count: 0 } } });
      expect(await telegram.status(ctx())).toEqual({ state: "connected", detail: "webhook: not set" });
    });
  });

  describe("the bot token never leaks", () => {
    const secretPart = TELEGRAM_TOKEN.split(":")[1]!;
    const leaks = (value: unknown) => {
      const text = value instanceof Error ? `${String(value)} ${value.message} ${value.stack} ${JSON.stringify(value)}` : JSON.stringify(value);
      return text.includes(secretPart);
    };

    it("in no error message", async () => {
      const errors: unknown[] = [];
      const wrongToken = providerContext(telegram, { credentials: { botToken: "7012345678:AAwrongwrongwrongwrongwrongwrongwro", apiUrl: server.url }, messenger: "telegram" });
      errors.push(await failure(telegram.send(wrongToken, { to: { chatId: CHAT }, content: { type: "text", text: "x" }, messageId: "m" })));
      recorder.answerNext({ status: 502, body: `<html>upstream failed for /bot${TELEGRAM_TOKEN}/sendMessage</html>`, headers: { "content-type": "text/html" } });
      errors.push(await failure(send({ type: "text", text: "x" })));
      recorder.answerNext({ status: 200, body: { ok: true, result: { odd: true } } });
      errors.push(await failure(send({ type: "text", text: "x" })));
      recorder.answerNext({ status: 400, body: { ok: false, error_code: 400, description: "Bad Request: chat not found" } });
      errors.push(await failure(send({ type: "text", text: "x" })));
      errors.push(await failure(telegram.resolveMedia!(ctx(), TELEGRAM_BIG_FILE_ID)));
      errors.push(await failure(send({ type: "file", url: `${files.url}/files/missing.docx` })));
      const gone = await startFake(new Hono());
      await gone.close();
      const offline = providerContext(telegram, { credentials: { botToken: TELEGRAM_TOKEN, apiUrl: gone.url }, messenger: "telegram" });
      errors.push(await failure(telegram.send(offline, { to: { chatId: CHAT }, content: { type: "text", text: "x" }, messageId: "m" })));
      errors.push(await failure(telegram.status(offline)));
      expect(errors).toHaveLength(8);
      for (const err of errors) expect(leaks(err), String(err)).toBe(false);
    });

    it("in no parsed event (files are media: refs, resolved only when re-hosted)", async () => {
      const c = ctx();
      const secret = await c.channelSecret("telegram-secret-token");
      const dir = new URL("../../../app/providers/telegram/fixtures/", import.meta.url);
      const updates = readdirSync(dir).filter((f) => f.startsWith("update-"));
      expect(updates.length).toBeGreaterThan(10);
      for (const name of updates) {
        const body = readFileSync(new URL(name, dir), "utf8");
        const events = await telegram.parseWebhook(webhookRequest({ body, headers: { "x-telegram-bot-api-secret-token": secret } }), c);
        expect(leaks(events), name).toBe(false);
        for (const event of events) if (event.type === "incoming") for (const f of event.files) expect(f.url).toMatch(/^media:/);
      }
    });
  });
});
