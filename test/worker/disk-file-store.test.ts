import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileStore } from "../../app/core/file-store.js";
import { MemoryFileStore } from "../../app/core/memory-file-store.js";
import { DiskFileStore } from "../../worker/disk-file-store.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chatbridge-files-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The same contract for every FileStore that runs under Node (R2 is covered in Miniflare). */
describe.each([
  ["disk", () => new DiskFileStore(join(dir, "files"))],
  ["memory", () => new MemoryFileStore()],
] as Array<[string, () => FileStore]>)("%s file store", (_name, make) => {
  it("stores, reads back and deletes bytes with their type", async () => {
    const store = make();
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await store.put("portal-1/2026/photo.jpg", bytes, { mime: "image/jpeg" });
    const got = await store.get("portal-1/2026/photo.jpg");
    expect(got).not.toBeNull();
    expect(got!.mime).toBe("image/jpeg");
    expect(got!.size).toBe(5);
    expect(new Uint8Array(await new Response(got!.body).arrayBuffer())).toEqual(bytes);

    await store.put("portal-1/2026/photo.jpg", new Uint8Array([9]), { mime: "image/png" });
    const replaced = await store.get("portal-1/2026/photo.jpg");
    expect(replaced?.mime).toBe("image/png");
    expect(new Uint8Array(await new Response(replaced!.body).arrayBuffer())).toEqual(new Uint8Array([9]));

    await store.delete("portal-1/2026/photo.jpg");
    expect(await store.get("portal-1/2026/photo.jpg")).toBeNull();
    await store.delete("portal-1/2026/photo.jpg");
  });

  it("answers null for a key never stored", async () => {
    expect(await make().get("nobody/nothing.bin")).toBeNull();
  });

  it("refuses keys that could leave the store's folder", async () => {
    const store = make();
    for (const key of ["../escape", "a/../../b", "/etc/passwd", ".hidden", "a//b", ""]) {
      await expect(store.put(key, new Uint8Array([1]), { mime: "text/plain" })).rejects.toThrow(/invalid file storage key/);
      await expect(store.get(key)).rejects.toThrow(/invalid file storage key/);
    }
  });
});

describe("disk file store layout", () => {
  it("keeps files under its root and leaves no temporary files behind", async () => {
    const root = join(dir, "layout");
    const store = new DiskFileStore(root);
    await store.put("p/doc.pdf", new Uint8Array([1, 2, 3]), { mime: "application/pdf" });
    expect(existsSync(join(root, "p", "doc.pdf"))).toBe(true);
    expect((await readdir(join(root, "p"))).sort()).toEqual(["doc.pdf", "doc.pdf.mime"]);
  });
});
