import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channels, channelTemplates, webhookTokens } from "../../../app/db/schema.js";
import error100 from "../../../app/providers/whatsapp-cloud/fixtures/error-100.json";
import { type ChannelAnswer, OfficialHarness } from "../../crm/bitrix24/official-harness.js";
import { TELEGRAM_TOKEN } from "../../providers/telegram/fake.js";
import { WA_TOKEN } from "../../providers/whatsapp-cloud/fake.js";
import { backends } from "../../support/db.js";

/** A token of the right shape that the Telegram fake does not know (Telegram answers 401). */
const REFUSED_BOT_TOKEN = "7012345678:AAwrongwrongwrongwrongwrongwrongwro";

/**
 * Creating channels of the two official providers through the admin API: the provider is asked
 * about the credentials first (Telegram getMe, Cloud API phone number), so refused ones create
 * nothing, and what it answers is what the admin sees of the channel.
 */
describe.each(await backends())("admin API: Telegram bot and Cloud API channels (%s)", (backend) => {
  const h = new OfficialHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  async function portalChannels(token: string) {
    return (await h.call("GET", "/api/channels", token)).body.channels as ChannelAnswer[];
  }

  async function rowsOfPortal(memberId: string) {
    const portal = await h.portalRow(memberId);
    return h.t.db.select().from(channels).where(eq(channels.portalId, portal!.id));
  }

  it("error: a Telegram token the Bot API refuses -> 400 invalid_parameter on credentials; no channel row, token or webhook left", async () => {
    const { portal, token } = await h.adminPortal();
    h.official.telegram.reset();
    const res = await h.call("POST", "/api/channels", token, { provider: "telegram", name: "Bot", credentials: h.official.telegramCredentials(REFUSED_BOT_TOKEN) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ok: false, error: "invalid_parameter", field: "credentials" });
    expect(String(res.body.message)).toContain("refused");
    // the token is never echoed, not even the refused one
    expect(JSON.stringify(res.body)).not.toContain(REFUSED_BOT_TOKEN);
    expect(await rowsOfPortal(portal.memberId)).toEqual([]);
    expect(await portalChannels(token)).toEqual([]);
    // getMe was the only call: nothing was configured under a token we do not hold
    expect(h.official.telegram.requests.map((r) => r.path.split("/").at(-1))).toEqual(["getMe"]);
  });

  it("happy: a Telegram bot channel shows the bot's @username, name and t.me link; the token appears nowhere in the answer", async () => {
    const { token } = await h.adminPortal();
    const res = await h.call("POST", "/api/channels", token, { provider: "telegram", name: "Bot", credentials: h.official.telegramCredentials() });
    expect(res.status).toBe(201);
    const channel = res.body.channel as ChannelAnswer;
    expect(channel).toMatchObject({ provider: "telegram", messenger: "telegram", state: "connected", hook_verify_token: null });
    expect(channel.state_detail).toEqual({ bot_id: "7012345678", name: "Chatbridge Demo", username: "@chatbridge_demo_bot", link: "https://t.me/chatbridge_demo_bot" });
    expect(channel.webhook_url).toMatch(/\/rest\/webhook\/tg\//);
    expect(JSON.stringify(await portalChannels(token))).not.toContain(TELEGRAM_TOKEN);
    // a bot has no templates
    expect((await h.call("GET", `/api/channels/${channel.id}/templates`, token)).body).toMatchObject({ ok: false, error: "unsupported" });
    expect((await h.call("POST", `/api/channels/${channel.id}/templates/sync`, token)).body).toMatchObject({ ok: false, error: "unsupported" });
  });

  it("happy: a Cloud API channel shows display_phone_number, verified_name and quality_rating; its templates are listed", async () => {
    const { token } = await h.adminPortal();
    const res = await h.call("POST", "/api/channels", token, { provider: "whatsapp-cloud", name: "Meta", credentials: h.official.cloudCredentials() });
    expect(res.status).toBe(201);
    expect(res.body.warning).toBeUndefined();
    const channel = res.body.channel as ChannelAnswer;
    expect(channel).toMatchObject({ provider: "whatsapp-cloud", messenger: "whatsapp", state: "connected" });
    expect(channel.state_detail).toEqual({ display_phone_number: "+1 555-555-5555", verified_name: "Jaspers Market", quality_rating: "GREEN", name_status: "APPROVED" });
    expect(channel.state_checked_at).not.toBeNull();
    expect(channel.hook_verify_token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(res.body)).not.toContain(WA_TOKEN);
    const templates = await h.t.db.select().from(channelTemplates).where(eq(channelTemplates.channelId, channel.id));
    expect(templates).toHaveLength(5);
  });

  it.each([
    ["an access token Meta refuses (190)", { accessToken: "EAAGwrongwrongwrongwrongwrong" }],
    ["a phone number id the token cannot see (100)", { phoneNumberId: "999999999999999" }],
  ])("error: a Cloud API channel with %s -> 400 invalid_parameter; nothing created", async (_name, override) => {
    const { portal, token } = await h.adminPortal();
    const res = await h.call("POST", "/api/channels", token, { provider: "whatsapp-cloud", name: "Meta", credentials: h.official.cloudCredentials(override) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ok: false, error: "invalid_parameter", field: "credentials" });
    expect(await rowsOfPortal(portal.memberId)).toEqual([]);
    const tokens = await h.t.db.select().from(webhookTokens);
    const live = new Set((await h.t.db.select({ id: channels.id }).from(channels)).map((c) => c.id));
    expect(tokens.every((t) => live.has(t.channelId))).toBe(true);
  });

  it("[U] Telegram unreachable while the channel is created -> 201 with a warning; the state stays unknown until checked", async () => {
    const { token } = await h.adminPortal();
    h.official.telegram.answerNext({ status: 502, body: "<html>Bad Gateway</html>", headers: { "content-type": "text/html" } });
    const res = await h.call("POST", "/api/channels", token, { provider: "telegram", name: "Bot", credentials: h.official.telegramCredentials() });
    expect(res.status).toBe(201);
    expect(String(res.body.warning)).toContain("could not be asked");
    expect(res.body.channel).toMatchObject({ state: "unknown", state_detail: null });
  });

  it("error: a template sync Meta cannot answer -> 503 unavailable; the stored list stays", async () => {
    const { token } = await h.adminPortal();
    const created = await h.call("POST", "/api/channels", token, { provider: "whatsapp-cloud", name: "Meta", credentials: h.official.cloudCredentials() });
    const id = (created.body.channel as ChannelAnswer).id;
    h.official.cloud.answerNext({ status: 500, body: { error: { message: "Something went wrong", type: "OAuthException", code: 131000 } } });
    const res = await h.call("POST", `/api/channels/${id}/templates/sync`, token);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ ok: false, error: "unavailable" });
    expect(((await h.call("GET", `/api/channels/${id}/templates`, token)).body.templates as unknown[]).length).toBe(5);
    // a 100 on the list (a WABA id the token cannot see) is the provider's refusal in the API's shape, not an internal error
    h.official.cloud.answerNext({ status: 400, body: error100 });
    const refused = await h.call("POST", `/api/channels/${id}/templates/sync`, token);
    expect(refused.body).toMatchObject({ ok: false, error: "unavailable" });
    expect(String(refused.body.message)).not.toContain(new URL(h.official.cloudUrl).host);
  });

  it("security: another portal's channel templates are not found", async () => {
    const a = await h.adminPortal();
    const b = await h.adminPortal();
    const created = await h.call("POST", "/api/channels", a.token, { provider: "whatsapp-cloud", name: "Meta", credentials: h.official.cloudCredentials() });
    const id = (created.body.channel as ChannelAnswer).id;
    expect((await h.call("GET", `/api/channels/${id}/templates`, b.token)).status).toBe(404);
    expect((await h.call("POST", `/api/channels/${id}/templates/sync`, b.token)).status).toBe(404);
  });
});
