import { AppError } from "../../core/errors.js";
import { requestPublic } from "../../core/remote-file.js";
import { assertPublicUrl } from "../../core/ssrf.js";
import { ProviderPermanentError, ProviderRetryableError } from "../types.js";
import type { TelegramCtx } from "./client.js";

/** Bots upload at most 50 MB by multipart (channels-next.md 1 "Outbound", size limits). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 60_000;

const tooLarge = () =>
  new ProviderPermanentError("bad_request", `the file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB, Telegram's upload limit for bots`);

/** Reads a body up to `max` bytes, cancelling the download as soon as it grows past it. */
async function readCapped(res: Response, max: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * Downloads a CRM file ourselves, for the upload Telegram needs when it will not fetch the URL.
 * The URL is the tenant's, so every hop is SSRF-checked (core/remote-file.ts requestPublic).
 */
export async function downloadForUpload(ctx: TelegramCtx, raw: string): Promise<{ bytes: Uint8Array<ArrayBuffer>; mime?: string }> {
  const policy = { allowLoopback: ctx.config.OUTBOUND_ALLOW_LOOPBACK };
  let res: Response;
  try {
    const url = assertPublicUrl(raw, policy, "file URL");
    res = await requestPublic(url, { method: "GET" }, { fetch: ctx.fetch, policy, timeoutMs: DOWNLOAD_TIMEOUT_MS }, "file URL");
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    // a connection failure may pass; a forbidden address or a malformed URL will not
    if (err.code === "file_unreachable") throw new ProviderRetryableError("network", `${err.message}: it cannot be uploaded to Telegram`);
    throw new ProviderPermanentError("bad_request", err.message);
  }
  if (!res.ok) {
    await res.body?.cancel();
    const message = `the file could not be downloaded for upload to Telegram (HTTP ${res.status})`;
    if (res.status >= 500 || res.status === 429 || res.status === 408) throw new ProviderRetryableError("network", message);
    throw new ProviderPermanentError("bad_request", message);
  }
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_UPLOAD_BYTES) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const bytes = await readCapped(res, MAX_UPLOAD_BYTES);
  const mime = res.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  return { bytes, ...(mime ? { mime } : {}) };
}
