import { AppError } from "./errors.js";
import { requestPublic } from "./remote-file.js";
import { assertPublicUrl, type OutboundPolicy } from "./ssrf.js";

/**
 * Why a download of a file failed: `retryable` when trying again later may work (the host did
 * not answer, 5xx, 429), `tooLarge` when it is over the caller's cap. Callers turn it into
 * their own error (a job's, a provider's).
 */
export class DownloadError extends Error {
  override readonly name = "DownloadError";
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

const tooLarge = (max: number) => new DownloadError(`the file is larger than ${max / 1024 / 1024} MB`, false, true);

/** Reads a body up to `max` bytes, stopping the download as soon as it is larger (or says it will be). */
export async function readBodyCapped(res: Response, max: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > max) {
    await res.body?.cancel();
    throw tooLarge(max);
  }
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export interface DownloadOptions {
  fetch: typeof fetch;
  policy: OutboundPolicy;
  maxBytes: number;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Downloads a file a tenant named (a CRM attachment) for a provider that takes uploads only:
 * every hop SSRF-checked (requestPublic), the size capped while reading. Throws DownloadError.
 */
export async function downloadPublicFile(raw: string, opts: DownloadOptions, field = "file URL"): Promise<{ bytes: Uint8Array<ArrayBuffer>; mime?: string }> {
  let res: Response;
  try {
    const url = assertPublicUrl(raw, opts.policy, field);
    res = await requestPublic(url, { method: "GET", ...(opts.headers ? { headers: opts.headers } : {}) }, { fetch: opts.fetch, policy: opts.policy, timeoutMs: opts.timeoutMs ?? 60_000 }, field);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    // a connection failure may pass; a forbidden address or a malformed URL will not
    throw new DownloadError(err.message, err.code === "file_unreachable");
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new DownloadError(`the file's host answered HTTP ${res.status}`, res.status >= 500 || res.status === 429 || res.status === 408);
  }
  const bytes = await readBodyCapped(res, opts.maxBytes);
  const mime = res.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  return { bytes, ...(mime ? { mime } : {}) };
}
