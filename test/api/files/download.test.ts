import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../app/core/clock.js";
import { signFileUrl } from "../../../app/core/file-store.js";
import { generateEncryptionKey } from "../../../app/core/secrets.js";
import type { AppDeps } from "../../../app/deps.js";
import { files } from "../../../app/db/schema.js";
import { createApp } from "../../../app/index.js";
import { openTestDb, type TestDb } from "../../support/db.js";
import { TEST_ENCRYPTION_KEY, testDeps } from "../../support/deps.js";

const HOUR = 3600_000;

describe("GET /files/:id/:signature", () => {
  let t: TestDb;
  let deps: AppDeps;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const bytes = new TextEncoder().encode("voice note bytes");

  async function addFile(opts: { key: string; name: string; expiresAt?: Date; store?: boolean }): Promise<string> {
    if (opts.store !== false) await deps.files.put(opts.key, bytes, { mime: "audio/ogg" });
    const [row] = await t.db
      .insert(files)
      .values({
        storageKey: opts.key,
        name: opts.name,
        mime: "audio/ogg",
        size: bytes.length,
        sha256: "0".repeat(64),
        expiresAt: opts.expiresAt ?? null,
      })
      .returning({ id: files.id });
    return row!.id;
  }

  const pathOf = async (id: string, linkExpires = new Date(clock.now().getTime() + HOUR), key = TEST_ENCRYPTION_KEY) =>
    new URL(await signFileUrl("https://bridge.test/", id, linkExpires, key)).pathname;
  const get = (path: string) => createApp(deps).request(path);

  beforeAll(async () => {
    t = await openTestDb("pglite");
    deps = await testDeps(t.db, { clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe("happy", () => {
    it("streams the file with its type, size and a safe download name", async () => {
      const id = await addFile({ key: "p1/voice.ogg", name: 'голос "1".ogg' });
      const path = await pathOf(id);
      expect(path).toMatch(new RegExp(`^/files/${id}/\\d+\\.[A-Za-z0-9_-]{43}$`));
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("audio/ogg");
      expect(res.headers.get("content-length")).toBe(String(bytes.length));
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const disposition = res.headers.get("content-disposition")!;
      expect(disposition).toContain('attachment; filename="_____ _1_.ogg"');
      expect(disposition).toContain("filename*=UTF-8''%D0%B3%D0%BE%D0%BB%D0%BE%D1%81%20%221%22.ogg");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    });

    it("keeps links signed with a previous key working after rotation", async () => {
      const oldKey = generateEncryptionKey();
      const id = await addFile({ key: "p1/rotated.ogg", name: "a.ogg" });
      const path = await pathOf(id, undefined, oldKey);
      const rotated = await testDeps(t.db, {
        clock,
        config: { ...deps.config, ENCRYPTION_KEY: `${generateEncryptionKey()},${oldKey}` },
      });
      const res = await createApp({ ...rotated, files: deps.files }).request(path);
      expect(res.status).toBe(200);
    });
  });

  describe("error", () => {
    it("answers 404 JSON for an expired link", async () => {
      const id = await addFile({ key: "p1/old-link.ogg", name: "a.ogg" });
      const res = await get(await pathOf(id, new Date(clock.now().getTime() - 1000)));
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ ok: false, error: "not_found" });
    });

    it("answers 404 when the file itself has expired, though the link has not", async () => {
      const id = await addFile({ key: "p1/old-file.ogg", name: "a.ogg", expiresAt: new Date(clock.now().getTime() - 1) });
      const res = await get(await pathOf(id));
      expect(res.status).toBe(404);
    });

    it("answers 404 for a signed id with no row, and for a row whose bytes are gone", async () => {
      expect((await get(await pathOf(crypto.randomUUID()))).status).toBe(404);
      const id = await addFile({ key: "p1/missing.ogg", name: "a.ogg", store: false });
      expect((await get(await pathOf(id))).status).toBe(404);
    });

    it("answers 404 for malformed ids and signatures", async () => {
      expect((await get("/files/not-a-uuid/123.abc")).status).toBe(404);
      expect((await get(`/files/${crypto.randomUUID()}/garbage`)).status).toBe(404);
    });
  });

  describe("security", () => {
    it("refuses a signature made for another file", async () => {
      const a = await addFile({ key: "p1/a.ogg", name: "a.ogg" });
      const b = await addFile({ key: "p2/b.ogg", name: "b.ogg" });
      const signatureOfA = (await pathOf(a)).split("/").pop()!;
      const res = await get(`/files/${b}/${signatureOfA}`);
      expect(res.status).toBe(404);
    });

    it("refuses a link whose expiry was pushed forward", async () => {
      const id = await addFile({ key: "p1/extended.ogg", name: "a.ogg" });
      const path = await pathOf(id);
      const extended = path.replace(/\/(\d+)\./, (_m, exp: string) => `/${Number(exp) + 86_400}.`);
      expect((await get(extended)).status).toBe(404);
    });

    it("refuses a link signed with a key this deployment does not hold", async () => {
      const id = await addFile({ key: "p1/foreign.ogg", name: "a.ogg" });
      const res = await get(await pathOf(id, undefined, generateEncryptionKey()));
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: "not_found", message: "File not found or the link has expired" });
    });
  });
});
