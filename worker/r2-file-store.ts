import type { R2Bucket } from "@cloudflare/workers-types";
import { assertStorageKey, type FileStore, type StoredFile } from "../app/core/file-store.js";

/** Re-hosted media in an R2 bucket (binding FILES); the content type rides in R2's HTTP metadata. */
export class R2FileStore implements FileStore {
  constructor(private readonly bucket: R2Bucket) {}

  async put(key: string, bytes: Uint8Array, opts: { mime: string }): Promise<void> {
    assertStorageKey(key);
    await this.bucket.put(key, bytes, { httpMetadata: { contentType: opts.mime } });
  }

  async get(key: string): Promise<StoredFile | null> {
    assertStorageKey(key);
    const object = await this.bucket.get(key);
    if (!object) return null;
    return {
      // workers-types and the DOM lib each declare ReadableStream; at run time it is one object.
      body: object.body as unknown as ReadableStream<Uint8Array>,
      mime: object.httpMetadata?.contentType ?? "application/octet-stream",
      size: object.size,
    };
  }

  async delete(key: string): Promise<void> {
    assertStorageKey(key);
    await this.bucket.delete(key);
  }
}
