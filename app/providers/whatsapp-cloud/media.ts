import { AppError } from "../../core/errors.js";
import { MAX_REMOTE_FILE_BYTES, requestPublic } from "../../core/remote-file.js";
import { assertPublicUrl } from "../../core/ssrf.js";
import { type OutgoingContent, ProviderPermanentError } from "../types.js";
import { bearer, type Ctx, graphBase, graphCall, USER_AGENT } from "./client.js";
import { mediaUploadSchema, mediaUrlSchema } from "./schema.js";

export type MediaKind = "image" | "video" | "audio" | "sticker" | "document";
type FileContent = Extract<OutgoingContent, { type: "file" }>;

const MIME_BY_EXTENSION: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  mp4: "video/mp4",
  "3gp": "video/3gpp",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  m4a: "audio/mp4",
  aac: "audio/aac",
  amr: "audio/amr",
  pdf: "application/pdf",
  txt: "text/plain",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

export function fileNameOf(file: FileContent): string {
  if (file.name) return file.name;
  try {
    const last = new URL(file.url).pathname.split("/").filter(Boolean).at(-1);
    if (last) return decodeURIComponent(last);
  } catch {
    // a malformed URL or escape: the generic name will do
  }
  return "file";
}

export function mimeOf(file: FileContent): string | undefined {
  const given = file.mime?.split(";")[0]?.trim().toLowerCase();
  return given || MIME_BY_EXTENSION[fileNameOf(file).split(".").at(-1)?.toLowerCase() ?? ""];
}

/**
 * The message type for a file (channels-next.md 2 "Limits"): images must be JPEG/PNG, a WebP is
 * a sticker; any other image and unknown types go as documents, which accept everything.
 */
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

async function readCapped(res: Response, cap: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
    if (chunk.done) break;
    total += chunk.value.byteLength;
    if (total > cap) {
      await reader?.cancel();
      throw new ProviderPermanentError("bad_request", `the file is larger than ${cap / 1024 / 1024} MB`);
    }
    chunks.push(chunk.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Fallback when Meta could not fetch a link (131053: often its fetcher is rate-limited by the
 * file host's network, or the host redirects): we download the file ourselves, SSRF-guarded at
 * every hop, and upload it (`POST /{Phone-Number-ID}/media`, channels-next.md 2 "Outbound").
 * Returns the media id; uploads persist 30 days.
 */
export async function uploadFromUrl(ctx: Ctx, file: FileContent, mime: string | undefined): Promise<string> {
  const policy = { allowLoopback: ctx.config.OUTBOUND_ALLOW_LOOPBACK };
  let bytes: Uint8Array<ArrayBuffer>;
  let type = mime;
  try {
    const url = assertPublicUrl(file.url, policy, "file url");
    const res = await requestPublic(url, { method: "GET", headers: { "user-agent": USER_AGENT } }, { fetch: ctx.fetch, policy, timeoutMs: 60_000 }, "file url");
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProviderPermanentError("rejected", `Meta could not fetch the file, and its host answered us HTTP ${res.status}`);
    }
    const length = Number(res.headers.get("content-length") ?? "0");
    if (length > MAX_REMOTE_FILE_BYTES) {
      await res.body?.cancel();
      throw new ProviderPermanentError("bad_request", `the file is larger than ${MAX_REMOTE_FILE_BYTES / 1024 / 1024} MB`);
    }
    type ??= res.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() || "application/octet-stream";
    bytes = await readCapped(res, MAX_REMOTE_FILE_BYTES);
  } catch (err) {
    if (err instanceof AppError) throw new ProviderPermanentError("rejected", `Meta could not fetch the file, and neither could we: ${err.message}`);
    throw err;
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
