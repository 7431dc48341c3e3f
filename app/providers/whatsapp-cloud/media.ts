import { DownloadError, downloadPublicFile } from "../../core/remote-download.js";
import { MAX_REMOTE_FILE_BYTES } from "../../core/remote-file.js";
import { fileNameOf } from "../file-names.js";
import { type OutgoingContent, ProviderPermanentError } from "../types.js";
import { bearer, type Ctx, graphBase, graphCall, USER_AGENT } from "./client.js";
import { mediaUploadSchema, mediaUrlSchema } from "./schema.js";

export type MediaKind = "image" | "video" | "audio" | "sticker" | "document";
type FileContent = Extract<OutgoingContent, { type: "file" }>;

export function mediaKind(mime: string | undefined): MediaKind {
  if (mime === "image/jpeg" || mime === "image/png") return "image";
  if (mime === "image/webp") return "sticker";
  if (mime?.startsWith("video/")) return "video";
  if (mime?.startsWith("audio/")) return "audio";
  return "document";
}

/** `{link}` or `{id}` with what the kind allows: no caption on audio and stickers, a filename on documents. */
export function mediaObject(kind: MediaKind, ref: { link: string } | { id: string }, file: FileContent): Record<string, string> {
  return {
    ...ref,
    ...(file.caption && kind !== "audio" && kind !== "sticker" ? { caption: file.caption } : {}),
    ...(kind === "document" ? { filename: fileNameOf(file) } : {}),
  };
}

/**
 * Fallback when Meta could not fetch a link (131053: often its fetcher is rate-limited by the
 * file host's network, or the host redirects): we download the file ourselves, SSRF-guarded at
 * every hop, and upload it (`POST /{Phone-Number-ID}/media`, channels-next.md 2 "Outbound").
 * Returns the media id; uploads persist 30 days.
 */
export async function uploadFromUrl(ctx: Ctx, file: FileContent, mime: string | undefined): Promise<string> {
  let bytes: Uint8Array<ArrayBuffer>;
  let type = mime;
  try {
    const policy = { allowLoopback: ctx.config.OUTBOUND_ALLOW_LOOPBACK };
    const got = await downloadPublicFile(file.url, { fetch: ctx.fetch, policy, maxBytes: MAX_REMOTE_FILE_BYTES, headers: { "user-agent": USER_AGENT } }, "file url");
    bytes = got.bytes;
    type ??= got.mime || "application/octet-stream";
  } catch (err) {
    if (!(err instanceof DownloadError)) throw err;
    if (err.tooLarge) throw new ProviderPermanentError("bad_request", err.message);
    throw new ProviderPermanentError("rejected", `Meta could not fetch the file, and neither could we: ${err.message}`);
  }
  const form = new FormData();
  form.append("messaging_product", "whatsapp");
  form.append("type", type);
  form.append("file", new Blob([bytes], { type }), fileNameOf(file));
  const answer = await graphCall(ctx, `${ctx.credentials.phoneNumberId}/media`, mediaUploadSchema, {
    method: "POST",
    body: form,
    timeoutMs: 120_000,
  });
  return answer.id;
}

/** Hosts that may receive our Bearer token with a media download: Meta's own, or the configured API host. */
function isMetaHost(url: string, apiHost: string): boolean {
  const host = new URL(url).hostname.toLowerCase();
  return host === apiHost || /(^|\.)(fbsbx\.com|facebook\.com|fbcdn\.net|whatsapp\.net)$/.test(host);
}

/**
 * `media:<id>` -> a download (channels-next.md 2 "Media download"): `GET /{Media-ID}` gives a URL
 * valid 5 minutes that needs the same Bearer header and a User-Agent; inbound ids live 7 days.
 */
export async function resolveMediaRef(ctx: Ctx, ref: string): Promise<{ url: string; headers?: Record<string, string>; mime?: string }> {
  const id = ref.replace(/^media:/, "");
  if (!/^\d{1,30}$/.test(id)) throw new ProviderPermanentError("bad_request", `not a WhatsApp media id: ${ref.slice(0, 60)}`);
  const answer = await graphCall(ctx, id, mediaUrlSchema);
  const headers: Record<string, string> = { "user-agent": USER_AGENT };
  if (isMetaHost(answer.url, new URL(graphBase(ctx)).hostname.toLowerCase())) Object.assign(headers, bearer(ctx));
  else ctx.logger.warn("whatsapp-cloud: media URL on an unexpected host; downloading without the token", { channelId: ctx.channelId });
  return { url: answer.url, headers, mime: answer.mime_type };
}
