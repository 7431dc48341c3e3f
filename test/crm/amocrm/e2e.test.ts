import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import incoming from "../../../app/providers/wappi/fixtures/webhook-incoming-message.json";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import type { FakeServer } from "../../support/fake-server.js";
import { CLIENT_PHONE } from "./amojo-harness.js";
import { FAKE_BOT_ID, FAKE_CHANNEL_ID, FAKE_CHANNEL_SECRET, FakeAmojo } from "./fake-amojo.js";
import { AmoHarness } from "./harness.js";

const PUBLIC_URL = "https://bridge.example";

/**
 * Issue 8's end-to-end path with nothing seeded: the OAuth install (state we issued, code
 * exchanged at the fake account), the widget's signed token for an admin session, a channel
 * created and connected to amoCRM chats through the admin API, a client's WhatsApp message
 * into amojo, a manager's reply back to the client, and its delivery reported to amojo.
 */
describe.each(await backends())("amoCRM end to end: install -> widget session -> channel -> chats both ways (%s)", (backend) => {
  const h = new AmoHarness(backend);
  const amojo = new FakeAmojo(() => h.clock.now());
  const wappi = new Recorder();
  let wappiServer: FakeServer;

  beforeAll(async () => {
    await amojo.start();
    wappiServer = await serveFake((fake) => createWappiFake(fake, "whatsapp"), wappi);
    await h.start({
      PUBLIC_URL,
      AMOCRM_AMOJO_URL: amojo.url,
      KOMMO_AMOJO_URL: amojo.url,
      AMOCRM_CHAT_CHANNEL_ID: FAKE_CHANNEL_ID,
      AMOCRM_CHAT_CHANNEL_SECRET: FAKE_CHANNEL_SECRET,
      AMOCRM_CHAT_BOT_ID: FAKE_BOT_ID,
    });
  });
  afterAll(async () => {
    await h.close();
    await wappiServer?.close();
    await amojo.close();
  });

  async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await h.app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("happy: every hop once, signed where amojo requires it, with nothing seeded in the database", async () => {
    // 1. install: the administrator follows our install link, amoCRM redirects back with a code
    const fake = await h.account();
    const installed = await h.redirect({ code: fake.issueCode(), referer: fake.host, state: await h.issuedState(), platform: "1" });
    expect(installed.status).toBe(200);
    const account = await h.row(fake);
    expect(account).toMatchObject({ status: "active", domain: fake.host, settings: expect.objectContaining({ amojoId: fake.amojoId }) });

    // 2. the widget opens a session with its disposable token (4.3), as an account admin
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const widgetToken = await new SignJWT({ account_id: fake.accountId, user_id: 1, subdomain: fake.subdomain, client_uuid: fake.clientId })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(fake.url)
      .setAudience(PUBLIC_URL)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 1800)
      .setJti(crypto.randomUUID())
      .sign(new TextEncoder().encode(fake.clientSecret));
    const session = await h.app.request("/api/session", { method: "POST", headers: { "x-auth-token": widgetToken, origin: `https://${fake.subdomain}.amocrm.ru` } });
    expect(session.status).toBe(200);
    const { token } = (await session.json()) as { token: string };

    // 3. a Wappi channel, created and connected to amoCRM chats from the widget
    const created = await call("POST", "/api/channels", token, {
      provider: "wappi",
      name: "Sales WhatsApp",
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: wappiServer.url },
    });
    expect(created.status).toBe(201);
    const channel = created.body.channel as { id: string; hook_url: string };
    const bound = await call("POST", `/api/channels/${channel.id}/bind`, token, {});
    expect(bound).toMatchObject({ status: 200, body: { ok: true, line: `${FAKE_CHANNEL_ID}_${fake.amojoId}`, active: true } });
    const scopeId = String(bound.body.line);
    await h.runJobs(2); // the install's reconnect job runs too: it finds the same scope

    // 4. the client writes on WhatsApp: Wappi's webhook -> new_message at amojo, signed (the fake answers 403 otherwise)
    const [base] = incoming.messages;
    const hook = await h.app.request(new URL(channel.hook_url).pathname, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ ...base, id: "IN-E2E-0001", body: "Здравствуйте, есть доставка?" }] }),
    });
    expect(hook.status).toBe(200);
    await h.runJobs(2);
    const [inbound] = amojo.newMessages(scopeId);
    expect(inbound).toMatchObject({
      conversation_id: `cb-${channel.id}-${CLIENT_PHONE}`,
      sender: { id: `cb-user-${channel.id}-${CLIENT_PHONE}`, profile: { phone: `+${CLIENT_PHONE}` } },
      message: { type: "text", text: "Здравствуйте, есть доставка?" },
      silent: false,
    });
    expect(inbound).not.toHaveProperty("source");

    // 5. a manager answers in amoCRM: the signed hook -> one send through Wappi
    const amojoMessageId = crypto.randomUUID();
    const reply = await amojo.sendHook((path, init) => h.app.request(path, init), scopeId, amojo.hookPayload({
      accountId: fake.amojoId,
      conversationClientId: `cb-${channel.id}-${CLIENT_PHONE}`,
      messageId: amojoMessageId,
      text: "Да, доставляем завтра",
    }));
    expect(reply.status).toBe(200);
    await h.runJobs(2);
    const sends = wappi.requests.filter((r) => r.path.includes("/message/")).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(sends).toEqual([{ body: "Да, доставляем завтра", recipient: CLIENT_PHONE }]);

    // 6. WhatsApp reports delivery: delivery_status 1 for amojo's message id (2.8)
    const delivered = await h.app.request(new URL(channel.hook_url).pathname, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: { wh_type: "delivery_status", profile_id: WAPPI_PROFILE, id: "3EB0128AE55B5D222DD0", status: "delivered", time: now } }),
    });
    expect(delivered.status).toBe(200);
    await h.runJobs(2);
    expect(amojo.deliveryStatuses(scopeId)).toEqual([{ msgid: amojoMessageId, body: expect.objectContaining({ status_code: 1 }) }]);
    expect(amojo.violations).toEqual([]);
    expect(wappi.violations).toEqual([]);
  });
});
