import ipaddr from "ipaddr.js";
import { AppError } from "./errors.js";

/**
 * SSRF guard for URLs a tenant controls (file URLs pasted into the webhook API, provider API
 * hosts in channel credentials). Rejects non-http(s) schemes, credentials in the URL, hosts
 * that are well-known local names, and IP literals outside public unicast space. The URL
 * parser has already turned decimal, hex and octal IPv4 forms into dotted quads.
 * Names that resolve to private addresses are caught by the runtime: Workers cannot reach
 * private ranges, and the Node entry checks every resolved address (worker/node-fetch.ts).
 */
export interface OutboundPolicy {
  allowLoopback: boolean;
  /**
   * OUTBOUND_ALLOW_PRIVATE: self-hosters run WAHA or Evolution API next to chatbridge on a
   * private network (RFC 1918 IPv4, fc00::/7 unique-local IPv6), often under a single-label
   * container name (`http://waha:3000`). Link-local (cloud metadata), carrier-grade NAT
   * (Alibaba's metadata is 100.100.100.200) and the other special ranges stay refused; loopback
   * keeps its own switch. Absent: false.
   */
  allowPrivate?: boolean;
}

/** The policy the configuration asks for: one place, so every outbound path reads both switches. */
export function outboundPolicy(config: { OUTBOUND_ALLOW_LOOPBACK: boolean; OUTBOUND_ALLOW_PRIVATE?: boolean }): OutboundPolicy {
  return { allowLoopback: config.OUTBOUND_ALLOW_LOOPBACK, allowPrivate: config.OUTBOUND_ALLOW_PRIVATE ?? false };
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** 2000::/3, the only IPv6 space IANA allocates as global unicast (the rest is reserved). */
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");
/** RFC 6052 well-known NAT64 prefix; 64:ff9b:1::/48 (RFC 8215) is local-use and stays refused. */
const NAT64 = ipaddr.IPv6.parseCIDR("64:ff9b::/96");

/** An IPv6 address written with a dotted IPv4 tail (`::8.8.8.8`, `64:ff9b::10.0.0.1`). */
const DOTTED_TAIL = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/;

function parseAddress(text: string): Address | undefined {
  try {
    // ipaddr.js 2.5 reads every dotted tail as v4-mapped (::8.8.8.8 becomes ::ffff:8.8.8.8), so the
    // tail is spelt in hex first; the URL parser does the same, this is for resolved addresses
    const dotted = DOTTED_TAIL.exec(text);
    if (dotted) {
      if (!ipaddr.IPv4.isValidFourPartDecimal(dotted[2]!)) return undefined;
      const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(dotted[2]!).octets;
      return ipaddr.IPv6.parse(`${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
    }
    return ipaddr.parse(text);
  } catch {
    return undefined;
  }
}

function ipv4Of(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * The ipaddr.js range of an address, IPv4 embedded in a v6 transition form classified too:
 * v4-mapped answers its IPv4 range (so OUTBOUND_ALLOW_LOOPBACK covers ::ffff:127.0.0.1), and a
 * 6to4, Teredo or NAT64 address is `unicast` only when every IPv4 it carries is.
 */
function rangeOf(addr: Address): string {
  if (addr instanceof ipaddr.IPv4) return addr.range();
  if (addr.isIPv4MappedAddress()) return addr.toIPv4Address().range();
  const range = addr.range();
  const [, p1 = 0, p2 = 0, p3 = 0, , , p6 = 0, p7 = 0] = addr.parts;
  const carrying = (embedded: ipaddr.IPv4[]) => (embedded.every((v4) => v4.range() === "unicast") ? "unicast" : range);
  switch (range) {
    // RFC 3056: 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD
    case "6to4":
      return carrying([ipv4Of(p1, p2)]);
    // RFC 4380 4: the server's IPv4 in bits 32-63, the client's in bits 96-127 with every bit inverted
    case "teredo":
      return carrying([ipv4Of(p2, p3), ipv4Of(p6 ^ 0xffff, p7 ^ 0xffff)]);
    case "rfc6052":
      return addr.match(NAT64) ? carrying([ipv4Of(p6, p7)]) : range;
    case "unicast":
      // ipaddr.js calls everything outside its special ranges unicast, IPv4-compatible ::a.b.c.d included
      return addr.match(GLOBAL_UNICAST) ? "unicast" : "reserved";
    default:
      return range;
  }
}

/** ipaddr.js names of the private ranges OUTBOUND_ALLOW_PRIVATE opens (RFC 1918, RFC 4193). */
const PRIVATE_RANGES = new Set(["private", "uniqueLocal"]);

/** Only public unicast is reachable on a tenant's behalf; loopback and private too when the policy allows them. */
function isAllowed(addr: Address, policy: OutboundPolicy): boolean {
  const range = rangeOf(addr);
  return range === "unicast" || (range === "loopback" && policy.allowLoopback) || (PRIVATE_RANGES.has(range) && policy.allowPrivate === true);
}

/** `localhost` and `*.localhost` always mean this host (RFC 6761): loopback's switch, never the private one. */
const LOOPBACK_NAMES = /(^|\.)localhost$/i;

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
  if (host.includes(":") || ipaddr.IPv4.isValid(host)) {
    const addr = parseAddress(host);
    if (!addr || !isAllowed(addr, policy)) local();
    return url;
  }
  if (policy.allowLoopback && host.toLowerCase() === "localhost") return url;
  if (LOOPBACK_NAMES.test(host)) local();
  // single-label names resolve through search domains to intranet hosts; under
  // OUTBOUND_ALLOW_PRIVATE they are let through here, and the address they resolve to is
  // checked when the connection is made (worker/node-fetch.ts; Workers reach no private range)
  if ((LOCAL_NAMES.test(host) || !host.includes(".")) && policy.allowPrivate !== true) local();
  return url;
}

/**
 * Whether a resolved address (IPv4 or IPv6 text) is one we never connect to on a tenant's
 * behalf. For runtimes that resolve names themselves (worker/node-fetch.ts).
 */
export function isBlockedAddress(address: string, policy: OutboundPolicy): boolean {
  const addr = parseAddress(address);
  return !addr || !isAllowed(addr, policy);
}
