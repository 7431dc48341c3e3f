import { AppError } from "./errors.js";

/**
 * SSRF guard for URLs a tenant controls (file URLs pasted into the webhook API, provider API
 * hosts in channel credentials). Rejects non-http(s) schemes, credentials in the URL, and
 * hosts that are private, loopback, link-local, CGNAT, multicast or reserved addresses, by
 * IP literal (v4, v6, v4-mapped v6, decimal/hex integer forms) or well-known local names.
 * Names that resolve to private addresses are caught by the runtime: Workers cannot reach
 * private ranges, and the Node entry may add a resolving check (see OutboundPolicy).
 */
export interface OutboundPolicy {
  allowLoopback: boolean;
}

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

function parseIPv4(host: string): number[] | undefined {
  // inet_aton accepts 1-4 parts in decimal, octal or hex; browsers and fetch normalise the same way
  const parts = host.split(".");
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    if (!/^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(p)) return undefined;
    nums.push(p.toLowerCase().startsWith("0x") ? parseInt(p, 16) : p.length > 1 && p.startsWith("0") ? parseInt(p, 8) : parseInt(p, 10));
  }
  const last = nums.pop()!;
  const out = [...nums];
  const rest = 4 - nums.length;
  if (nums.some((n) => n > 255) || last >= 256 ** rest) return undefined;
  for (let i = rest - 1; i >= 0; i--) out.push(Math.floor(last / 256 ** i) % 256);
  return out;
}

function isBlockedIPv4([a, b]: number[], allowLoopback: boolean): boolean {
  if (a === undefined || b === undefined) return true;
  if (a === 127) return !allowLoopback;
  return (
    a === 0 ||
    a === 10 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function isBlockedIPv6(host: string, allowLoopback: boolean): boolean {
  const h = host.toLowerCase();
  if (h === "::1") return !allowLoopback;
  if (h === "::") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (mapped) {
    const v4 =
      mapped.length === 2
        ? parseIPv4(mapped[1]!)
        : [parseInt(mapped[1]!, 16) >> 8, parseInt(mapped[1]!, 16) & 255, parseInt(mapped[2]!, 16) >> 8, parseInt(mapped[2]!, 16) & 255];
    return !v4 || isBlockedIPv4(v4, allowLoopback);
  }
  // IPv4-compatible (::a.b.c.d, ::7f00:1), unique-local, link- and site-local, multicast, NAT64, docs
  if (/^::([0-9a-f]{1,4}:)?[0-9a-f]{1,4}$/.test(h) || /^::\d+\.\d+\.\d+\.\d+$/.test(h) || h.startsWith("::ffff:")) return true;
  return /^(fc|fd|fe[89abcdef]|ff)/.test(h) || h.startsWith("64:ff9b:") || h.startsWith("2001:db8:");
}

/** Throws AppError `invalid_parameter` unless the URL may be fetched on a tenant's behalf. */
export function assertPublicUrl(raw: string, policy: OutboundPolicy, field = "url"): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError("invalid_parameter", `${field}: not a valid URL`, { field });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AppError("invalid_parameter", `${field}: only http and https URLs are allowed`, { field });
  }
  if (url.username || url.password) {
    throw new AppError("invalid_parameter", `${field}: URLs with credentials are not allowed`, { field });
  }
  // a trailing dot names the same host ("localhost." is localhost)
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const local = (): never => {
    throw new AppError("invalid_parameter", `${field}: private, loopback and link-local addresses are not allowed`, { field });
  };
  if (host.includes(":")) {
    if (isBlockedIPv6(host, policy.allowLoopback)) local();
    return url;
  }
  const v4 = parseIPv4(host);
  if (v4) {
    if (isBlockedIPv4(v4, policy.allowLoopback)) local();
    return url;
  }
  if (policy.allowLoopback && host.toLowerCase() === "localhost") return url;
  // single-label names resolve through search domains to intranet hosts
  if (LOCAL_NAMES.test(host) || !host.includes(".")) local();
  return url;
}

/**
 * Whether a resolved address (IPv4 or IPv6 text) is one we never connect to on a tenant's
 * behalf. For runtimes that resolve names themselves (worker/node-fetch.ts).
 */
export function isBlockedAddress(address: string, policy: OutboundPolicy): boolean {
  if (address.includes(":")) return isBlockedIPv6(address, policy.allowLoopback);
  const v4 = parseIPv4(address);
  return !v4 || isBlockedIPv4(v4, policy.allowLoopback);
}
