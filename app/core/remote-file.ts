import { AppError } from "./errors.js";
import { assertPublicUrl, type OutboundPolicy } from "./ssrf.js";

/**
 * Largest file the webhook API accepts by URL. Messengers cap documents around 100 MB
 * (WhatsApp) and providers download the file themselves, so a larger one could only fail later.
 */
export const MAX_REMOTE_FILE_BYTES = 100 * 1024 * 1024;

const PROBE_TIMEOUT_MS = 5_000;
const MAX_REDIRECTS = 3;

export interface RemoteFileInfo {
  url: string;
  /** bytes, when the server told us */
  size?: number;
  mime?: string;
  name?: string;
}

export interface ProbeOptions {
  fetch: typeof fetch;
  policy: OutboundPolicy;
  maxBytes?: number;
  /** the request parameter the URL came from, named in error messages */
  field?: string;
  /** per hop; probes answer fast, downloads take longer */
  timeoutMs?: number;
}

function unreachable(field: string, why: string): AppError {
  return new AppError("file_unreachable", `${field}: the file cannot be downloaded (${why})`, { field });
}

/**
 * Follows redirects by hand so every hop passes the SSRF guard: a public URL redirecting to
 * an intranet address must not be probed or downloaded.
 */
export async function requestPublic(url: URL, init: RequestInit, opts: ProbeOptions, field: string): Promise<Response> {
  const timeoutMs = opts.timeoutMs ?? PROBE_TIMEOUT_MS;
  let target = url;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await opts.fetch(target.toString(), { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      throw unreachable(field, timedOut ? `no answer within ${timeoutMs / 1000} s` : "connection failed");
    }
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) return res;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw unreachable(field, "too many redirects");
    target = assertPublicUrl(new URL(location, target).toString(), opts.policy, field);
    // credentials are for the first host only: never carried to where a redirect points
    if (init.headers) {
      const headers = new Headers(init.headers);
      headers.delete("authorization");
      init = { ...init, headers };
    }
  }
}

/** `bytes 0-0/12345` -> 12345; `*` or a malformed header -> undefined. */
function totalFromContentRange(header: string | null): number | undefined {
  const m = header ? /\/(\d+)\s*$/.exec(header) : null;
  return m ? Number(m[1]) : undefined;
}

function lengthOf(header: string | null): number | undefined {
  return header && /^\d+$/.test(header.trim()) ? Number(header) : undefined;
}

function nameOf(res: Response, url: URL): string | undefined {
  const disposition = res.headers.get("content-disposition") ?? "";
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // a malformed RFC 5987 value: fall back to the plain filename or the URL
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  if (plain?.[1]) return plain[1].trim();
  const last = url.pathname.split("/").pop();
  if (!last) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/**
 * Checks that a file URL given to the webhook API is public, reachable and not too large
 * before a message is queued, so the caller learns of a dead link at once instead of from a
 * failed status later. HEAD first; many file hosts refuse HEAD or omit the length there, so a
 * one-byte ranged GET follows. A server that never states the size is accepted: the provider's
 * own download is the final check.
 */
export async function probeRemoteFile(raw: string, opts: ProbeOptions): Promise<RemoteFileInfo> {
  const field = opts.field ?? "url";
  const maxBytes = opts.maxBytes ?? MAX_REMOTE_FILE_BYTES;
  const url = assertPublicUrl(raw.trim(), opts.policy, field);

  let res = await requestPublic(url, { method: "HEAD" }, opts, field);
  let size = res.ok ? lengthOf(res.headers.get("content-length")) : undefined;
  if (!res.ok || size === undefined) {
    await res.body?.cancel();
    res = await requestPublic(url, { method: "GET", headers: { range: "bytes=0-0" } }, opts, field);
    // the body is never read: only the headers matter, and the file may be large
    await res.body?.cancel();
    if (!res.ok) throw unreachable(field, `the server answered HTTP ${res.status}`);
    size = res.status === 206 ? totalFromContentRange(res.headers.get("content-range")) : lengthOf(res.headers.get("content-length"));
  }
  if (size !== undefined && size > maxBytes) {
    throw new AppError(
      "file_too_large",
      `${field}: the file is ${Math.ceil(size / 1024 / 1024)} MB, at most ${Math.floor(maxBytes / 1024 / 1024)} MB are accepted`,
      { field },
    );
  }
  const mime = res.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  const name = nameOf(res, url);
  return {
    url: url.toString(),
    ...(size !== undefined ? { size } : {}),
    ...(mime ? { mime } : {}),
    ...(name ? { name } : {}),
  };
}
