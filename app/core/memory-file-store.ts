import { assertStorageKey, type FileStore, type StoredFile } from "./file-store.js";

/** Bytes in a Map: for tests and for tools that need a FileStore without storage. */
export class MemoryFileStore implements FileStore {
  private readonly objects = new Map<string, { bytes: Uint8Array; mime: string }>();

  async put(key: string, bytes: Uint8Array, opts: { mime: string }): Promise<void> {
    assertStorageKey(key);
    this.objects.set(key, { bytes: bytes.slice(), mime: opts.mime });
  }

  async get(key: string): Promise<StoredFile | null> {
    assertStorageKey(key);
    const found = this.objects.get(key);
    if (!found) return null;
    const { bytes, mime } = found;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice());
        controller.close();
      },
    });
    return { body, mime, size: bytes.length };
  }

  async delete(key: string): Promise<void> {
    assertStorageKey(key);
    this.objects.delete(key);
  }

  has(key: string): boolean {
    return this.objects.has(key);
  }
}
