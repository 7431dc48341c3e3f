import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerContext as channelContext } from "../../../app/core/channels.js";
import { hostMessageFile } from "../../../app/core/media.js";
import { channels, messages } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import ackRead from "../../../app/providers/waha/fixtures/webhook-ack-read.json";
import documentMessage from "../../../app/providers/waha/fixtures/webhook-message-document.json";
import sessionScanQr from "../../../app/providers/waha/fixtures/webhook-session-scan-qr.json";
import { HMAC_PURPOSE } from "../../../app/providers/waha/session.js";
import { hmacSha512Hex } from "../../../app/providers/waha/webhook.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";
import { seedChannel } from "../../support/channels.js";
import { testDeps } from "../../support/deps.js";
import type { FakeServer } from "../../support/fake-server.js";
import { Recorder, serveFake } from "../provider-fake.js";
import { createWahaFake, MEDIA_BYTES, WAHA_KEY, WAHA_SESSION } from "./fake.js";

/** The whole inbound path: WAHA's signed POST on /hooks/waha/<secret>, the stored row, the media re-hosted with the key. */
describe.each(await backends())("WAHA webhooks through the app on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  let server: FakeServer;
  const recorder = new Recorder();

  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db);
    server = await serveFake((fake) => createWahaFake(fake), recorder);
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  async function wahaChannel() {
    const seeded = await seedChannel(deps, "waha", { apiUrl: server.url, apiKey: WAHA_KEY, session: WAHA_SESSION });
    const key = await (await channelContext(deps, seeded.channel)).channelSecret(HMAC_PURPOSE);
    const post = async (body: object, sign = true) => {
      const raw = JSON.stringify(body);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (sign) Object.assign(headers, { "x-webhook-hmac": await hmacSha512Hex(key, raw), "x-webhook-hmac-algorithm": "sha512" });
      return createApp(deps).request(`/hooks/waha/${seeded.hookSecret}`, { method: "POST", headers, body: raw });
    };
    return { ...seeded, post };
  }

  it("refuses an unsigned webhook with 401 and stores nothing", async () => {
    const { channel, post } = await wahaChannel();
    expect((await post(documentMessage, false)).status).toBe(401);
    expect(await t.db.select().from(messages).where(eq(messages.channelId, channel.id))).toEqual([]);
  });

  it("stores a media message once, and re-hosting fetches the file from WAHA with X-Api-Key", async () => {
    const { channel, post } = await wahaChannel();
    const url = `${server.url}/api/files/crm-1/false_79001234567@c.us_3EB0D0C0B0A090807060.pdf`;
    const body = { ...documentMessage, payload: { ...documentMessage.payload, media: { ...documentMessage.payload.media, url } } };
    expect(await (await post(body)).json()).toEqual({ ok: true, stored: 1, duplicates: 0, statuses: 0 });
    // WAHA retries a webhook it thinks failed: the message id dedups it
    expect(await (await post(body)).json()).toEqual({ ok: true, stored: 0, duplicates: 1, statuses: 0 });

    const [row] = await t.db.select().from(messages).where(eq(messages.channelId, channel.id));
    expect(row).toMatchObject({ direction: "in", peer: "79001234567", body: "see attached" });
    // the key itself is never stored with the message, only that the link needs it
    expect(row!.file).toEqual({ url, name: "invoice.pdf", mime: "application/pdf", auth: true });

    recorder.reset();
    const hosted = await hostMessageFile(deps, channel, row!.id, row!.file!);
    expect(hosted).toMatchObject({ name: "invoice.pdf", mime: "application/pdf" });
    expect(recorder.requests.map((r) => [r.path, r.headers.get("x-api-key")])).toEqual([[new URL(url).pathname, WAHA_KEY]]);
    expect(recorder.violations).toEqual([]);
    const [stored] = await t.db.select().from(messages).where(eq(messages.id, row!.id));
    expect(stored!.file?.size).toBe(MEDIA_BYTES.byteLength);
  });

  it("keeps the channel state from session.status and applies acks to our sent message", async () => {
    const { channel, post } = await wahaChannel();
    await post(sessionScanQr);
    const [state] = await t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(state!.state).toBe("qr_required");

    const [sent] = await t.db
      .insert(messages)
      .values({ channelId: channel.id, direction: "out", origin: "webhook_api", peer: "79001234567", body: "Hi", providerMessageId: ackRead.payload.id, status: "sent", dedupKey: `t:${crypto.randomUUID()}` })
      .returning();
    expect(await (await post(ackRead)).json()).toMatchObject({ ok: true, statuses: 1 });
    const [read] = await t.db.select().from(messages).where(eq(messages.id, sent!.id));
    expect(read!.status).toBe("read");
  });
});
