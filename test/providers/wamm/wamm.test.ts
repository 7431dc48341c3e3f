import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../app/core/clock.js";
import lastFixture from "../../../app/providers/wamm/fixtures/msg-get-last.json";
import { wamm } from "../../../app/providers/wamm/index.js";
import { MAX_STATE_LOOKUPS, wammTime } from "../../../app/providers/wamm/poll.js";
import type { WammCredentials } from "../../../app/providers/wamm/schema.js";
import { splitText, WAMM_TEXT_LIMIT } from "../../../app/providers/split-text.js";
import { type ProviderContext, type SendProgress, WebhookPayloadError } from "../../../app/providers/types.js";
import type { FakeServer } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake, webhookRequest } from "../provider-fake.js";
import { createWammFake, WAMM_TOKEN, WammFakeState, type WammWireMessage } from "./fake.js";

const incoming = (id: number, text: string, date = "2021-01-24 20:00:00"): WammWireMessage => ({
  msg_id: String(id),
  from_me: "0",
  phone: "79001112233",
  chat_name: "Мария",
  tip_msg: "textMessage",
  msg_text: text,
  msg_link: "",
  date_ins: date,
  date_upd: date,
  state: "received",
});
const outgoing = (id: number, state: string): WammWireMessage => ({ ...incoming(id, "ours"), from_me: "1", state });

describe("splitText (WAMM 1500-character limit)", () => {
  it("keeps short texts whole", () => {
    expect(splitText("hello")).toEqual(["hello"]);
    expect(splitText("x".repeat(WAMM_TEXT_LIMIT))).toHaveLength(1);
  });

  it("cuts at line breaks, each part within the limit, nothing lost", () => {
    const lines = Array.from({ length: 60 }, (_, i) => `Строка ${i}: ${"слово ".repeat(8)}`.trim());
    const text = lines.join("\n");
    const parts = splitText(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(Array.from(p).length).toBeLessThanOrEqual(WAMM_TEXT_LIMIT);
    expect(parts.join("\n")).toBe(text);
    for (const p of parts) expect(lines).toContain(p.split("\n").at(-1));
  });

  it("cuts a text without line breaks at spaces", () => {
    const text = "word ".repeat(700).trim();
    const parts = splitText(text);
    expect(parts).toHaveLength(3);
    expect(parts.join(" ")).toBe(text);
    for (const p of parts) expect(p).toMatch(/^word( word)*$/);
  });

  it("hard-cuts a single huge word and never splits an emoji", () => {
    const text = "😀".repeat(3100);
    const parts = splitText(text);
    expect(parts.map((p) => Array.from(p).length)).toEqual([1500, 1500, 100]);
    expect(parts.join("")).toBe(text);
  });
});

describe("wamm provider", () => {
  const recorder = new Recorder();
  const state = new WammFakeState();
  let server: FakeServer;
  let ctx: ProviderContext<WammCredentials>;
  const clock = new ManualClock(Date.UTC(2026, 0, 24, 12));

  beforeAll(async () => {
    server = await serveFake((fake) => createWammFake(fake, state), recorder);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    recorder.reset();
    state.reset();
    state.nextId = 2000;
    ctx = { ...providerContext(wamm, { credentials: { token: WAMM_TOKEN, apiUrl: server.url }, messenger: "whatsapp" }), clock };
  });

  const send = (text: string, messageId = "m1", progress?: SendProgress) =>
    wamm.send(ctx, { to: { phone: "+7 (900) 123-45-67" }, content: { type: "text", text }, messageId, ...(progress ? { progress } : {}) });

  /** What the send job keeps on the message row, held in memory here. */
  function memoryProgress(): SendProgress & { parts: Array<string | null> } {
    const parts: Array<string | null> = [];
    return { parts, record: async (i, id) => void (parts[i] = id) };
  }

  describe("send", () => {
    it("sends a long text as several messages in order and returns the last id", async () => {
      const text = Array.from({ length: 3 }, (_, i) => `Часть ${i}: ${"текст ".repeat(240)}`.trim()).join("\n");
      const result = await send(text);
      expect(state.sent.map((s) => s.text)).toEqual(splitText(text));
      expect(state.sent).toHaveLength(3);
      expect(result).toEqual({ providerMessageId: "2002" });
      expect(recorder.requests.map((r) => r.path)).toEqual(Array(3).fill(`/api2/msg_to/${WAMM_TOKEN}/`));
      expect(recorder.violations).toEqual([]);
    });

    it("a retry after a failed middle part does not send the first part again (progress recorded before the next part)", async () => {
      const text = `${"a ".repeat(700)}\n${"b ".repeat(700)}`;
      state.failSend = { after: 1, err: "phone not checked for WhatsApp, please retry" };
      const progress = memoryProgress();
      await expect(send(text, "retry-me", progress)).rejects.toMatchObject({ code: "server_error" });
      expect(state.sent).toHaveLength(1);
      expect(progress.parts).toEqual(["2000"]);
      const result = await send(text, "retry-me", progress);
      expect(state.sent.map((s) => s.text?.[0])).toEqual(["a", "b"]);
      expect(result).toEqual({ providerMessageId: "2001" });
    });

    it("a file goes by file_to and its caption follows as a text", async () => {
      const result = await wamm.send(ctx, {
        to: { phone: "79001234567" },
        content: { type: "file", url: "https://example.com/p.png", caption: "Ваш чек" },
        messageId: "f1",
      });
      expect(state.sent).toEqual([
        { id: "2000", method: "file_to", phone: "79001234567", url: "https://example.com/p.png" },
        { id: "2001", method: "msg_to", phone: "79001234567", text: "Ваш чек" },
      ]);
      expect(result).toEqual({ providerMessageId: "2001" });
    });
  });

  describe("poll", () => {
    it("the first poll sets the cursor without replaying history; later polls bring only newer messages, oldest first", async () => {
      state.messages = lastFixture.body.msg_data.map((m) => ({ ...m, from_me: m.from_me === "1" ? "1" : "0" }));
      const first = await wamm.poll!(ctx, null);
      expect(first).toEqual({ events: [], cursor: "1234570" });

      state.messages.push(incoming(1234572, "второе"), incoming(1234571, "первое"), incoming(1234571, "первое"));
      const second = await wamm.poll!(ctx, first.cursor);
      expect(second.cursor).toBe("1234572");
      expect(second.events).toEqual([
        {
          type: "incoming",
          eventId: "in:1234571",
          providerMessageId: "1234571",
          peer: { phone: "79001112233", name: "Мария" },
          text: "первое",
          files: [],
          at: new Date("2021-01-24T17:00:00Z"),
        },
        expect.objectContaining({ eventId: "in:1234572", text: "второе" }),
      ]);
      expect(recorder.requests.every((r) => r.query.get("from_me") === "0" && r.query.get("col") === "100")).toBe(true);

      expect(await wamm.poll!(ctx, second.cursor)).toEqual({ events: [], cursor: "1234572" });
    });

    it("a file_link message becomes an incoming file [U date zone: Moscow]", async () => {
      state.messages = [lastFixture.body.msg_data[0]! as WammWireMessage];
      const { events } = await wamm.poll!(ctx, "1");
      expect(events).toEqual([
        {
          type: "incoming",
          eventId: "in:1234570",
          providerMessageId: "1234570",
          peer: { phone: "79001112233", name: "Мария" },
          files: [{ url: "https://wamm.chat/files/1234570.jpg" }],
          at: new Date("2021-01-24T16:55:00Z"),
        },
      ]);
    });

    it("an account without messages gets cursor 0, so its first message is not taken for history", async () => {
      expect(await wamm.poll!(ctx, null)).toEqual({ events: [], cursor: "0" });
      state.messages = [incoming(5, "привет")];
      const { events, cursor } = await wamm.poll!(ctx, "0");
      expect(events.map((e) => e.eventId)).toEqual(["in:5"]);
      expect(cursor).toBe("5");
    });

    it("statuses of outstanding messages come from the sent list, else from msg_state [U state names]", async () => {
      state.messages = [outgoing(2000, "viewed"), outgoing(2001, "sending")];
      state.states.set("1500", "received");
      const { events } = await wamm.poll!(ctx, "9999999", { outstanding: ["2000", "2001", "1500", "1400"] });
      expect(events).toEqual([
        { type: "status", eventId: "state:2000:read", providerMessageId: "2000", status: "read", at: new Date("2021-01-24T17:00:00Z") },
        { type: "status", eventId: "state:1500:delivered", providerMessageId: "1500", status: "delivered", at: clock.now() },
      ]);
      const stateCalls = recorder.requests.filter((r) => r.path.startsWith("/api2/msg_state/")).map((r) => r.query.get("msg_id"));
      expect(stateCalls).toEqual(["1500", "1400"]); // 1400 is "msg not be": skipped, not fatal
    });

    it(`asks msg_state for at most ${MAX_STATE_LOOKUPS} messages per poll`, async () => {
      const ids = Array.from({ length: MAX_STATE_LOOKUPS + 5 }, (_, i) => String(100 + i));
      for (const id of ids) state.states.set(id, "delivered");
      const { events } = await wamm.poll!(ctx, "1", { outstanding: ids });
      expect(events).toHaveLength(MAX_STATE_LOOKUPS);
      expect(recorder.requests.filter((r) => r.path.startsWith("/api2/msg_state/"))).toHaveLength(MAX_STATE_LOOKUPS);
    });

    it("acc not authorized during a poll becomes a qr_required channel state and keeps the cursor", async () => {
      recorder.answerNext({ status: 200, body: { err: "acc not authorized" } });
      const result = await wamm.poll!(ctx, "42");
      expect(result.cursor).toBe("42");
      expect(result.events).toEqual([expect.objectContaining({ type: "channel_state", state: "qr_required" })]);
    });
  });

  it("parseWebhook refuses every body: WAMM has no webhooks", async () => {
    await expect(wamm.parseWebhook(webhookRequest({ body: lastFixture.body }), ctx)).rejects.toBeInstanceOf(WebhookPayloadError);
  });

  it("wammTime reads WAMM dates as Moscow time [U]", () => {
    expect(wammTime("2021-01-24 19:52:00", clock.now())).toEqual(new Date("2021-01-24T16:52:00Z"));
    expect(wammTime("garbage", clock.now())).toEqual(clock.now());
  });
});
