import { Hono } from "hono";
import type { TemplateInfo } from "../../../app/providers/types.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";

/*
 * The two providers the automation scenarios need besides Wappi, reduced to the calls a send
 * makes: a Telegram bot (sendMessage; it writes only to chats that started it) and a WhatsApp
 * Cloud API number (template list, message send). Shapes follow channels-next.md 1 and 2.
 */

export const BOT_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
export const CLOUD_TOKEN = "EAAGm0PX4ZCpsBAKZAxq3ZBexampleAccessToken";
export const PHONE_NUMBER_ID = "106540352242922";
export const WABA_ID = "102290129340398";

/** A Cloud API template as Graph lists it (`GET /{waba}/message_templates`, channels-next.md 2). */
export interface GraphTemplate {
  name: string;
  language: string;
  status: string;
  category: string;
  components: Array<{ type: string; format?: string; text?: string }>;
}

export function graphTemplate(info: Pick<TemplateInfo, "name" | "language" | "body"> & { status?: string }): GraphTemplate {
  return { name: info.name, language: info.language, status: info.status ?? "APPROVED", category: "UTILITY", components: [{ type: "BODY", text: info.body }] };
}

export class AutomationProviders {
  server!: FakeServer;
  /** chats that started the bot; sendMessage to any other answers 400 "chat not found" */
  readonly startedChats = new Set<string>();
  readonly telegramSends: Array<Record<string, unknown>> = [];
  templates: GraphTemplate[] = [];
  templateListCalls = 0;
  readonly cloudSends: Array<Record<string, unknown>> = [];
  private serial = 0;

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<this> {
    this.server = await startFake(this.routes());
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  telegramCredentials() {
    return { botToken: BOT_TOKEN, apiUrl: `${this.url}/telegram` };
  }

  cloudCredentials() {
    return { accessToken: CLOUD_TOKEN, phoneNumberId: PHONE_NUMBER_ID, wabaId: WABA_ID, appSecret: "0123456789abcdef0123456789abcdef", apiUrl: `${this.url}/graph/v23.0` };
  }

  private routes(): Hono {
    const app = new Hono();
    app.post("/telegram/:bot/sendMessage", async (c) => {
      if (c.req.param("bot") !== `bot${BOT_TOKEN}`) return c.json({ ok: false, error_code: 401, description: "Unauthorized" }, 401);
      const body = (await c.req.json()) as Record<string, unknown>;
      this.telegramSends.push(body);
      const chatId = String(body.chat_id);
      if (!this.startedChats.has(chatId)) return c.json({ ok: false, error_code: 400, description: "Bad Request: chat not found" }, 400);
      this.serial += 1;
      return c.json({ ok: true, result: { message_id: 500 + this.serial, date: 1_780_000_000, chat: { id: Number(chatId), type: "private" }, text: body.text } });
    });
    const authorized = (header: string | undefined) => header === `Bearer ${CLOUD_TOKEN}`;
    app.get("/graph/v23.0/:waba/message_templates", (c) => {
      if (!authorized(c.req.header("authorization")) || c.req.param("waba") !== WABA_ID) return c.json({ error: { message: "Invalid OAuth access token", type: "OAuthException", code: 190 } }, 401);
      this.templateListCalls += 1;
      return c.json({ data: this.templates, paging: { cursors: { before: "b", after: "a" } } });
    });
    app.post("/graph/v23.0/:phone/messages", async (c) => {
      if (!authorized(c.req.header("authorization")) || c.req.param("phone") !== PHONE_NUMBER_ID) return c.json({ error: { message: "Invalid OAuth access token", type: "OAuthException", code: 190 } }, 401);
      const body = (await c.req.json()) as Record<string, unknown>;
      this.cloudSends.push(body);
      this.serial += 1;
      return c.json({ messaging_product: "whatsapp", contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: `wamid.HBgL${this.serial}` }] });
    });
    return app;
  }
}
