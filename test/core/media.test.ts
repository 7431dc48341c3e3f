import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup } from "../../app/core/maintenance.js";
import { hostMessageFile, MEDIA_RETENTION_MS } from "../../app/core/media.js";
import { PermanentError, RetryableError } from "../../app/core/outbox/types.js";
import { files, messages } from "../../app/db/schema.js";
import type { AppDeps } from "../../app/deps.js";
import { createApp } from "../../app/index.js";
import { backends, openTestDb, type TestDb } from "../support/db.js";
import { testDeps } from "../support/deps.js";
import { seedChannel } from "../support/channels.js";
import { type FakeServer, startFake } from "../support/fake-server.js";

const PHOTO = new Uint8Array(Array.from({ length: 5000 }, (_, i) => i % 251));

describe.each(await backends())("re-hosting client media for CRMs on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  let media: FakeServer;
  let elsewhere: FakeServer;
  const seen: Array<{ path: string; authorization: string | null }> = [];

  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db);
    elsewhere = await startFake(
      new Hono().get("*", (c) => {
        seen.push({ path: `elsewhere${c.req.path}`, authorization: c.req.header("authorization") ?? null });
        return c.body(PHOTO, 200, { "content-type": "image/jpeg" });
      }),
    );
    media = await startFake(
      new Hono()
        .get("/public/photo.jpg", (c) => {
          seen.push({ path: c.req.path, authorization: c.req.header("authorization") ?? null });
          return c.body(PHOTO, 200, { "content-type": "image/jpeg" });
        })
        .get("/private/doc.pdf", (c) => {
          seen.push({ path: c.req.path, authorization: c.req.header("authorization") ?? null });
          if (c.req.header("authorization") !== "Key devino-key") return c.text("no", 401);
          return c.body(PHOTO, 200, { "content-type": "application/pdf" });
        })
        .get("/moved", (c) => c.redirect(`${elsewhere.url}/copy.jpg`, 302))
        .get("/gone", (c) => c.text("gone", 404))
        .get("/busy", (c) => c.text("busy", 503)),
    );
  });
  afterAll(async () => {
    await media?.close();
    await elsewhere?.close();
    await t?.close();
  });

  async function storedMessage(channelId: string, url: string, auth = false) {
    const [row] = await t.db
      .insert(messages)
      .values({
        channelId,
        direction: "in",
        origin: "provider",
        peer: "79001234567",
        file: { url, ...(auth ? { auth: true } : {}) },
        dedupKey: `media:${crypto.randomUUID()}`,
      })
      .returning();
    return row!;
  }

  it("copies a provider's file once, and the CRM downloads it from our signed link", async () => {
    const { channel } = await seedChannel(deps, "wappi", { apiToken: "t", profileId: "p" });
    const message = await storedMessage(channel.id, `${media.url}/public/photo.jpg`);
    seen.length = 0;
    const hosted = await hostMessageFile(deps, channel, message.id, message.file!);
    expect(hosted).toMatchObject({ name: "photo.jpg", mime: "image/jpeg" });
    expect(hosted.url.startsWith(`${deps.config.PUBLIC_URL}/files/`)).toBe(true);

    const [row] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(row!.file).toMatchObject({ hostedId: expect.any(String), size: PHOTO.length, mime: "image/jpeg" });
    const [stored] = await t.db.select().from(files).where(eq(files.id, row!.file!.hostedId!));
    expect(stored).toMatchObject({ portalId: channel.portalId, size: PHOTO.length, name: "photo.jpg" });

    const res = await createApp(deps).request(new URL(hosted.url).pathname);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PHOTO);

    // a retried delivery reuses the copy
    await hostMessageFile(deps, channel, message.id, row!.file!);
    expect(seen).toHaveLength(1);
  });

  it("asks the provider for the credentials its own links need, and never carries them to another host", async () => {
    const { channel } = await seedChannel(deps, "devino", { apiKey: "devino-key", from: "Shop", apiUrl: media.url });
    const message = await storedMessage(channel.id, `${media.url}/private/doc.pdf`, true);
    seen.length = 0;
    const hosted = await hostMessageFile(deps, channel, message.id, message.file!);
    expect(hosted.mime).toBe("application/pdf");
    expect(seen).toEqual([{ path: "/private/doc.pdf", authorization: "Key devino-key" }]);

    const moved = await storedMessage(channel.id, `${media.url}/moved`, true);
    seen.length = 0;
    await hostMessageFile(deps, channel, moved.id, moved.file!);
    expect(seen).toEqual([{ path: "elsewhere/copy.jpg", authorization: null }]);
  });

  it("maintenance deletes copies past their retention, row and bytes", async () => {
    const { channel } = await seedChannel(deps, "wappi", { apiToken: "t", profileId: "p" });
    const message = await storedMessage(channel.id, `${media.url}/public/photo.jpg`);
    const hosted = await hostMessageFile(deps, channel, message.id, message.file!);
    const id = decodeURIComponent(new URL(hosted.url).pathname.split("/")[2]!);
    const [row] = await t.db.select().from(files).where(eq(files.id, id));
    const removed = await cleanup(t.db, new Date(Date.now() + MEDIA_RETENTION_MS + 60_000), deps.files);
    expect(removed.files).toBeGreaterThanOrEqual(1);
    expect(await t.db.select().from(files).where(eq(files.id, id))).toHaveLength(0);
    expect(await deps.files.get(row!.storageKey)).toBeNull();
  });

  it("a link the provider refuses fails permanently; a busy provider is retried", async () => {
    const { channel } = await seedChannel(deps, "wappi", { apiToken: "t", profileId: "p" });
    const gone = await storedMessage(channel.id, `${media.url}/gone`);
    await expect(hostMessageFile(deps, channel, gone.id, gone.file!)).rejects.toBeInstanceOf(PermanentError);
    const busy = await storedMessage(channel.id, `${media.url}/busy`);
    await expect(hostMessageFile(deps, channel, busy.id, busy.file!)).rejects.toBeInstanceOf(RetryableError);
    const privateNet = await storedMessage(channel.id, "http://10.0.0.7/secret.jpg");
    await expect(hostMessageFile(deps, channel, privateNet.id, privateNet.file!)).rejects.toBeInstanceOf(PermanentError);
  });
});
