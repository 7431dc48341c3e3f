import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { assertStorageKey, type FileStore, type StoredFile } from "../app/core/file-store.js";

/** Writes through a temporary name and renames, so a concurrent reader never sees half a file. */
async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Files under one folder (DATA_DIR/files on Node): the bytes at `<key>`, the content type in
 * `<key>.mime` beside them. The type is written first, so whenever the bytes exist so does it.
 */
export class DiskFileStore implements FileStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    assertStorageKey(key);
    return join(this.root, key);
  }

  async put(key: string, bytes: Uint8Array, opts: { mime: string }): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await writeAtomically(`${path}.mime`, opts.mime);
    await writeAtomically(path, bytes);
  }

  async get(key: string): Promise<StoredFile | null> {
    const path = this.pathOf(key);
    let size: number;
    let mime: string;
    try {
      [size, mime] = await Promise.all([stat(path).then((s) => s.size), readFile(`${path}.mime`, "utf8")]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    // Node's web stream type and the DOM one describe the same runtime object.
    const body = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
    return { body, mime, size };
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true });
    await rm(`${path}.mime`, { force: true });
  }
}
