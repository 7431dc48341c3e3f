import { Hono } from "hono";
import sendMessageFixture from "../../../app/providers/telegram/fixtures/send-message.json";
import { type FakeServer, startFake } from "../../support/fake-server.js";

export interface TelegramSend {
  bot: string;
  chatId: string;
  text: string;
  /** ms since the epoch when the request arrived */
  at: number;
  /** what the fake answered */
  status: number;
}

/** What the fake answers to one send: undefined = accept it. */
export type Fault = (send: { bot: string; chatId: string; text: string; seq: number }) =>
  | { status: number; body: unknown; headers?: Record<string, string> }
  | undefined;

export interface FaultyTelegram {
  url: string;
  sends: TelegramSend[];
  /** answers wait this long before they go out (a provider that is slow to confirm) */
  delayMs: number;
  fault: Fault | undefined;
  /** called as each send arrives, before the answer (to kill the server mid-send) */
  onSend: ((send: TelegramSend) => void) | undefined;
  accepted(): TelegramSend[];
  close(): Promise<void>;
}

/**
 * The Bot API's sendMessage on loopback in its real wire format (channels-next.md 1: JSON
 * body, `{"ok":true,"result":Message}`; errors `{"ok":false,"error_code","description",
 * "parameters":{"retry_after"}}`), recording every send with the bot token it came for, with
 * faults a test switches on: slowness, 5xx, 429 with retry_after.
 */
export async function startFaultyTelegram(): Promise<FaultyTelegram> {
  let seq = 0;
  let messageId = 1000;
  const state: Omit<FaultyTelegram, "url" | "close"> = {
    sends: [],
    delayMs: 0,
    fault: undefined,
    onSend: undefined,
    accepted: () => state.sends.filter((s) => s.status === 200),
  };
  const app = new Hono().post("/:bot/sendMessage", async (c) => {
    const bot = c.req.param("bot").replace(/^bot/, "");
    const body = (await c.req.json()) as { chat_id?: string | number; text?: string };
    const chatId = String(body.chat_id ?? "");
    const text = String(body.text ?? "");
    seq += 1;
    const refusal = state.fault?.({ bot, chatId, text, seq });
    const send: TelegramSend = { bot, chatId, text, at: Date.now(), status: refusal?.status ?? 200 };
    state.sends.push(send);
    state.onSend?.(send);
    if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
    if (refusal) return c.json(refusal.body as object, refusal.status as 400, refusal.headers);
    messageId += 1;
    const reply = structuredClone(sendMessageFixture);
    reply.result.message_id = messageId;
    reply.result.chat.id = Number(chatId);
    reply.result.text = text;
    return c.json(reply);
  });
  const server: FakeServer = await startFake(app);
  return Object.assign(state, { url: server.url, close: server.close });
}

/** Telegram's own "slow down" answer (fixture error-429.json with the given wait). */
export function tooManyRequests(retryAfterS: number) {
  return {
    status: 429,
    body: {
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${retryAfterS}`,
      parameters: { retry_after: retryAfterS },
    },
  };
}

export function badGateway() {
  return { status: 502, body: { ok: false, error_code: 502, description: "Bad Gateway" } };
}
