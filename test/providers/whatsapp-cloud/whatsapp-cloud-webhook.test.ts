import { describe, expect, it } from "vitest";
import batch from "../../../app/providers/whatsapp-cloud/fixtures/webhook-batch.json";
import otherNumber from "../../../app/providers/whatsapp-cloud/fixtures/webhook-other-number.json";
import reaction from "../../../app/providers/whatsapp-cloud/fixtures/webhook-reaction.json";
import statusRead from "../../../app/providers/whatsapp-cloud/fixtures/webhook-status-read.json";
import failedWithoutCode from "../../../app/providers/whatsapp-cloud/fixtures/webhook-status-failed-error-without-code.json";
import systemChangedNumber from "../../../app/providers/whatsapp-cloud/fixtures/webhook-system-changed-number.json";
import text from "../../../app/providers/whatsapp-cloud/fixtures/webhook-text.json";
import { whatsappCloud } from "../../../app/providers/whatsapp-cloud/index.js";
import { providerContext, webhookRequest } from "../provider-fake.js";
import { signedWebhook, WA_APP_SECRET, WA_PHONE_NUMBER_ID, WA_TOKEN, WA_WABA_ID } from "./fake.js";

const ctx = providerContext(whatsappCloud, {
  credentials: { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET },
  messenger: "whatsapp",
});
const parse = (body: object) => whatsappCloud.parseWebhook(webhookRequest(signedWebhook(body)), ctx);
const handshake = (query: Record<string, string>) => whatsappCloud.verifyWebhook!(webhookRequest({ method: "GET", body: "", query, headers: {} }), ctx);

/** the text fixture with its one message replaced */
function withMessage(message: Record<string, unknown>): object {
  const hook = structuredClone(text);
  const value = hook.entry[0]!.changes[0]!.value as { messages: unknown[] };
  value.messages = [{ from: "79001234567", id: "wamid.X1", timestamp: "1732600000", ...message }];
  return hook;
}

describe("whatsapp-cloud webhooks", () => {
  describe("GET handshake", () => {
    it("subscribe + our verify token -> 200 with the raw challenge, no signature needed", async () => {
      const token = await ctx.channelSecret("whatsapp-verify-token");
      expect(await handshake({ "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444" })).toEqual({ status: 200, body: "1158201444" });
    });
    it("a wrong verify token -> 403", async () => {
      expect(await handshake({ "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1" })).toEqual({ status: 403, body: "verify token does not match" });
    });
    it("another mode or no token -> 403", async () => {
      const token = await ctx.channelSecret("whatsapp-verify-token");
      expect((await handshake({ "hub.mode": "unsubscribe", "hub.verify_token": token, "hub.challenge": "1" })).status).toBe(403);
      expect((await handshake({ "hub.mode": "subscribe", "hub.challenge": "1" })).status).toBe(403);
    });
  });

  it("a batch mixing our number and another's gives only ours, in order", async () => {
    const mixed = { ...batch, entry: [...batch.entry.slice(0, 1), ...otherNumber.entry, ...batch.entry.slice(1)] };
    const events = await parse(mixed);
    expect(events.map((e) => [e.type, e.type === "channel_state" ? null : e.providerMessageId])).toEqual([
      ["incoming", "wamid.HBgLNzkwMDEyMzQ1NjcVAgASGBQzRUIwMUE1QjJDM0Q0RTVGMDIA"],
      ["incoming", "wamid.HBgLNzkwMDU1NTQ0MzMVAgASGBQzRUIwMUE1QjJDM0Q0RTVGMDMA"],
      ["status", "wamid.HBgLNzkwMDEyMzQ1NjcVAgARGBI5QTRCMEM4RjA2NzY4RTlBNAA="],
    ]);
  });

  it("changes of other fields (template status updates…) are skipped", async () => {
    const hook = { object: "whatsapp_business_account", entry: [{ id: WA_WABA_ID, changes: [{ field: "message_template_status_update", value: { event: "APPROVED", message_template_name: "x" } }] }] };
    expect(await parse(hook)).toEqual([]);
  });

  it("a reaction taken back (empty emoji) gives no event: a CRM note cannot be undone", async () => {
    const removed = JSON.parse(JSON.stringify(reaction).replace('"emoji":"👍"', '"emoji":""'));
    expect(await parse(removed)).toEqual([]);
  });

  it("system notices give no event; order and flow replies become a note for the operator", async () => {
    expect(await parse(withMessage({ type: "system", system: { body: "User changed number", wa_id: "79001112233", type: "user_changed_number" } }))).toEqual([]);
    const order = await parse(withMessage({ type: "order", order: { catalog_id: "1", product_items: [] } }));
    expect(order).toMatchObject([{ type: "incoming", text: "[unsupported message type: order]", files: [] }]);
    const flow = await parse(withMessage({ type: "interactive", interactive: { type: "nfm_reply", nfm_reply: { response_json: "{}" } } }));
    expect(flow).toMatchObject([{ text: "[unsupported message type: interactive/nfm_reply]" }]);
  });

  it("several contact cards: the first is the contact, the others follow as text [U]", async () => {
    const events = await parse(
      withMessage({
        type: "contacts",
        contacts: [
          { name: { formatted_name: "Anna" }, phones: [{ wa_id: "79005554433" }] },
          { name: { formatted_name: "Oleg" }, phones: [{ phone: "+7 900 000-00-01" }] },
        ],
      }),
    );
    expect(events).toMatchObject([{ contact: { name: "Anna", phones: ["79005554433"] }, text: "Oleg: 79000000001" }]);
  });

  it("a sender without a profile has no name; unknown statuses are skipped", async () => {
    const hook = structuredClone(text) as unknown as { entry: Array<{ changes: Array<{ value: Record<string, unknown> }> }> };
    delete hook.entry[0]!.changes[0]!.value.contacts;
    hook.entry[0]!.changes[0]!.value.statuses = [{ id: "wamid.S", status: "deleted", timestamp: "1732600000" }];
    const events = await parse(hook);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "incoming", text: "Hello" });
    expect((events[0] as { peer: object }).peer).toEqual({ phone: "79001234567" });
  });

  describe("what Meta's own schema leaves out", () => {
    it("a read status without conversation or pricing is a read status", async () => {
      expect(await parse(statusRead)).toEqual([
        {
          type: "status",
          eventId: "wamid.HBgLNzkwMDEyMzQ1NjcVAgARGBI5QTRCMEM4RjA2NzY4RTlBNAA=:read",
          providerMessageId: "wamid.HBgLNzkwMDEyMzQ1NjcVAgARGBI5QTRCMEM4RjA2NzY4RTlBNAA=",
          status: "read",
          at: new Date(1732600420 * 1000),
        },
      ]);
    });

    it("a system notice in a value without contacts (the spec's example) gives no event and is not malformed", async () => {
      expect(await parse(systemChangedNumber)).toEqual([]);
    });

    it("a failed status whose error has no code still fails the message, with the error's text", async () => {
      expect(await parse(failedWithoutCode)).toEqual([
        {
          type: "status",
          eventId: "wamid.HBgLNzkwMDEyMzQ1NjcVAgARGBI5QTRCMEM4RjA2NzY4RTlBNAA=:failed",
          providerMessageId: "wamid.HBgLNzkwMDEyMzQ1NjcVAgARGBI5QTRCMEM4RjA2NzY4RTlBNAA=",
          status: "failed",
          reason: "Message undeliverable — Message Undeliverable.",
          code: "rejected",
          at: new Date(1732600480 * 1000),
        },
      ]);
    });

    it("a status still needs its id and timestamp, and a change its phone_number_id", async () => {
      const noId = structuredClone(statusRead) as unknown as { entry: Array<{ changes: Array<{ value: { statuses: Array<Record<string, unknown>> } }> }> };
      delete noId.entry[0]!.changes[0]!.value.statuses[0]!.id;
      await expect(parse(noId)).rejects.toThrow(/statuses\.0\.id/);
      const noTime = structuredClone(statusRead) as unknown as typeof noId;
      delete noTime.entry[0]!.changes[0]!.value.statuses[0]!.timestamp;
      await expect(parse(noTime)).rejects.toThrow(/timestamp/);
    });
  });

  it("an uppercase hex signature is accepted; a body changed after signing is not", async () => {
    const good = signedWebhook(text);
    const hex = good.headers!["x-hub-signature-256"]!.slice("sha256=".length);
    const upper = { ...good, headers: { "x-hub-signature-256": `sha256=${hex.toUpperCase()}` } };
    expect(await whatsappCloud.parseWebhook(webhookRequest(upper), ctx)).toHaveLength(1);
    const tampered = { ...good, body: (good.body as string).replace("Hello", "Hellp") };
    await expect(whatsappCloud.parseWebhook(webhookRequest(tampered), ctx)).rejects.toMatchObject({ code: "invalid_credentials" });
  });
});
