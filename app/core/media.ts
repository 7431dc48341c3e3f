import { eq } from "drizzle-orm";
import { files, type MessageFile, messages } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { type Channel, providerContext, providerOf } from "./channels.js";
import { bytesToHex } from "./encoding.js";
import { AppError } from "./errors.js";
import { signFileUrl } from "./file-store.js";
import { PermanentError, RetryableError } from "./outbox/types.js";
import { DownloadError, readBodyCapped } from "./remote-download.js";
import { requestPublic } from "./remote-file.js";
import { outboundPolicy } from "./ssrf.js";

/** Media a client sends: WhatsApp caps documents at 100 MB. */
export const MAX_MEDIA_BYTES = 100 * 1024 * 1024;
/** How long our copy is kept; CRMs copy a file when the message arrives. */
export const MEDIA_RETENTION_MS = 30 * 24 * 3600_000;
/** How long a link we hand to a CRM works. */
export const MEDIA_LINK_TTL_MS = 7 * 24 * 3600_000;
const DOWNLOAD_TIMEOUT_MS = 60_000;

type MediaDeps = Pick<AppDeps, "db" | "files" | "fetch" | "config" | "clock" | "keyring" | "logger">;

export interface HostedFile {
  url: string;
  name: string;
  mime: string;
}

function fileName(file: MessageFile, url: URL | undefined): string {
  const fromUrl = url ? decodeURIComponent(url.pathname.split("/").pop() ?? "") : "";
  return (file.name ?? fromUrl ?? "").trim().slice(0, 200) || "file";
}

/** `media:<ref>`: a file only the provider can fetch (IncomingFile, Provider.resolveMedia). */
const PROVIDER_MEDIA = "media:";

interface Download {
  url: URL;
  headers: Record<string, string>;
  /** the URL carries credentials (Telegram's has the bot token): it never appears in an error */
  secret: boolean;
  name?: string;
  mime?: string;
}

/** Where the file's bytes are: its own link, or the provider's answer for a `media:` reference. */
async function downloadOf(deps: MediaDeps, channel: Channel, file: MessageFile): Promise<Download> {
  const provider = providerOf(channel);
  if (file.url.startsWith(PROVIDER_MEDIA)) {
    if (!provider.resolveMedia) throw new PermanentError(`${provider.title} cannot fetch its media references`, "file_unreachable");
    const resolved = await provider.resolveMedia(await providerContext(deps, channel), file.url.slice(PROVIDER_MEDIA.length));
    return {
      url: new URL(resolved.url),
      headers: resolved.headers ?? {},
      secret: true,
      ...(resolved.name ? { name: resolved.name } : {}),
      ...(resolved.mime ? { mime: resolved.mime } : {}),
    };
  }
  const headers = file.auth && provider.downloadHeaders ? provider.downloadHeaders(await providerContext(deps, channel), file.url) : {};
  return { url: new URL(file.url), headers, secret: false };
}

/**
 * A link a CRM can download a client's file from: our own signed copy. Provider links may
 * need the channel's credentials (Devino), expire (WhatsApp media URLs) or be slow; the CRM
 * must get a public, lasting link (reference/bitrix24.md 3.6). The copy is made once per
 * message (hostedId on the row), so a retried delivery does not download it again.
 * Download trouble is retryable; a file over the limit or refused by the provider is not.
 */
export async function hostMessageFile(deps: MediaDeps, channel: Channel, messageId: string, file: MessageFile): Promise<HostedFile> {
  const now = deps.clock.now();
  const link = (id: string) => signFileUrl(deps.config.PUBLIC_URL, id, new Date(now.getTime() + MEDIA_LINK_TTL_MS), deps.config.ENCRYPTION_KEY);
  if (file.hostedId) {
    const [row] = await deps.db.select().from(files).where(eq(files.id, file.hostedId));
    if (row) return { url: await link(row.id), name: row.name, mime: row.mime };
  }

  const download = await downloadOf(deps, channel, file);
  let res: Response;
  try {
    res = await requestPublic(
      download.url,
      { method: "GET", headers: download.headers },
      { fetch: deps.fetch, policy: outboundPolicy(deps.config), timeoutMs: DOWNLOAD_TIMEOUT_MS },
      "file",
    );
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const shown = download.secret ? `the provider's file could not be downloaded (${download.url.host})` : text;
    if (err instanceof AppError && err.code === "invalid_parameter") throw new PermanentError(shown, "file_unreachable");
    throw new RetryableError(shown);
  }
  if (!res.ok) {
    await res.body?.cancel();
    const message = `the provider's file link answered HTTP ${res.status}`;
    if (res.status >= 500 || res.status === 429 || res.status === 408) throw new RetryableError(message);
    throw new PermanentError(message, "file_unreachable");
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readBodyCapped(res, MAX_MEDIA_BYTES);
  } catch (err) {
    if (err instanceof DownloadError && err.tooLarge) throw new PermanentError(err.message, "file_too_large");
    throw err;
  }
  const mime = (file.mime ?? download.mime ?? res.headers.get("content-type")?.split(";")[0]?.trim()) || "application/octet-stream";
  // a provider-resolved URL is never used for the name: it may carry a token
  const name = fileName(download.name && !file.name ? { ...file, name: download.name } : file, download.secret ? undefined : download.url);
  const id = crypto.randomUUID();
  const storageKey = `media/${channel.id}/${id}`;
  await deps.files.put(storageKey, bytes, { mime });
  const sha256 = bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  await deps.db.transaction(async (tx) => {
    await tx.insert(files).values({
      id,
      portalId: channel.portalId,
      storageKey,
      name,
      mime,
      size: bytes.byteLength,
      sha256,
      createdAt: now,
      expiresAt: new Date(now.getTime() + MEDIA_RETENTION_MS),
    });
    await tx
      .update(messages)
      .set({ file: { ...file, hostedId: id, size: bytes.byteLength, mime, name } })
      .where(eq(messages.id, messageId));
  });
  return { url: await link(id), name, mime };
}
