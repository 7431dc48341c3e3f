import { DownloadError, downloadPublicFile } from "../../core/remote-download.js";
import { ProviderPermanentError, ProviderRetryableError } from "../types.js";
import type { TelegramCtx } from "./client.js";

/** Bots upload at most 50 MB by multipart (channels-next.md 1 "Outbound", size limits). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/**
 * Downloads a CRM file ourselves, for the upload Telegram needs when it will not fetch the URL.
 * The URL is the tenant's, so every hop is SSRF-checked (core/remote-download.ts).
 */
export async function downloadForUpload(ctx: TelegramCtx, raw: string): Promise<{ bytes: Uint8Array<ArrayBuffer>; mime?: string }> {
  try {
    return await downloadPublicFile(raw, { fetch: ctx.fetch, policy: { allowLoopback: ctx.config.OUTBOUND_ALLOW_LOOPBACK }, maxBytes: MAX_UPLOAD_BYTES });
  } catch (err) {
    if (!(err instanceof DownloadError)) throw err;
    if (err.tooLarge) throw new ProviderPermanentError("bad_request", `the file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB, Telegram's upload limit for bots`);
    const message = `the file could not be downloaded for upload to Telegram: ${err.message}`;
    throw err.retryable ? new ProviderRetryableError("network", message) : new ProviderPermanentError("bad_request", message);
  }
}
