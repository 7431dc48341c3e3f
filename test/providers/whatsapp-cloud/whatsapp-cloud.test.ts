import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import error100 from "../../../app/providers/whatsapp-cloud/fixtures/error-100.json";
import error131053 from "../../../app/providers/whatsapp-cloud/fixtures/error-131053.json";
import error190 from "../../../app/providers/whatsapp-cloud/fixtures/error-190.json";
import mediaUpload from "../../../app/providers/whatsapp-cloud/fixtures/media-upload.json";
import sendTemplateRequest from "../../../app/providers/whatsapp-cloud/fixtures/send-template-request.json";
import { whatsappCloud } from "../../../app/providers/whatsapp-cloud/index.js";
import { splitText } from "../../../app/providers/split-text.js";
import type { MessageTemplate, SendProgress, SendRequest } from "../../../app/providers/types.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake } from "../provider-fake.js";
import {
  createWhatsAppCloudFake,
  newWhatsAppCloudFakeState,
  WA_APP_SECRET,
  WA_MEDIA_BYTES,
  WA_MEDIA_ID,
  WA_PHONE_NUMBER_ID,
  WA_TOKEN,
  WA_VERSION,
  WA_WABA_ID,
} from "./fake.js";

const UPLOADED = "not really a JPEG, 36 bytes of ASCII";
const failure = (p: Promise<unknown>) => p.then(() => Promise.reject(new Error("expected a failure")), (e: unknown) => e as Error & { code?: string; delayMs?: number });

describe("whatsapp-cloud calls", () => {
  const recorder = new Recorder();
  const state = newWhatsAppCloudFakeState();
  let server: FakeServer;
  let files: FakeServer;
  const ctxWith = (extra: Record<string, unknown> = {}) =>
    providerContext(whatsappCloud, {
      credentials: { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET, apiUrl: `${server.url}/${WA_VERSION}`, ...extra },
      messenger: "whatsapp",
    });
  const send = (req: Partial<SendRequest>, extra?: Record<string, unknown>) =>
    whatsappCloud.send(ctxWith(extra), { to: { phone: "79001234567" }, content: { type: "text", text: "ignored" }, messageId: "m1", ...req });
  const template = (t: MessageTemplate, extra?: Record<string, unknown>) => send({ template: t }, extra).then(() => state.sent.at(-1));

  beforeAll(async () => {
    server = await serveFake((fake) => createWhatsAppCloudFake(fake, state), recorder);
    const host = new Hono();
    // ASCII on purpose: serveFake's front re-sends request bodies as text, which would mangle binary uploads
    host.get("/files/photo.jpg", (c) => c.body(UPLOADED, 200, { "content-type": "image/jpeg" }));
    files = await startFake(host);
  });
  afterAll(async () => {
    await server.close();
    await files.close();
  });
  beforeEach(() => {
    recorder.reset();
    Object.assign(state, newWhatsAppCloudFakeState());
  });

  describe("templates", () => {
    it("a TEXT header with a variable and two body values in numeric order; the channel's default language", async () => {
      const body = await template({ id: "order_ready", headerParams: ["12345"], params: { "2": "1500", "1": "Иван" } }, { templateLanguage: "ru" });
      expect(body).toEqual({
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to: "79001234567",
        type: "template",
        template: {
          name: "order_ready",
          language: { code: "ru" },
          components: [
            { type: "header", parameters: [{ type: "text", text: "12345" }] },
            { type: "body", parameters: [{ type: "text", text: "Иван" }, { type: "text", text: "1500" }] },
          ],
        },
      });
      expect(recorder.violations).toEqual([]);
    });

    it("an IMAGE header sends exactly fixtures/send-template-request.json; the request's language wins", async () => {
      const body = await template({ id: "order_update", language: "ru", headerMediaUrl: "https://cdn.example.com/p.jpg", params: { "1": "12345" } }, { templateLanguage: "en_US" });
      expect(body).toEqual(sendTemplateRequest);
      expect(recorder.violations).toEqual([]);
    });

    it("10 sorts after 2; no values -> no components; no language anywhere -> en_US", async () => {
      const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i + 1), `v${i + 1}`]));
      const body = (await template({ id: "many", params: ten })) as { template: { components: Array<{ parameters: Array<{ text: string }> }> } };
      expect(body.template.components[0]!.parameters.map((p) => p.text)).toEqual(Object.values(ten));
      expect(await template({ id: "hello_world" })).toMatchObject({ template: { name: "hello_world", language: { code: "en_US" } } });
      expect((state.sent.at(-1)!.template as object)).not.toHaveProperty("components");
    });

    it("media headers by extension: .mp4 video, .pdf document; named body values carry parameter_name [U]", async () => {
      expect(await template({ id: "clip", headerMediaUrl: "https://cdn.example.com/v/clip.mp4" })).toMatchObject({
        template: { components: [{ type: "header", parameters: [{ type: "video", video: { link: "https://cdn.example.com/v/clip.mp4" } }] }] },
      });
      expect(await template({ id: "bill", headerMediaUrl: "https://cdn.example.com/bill.pdf", params: { first_name: "Mark" } })).toMatchObject({
        template: {
          components: [
            { type: "header", parameters: [{ type: "document", document: { link: "https://cdn.example.com/bill.pdf" } }] },
            { type: "body", parameters: [{ type: "text", parameter_name: "first_name", text: "Mark" }] },
          ],
        },
      });
      expect(recorder.violations).toEqual([]);
    });

    it("a header both text and media is refused before any call", async () => {
      const err = await failure(template({ id: "x", headerParams: ["a"], headerMediaUrl: "https://cdn.example.com/p.jpg" }));
      expect(err.code).toBe("template_invalid");
      expect(recorder.requests).toEqual([]);
    });

    it("templates() follows paging.cursors.after over two pages and counts distinct variables", async () => {
      const list = await whatsappCloud.templates!(ctxWith());
      expect(recorder.requests.map((r) => [r.path, r.query.get("after"), r.query.get("limit")])).toEqual([
        [`/${WA_VERSION}/${WA_WABA_ID}/message_templates`, null, "100"],
        [`/${WA_VERSION}/${WA_WABA_ID}/message_templates`, "MjQZD", "100"],
      ]);
      expect(list.map((t) => [t.name, t.status, t.header?.format ?? null, t.headerParams, t.bodyParams])).toEqual([
        ["hello_world", "APPROVED", "TEXT", 0, 0],
        ["2023_april_promo", "APPROVED", "TEXT", 0, 2],
        ["order_ready", "APPROVED", "TEXT", 1, 2],
        ["order_update", "PENDING", "IMAGE", 0, 1],
        ["named_promo", "REJECTED", null, 0, 2],
      ]);
      expect(list[1]).toMatchObject({ language: "en_US", category: "MARKETING", header: { format: "TEXT", text: "Fall Sale" }, footer: "Not interested in any of our sales? Tap Stop Promotions" });
      expect(list[3]?.header).toEqual({ format: "IMAGE" });
      expect(recorder.violations).toEqual([]);
    });
  });

  describe("text", () => {
    function memoryProgress(): SendProgress & { parts: Array<string | null> } {
      const parts: Array<string | null> = [];
      return { parts, record: async (i, id) => void (parts[i] = id) };
    }
    const long = `${"а".repeat(4000)}\n${"б ".repeat(2500)}\n${"в".repeat(100)}`;

    it("a text over 4096 characters goes out in order as parts; the result is the last part's wamid", async () => {
      state.ids.push("wamid.A", "wamid.B", "wamid.C");
      const progress = memoryProgress();
      const result = await send({ content: { type: "text", text: long }, progress });
      expect(state.sent.map((b) => (b.text as { body: string }).body)).toEqual(splitText(long, 4096));
      expect(state.sent.every((b) => (b.text as { preview_url: boolean }).preview_url === false)).toBe(true);
      expect(progress.parts).toEqual(["wamid.A", "wamid.B", "wamid.C"]);
      expect(result).toEqual({ providerMessageId: "wamid.C" });
      expect(recorder.violations).toEqual([]);
    });

    it("a retry after a failed middle part does not send the first part again", async () => {
      state.ids.push("wamid.A", "wamid.B", "wamid.C");
      const progress = memoryProgress();
      recorder.answerNext({ status: 200, body: { messaging_product: "whatsapp", messages: [{ id: "wamid.A" }] } });
      recorder.answerNext({ status: 503, body: { error: { message: "Service unavailable", code: 131016 } } });
      expect((await failure(send({ content: { type: "text", text: long }, progress }))).code).toBe("server_error");
      expect(progress.parts).toEqual(["wamid.A"]);
      recorder.reset();
      const result = await send({ content: { type: "text", text: long }, progress });
      expect(recorder.requests).toHaveLength(2);
      expect(result.providerMessageId).toBe(progress.parts[2]);
    });

    it("a peer without a phone is a bad number, before any call", async () => {
      expect((await failure(send({ to: { chatId: "12345" } }))).code).toBe("bad_number");
      expect(recorder.requests).toEqual([]);
    });
  });

  describe("files", () => {
    it("131053 on a link: the file is downloaded (SSRF-guarded), uploaded, then sent by id", async () => {
      recorder.answerNext({ status: 400, body: error131053 });
      const url = `${files.url}/files/photo.jpg`;
      const result = await send({ content: { type: "file", url, caption: "Фото" } });
      expect(recorder.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `POST /${WA_VERSION}/${WA_PHONE_NUMBER_ID}/messages`,
        `POST /${WA_VERSION}/${WA_PHONE_NUMBER_ID}/media`,
        `POST /${WA_VERSION}/${WA_PHONE_NUMBER_ID}/messages`,
      ]);
      expect(JSON.parse(recorder.requests[0]!.body)).toMatchObject({ type: "image", image: { link: url, caption: "Фото" } });
      expect(state.uploads).toEqual([{ type: "image/jpeg", name: "photo.jpg", size: UPLOADED.length, typeField: "image/jpeg" }]);
      expect(state.sent.at(-1)).toMatchObject({ type: "image", image: { id: mediaUpload.id, caption: "Фото" } });
      expect(result.providerMessageId).toMatch(/^wamid\./);
      expect(recorder.violations).toEqual([]);
    });

    it("131053 and our own download fails too -> permanent rejected, nothing uploaded", async () => {
      recorder.answerNext({ status: 400, body: error131053 });
      const err = await failure(send({ content: { type: "file", url: `${files.url}/files/gone.pdf` } }));
      expect(err.code).toBe("rejected");
      expect(err.message).toMatch(/HTTP 404/);
      expect(state.uploads).toEqual([]);
    });

    it("other errors do not trigger the upload", async () => {
      recorder.answerNext({ status: 400, body: error100 });
      expect((await failure(send({ content: { type: "file", url: `${files.url}/files/photo.jpg` } }))).code).toBe("bad_request");
      expect(recorder.requests).toHaveLength(1);
    });
  });

  describe("media, describe, secrets", () => {
    it("resolveMedia takes the id with or without media:, and its URL downloads with the headers it returns", async () => {
      for (const ref of [`media:${WA_MEDIA_ID}`, WA_MEDIA_ID]) {
        const media = await whatsappCloud.resolveMedia!(ctxWith(), ref);
        expect(media.url.startsWith(`${server.url}/whatsapp_business/attachments/?mid=${WA_MEDIA_ID}`)).toBe(true);
        expect(media).toMatchObject({ headers: { authorization: `Bearer ${WA_TOKEN}`, "user-agent": "chatbridge/1.0" }, mime: "image/jpeg" });
        const res = await fetch(media.url, { headers: media.headers });
        expect(new Uint8Array(await res.arrayBuffer())).toEqual(WA_MEDIA_BYTES);
      }
      expect(recorder.violations).toEqual([]);
      const plain = await fetch(`${server.url}/whatsapp_business/attachments/?mid=${WA_MEDIA_ID}`);
      expect(plain.status).toBe(401);
      expect((await failure(whatsappCloud.resolveMedia!(ctxWith(), "media:../etc"))).code).toBe("bad_request");
    });

    it("describe() shows the number, name and quality; a refused token or an unknown id is invalid_credentials", async () => {
      expect(await whatsappCloud.describe!(ctxWith())).toEqual({
        state: "connected",
        info: { display_phone_number: "+1 555-555-5555", verified_name: "Jaspers Market", quality_rating: "GREEN", name_status: "APPROVED" },
      });
      recorder.answerNext({ status: 401, body: error190 });
      expect((await failure(whatsappCloud.describe!(ctxWith()))).code).toBe("invalid_credentials");
      recorder.answerNext({ status: 400, body: error100 });
      expect((await failure(whatsappCloud.describe!(ctxWith()))).code).toBe("invalid_credentials");
    });

    it("neither the access token nor the app secret reaches an error message or stack", async () => {
      const echoes = [
        { status: 400, body: { error: { message: `Malformed access token ${WA_TOKEN}`, type: "OAuthException", code: 190 } } },
        { status: 400, body: { error: { message: `(#100) bad appsecret_proof for ${WA_APP_SECRET}`, type: "OAuthException", code: 999999 } } },
        { status: 502, body: `<html>upstream said Bearer ${WA_TOKEN} / ${WA_APP_SECRET}</html>` },
        { status: 200, body: { surprise: WA_TOKEN } },
      ];
      for (const answer of echoes) {
        recorder.answerNext(answer);
        const err = await failure(send({ content: { type: "text", text: "hi" } }));
        for (const secret of [WA_TOKEN, WA_APP_SECRET]) {
          expect(err.message).not.toContain(secret);
          expect(err.stack ?? "").not.toContain(secret);
        }
      }
    });
  });
});
