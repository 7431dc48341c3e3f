import { type LookupAddress, lookup as dnsLookup } from "node:dns";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { isBlockedAddress, type OutboundPolicy } from "../app/core/ssrf.js";

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The resolver the connection itself uses: every address a name resolves to is checked, and
 * the socket connects to one of exactly those. Checking in a separate lookup before fetching
 * would leave a window in which the name could re-resolve to a private address (DNS rebinding).
 */
export function guardedLookup(policy: OutboundPolicy) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, family: typeof options.family === "number" ? options.family : 0 }, (err, addresses) => {
      if (err) return callback(err, []);
      const blocked = addresses.find((a) => isBlockedAddress(a.address, policy));
      if (blocked) {
        const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${blocked.address}, a private address: refused`);
        refused.code = "ESSRF";
        return callback(refused, []);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), []);
      callback(null, first.address, first.family);
    });
  };
}

/** undici's fetch over an agent whose connections resolve through guardedLookup. */
export function pinnedFetch(policy: OutboundPolicy): typeof fetch {
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(policy) } });
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    // the app passes URLs as strings (providers, CRMs, file downloads); a Request keeps its own fields
    if (input instanceof Request) {
      const body = input.method === "GET" || input.method === "HEAD" ? undefined : new Uint8Array(await input.arrayBuffer());
      return undiciFetch(input.url, {
        method: input.method,
        headers: Object.fromEntries(input.headers),
        ...(body ? { body } : {}),
        redirect: init?.redirect ?? input.redirect,
        signal: init?.signal ?? input.signal,
        dispatcher,
      });
    }
    // undici's own fetch does not know Node's global FormData: it is encoded here, boundary and all
    if (init?.body instanceof FormData) {
      const encoded = new Response(init.body);
      const headers = new Headers(init.headers);
      headers.set("content-type", encoded.headers.get("content-type") ?? "multipart/form-data");
      return undiciFetch(input.toString(), { ...(init as Record<string, unknown>), headers: Object.fromEntries(headers), body: new Uint8Array(await encoded.arrayBuffer()), dispatcher });
    }
    return undiciFetch(input.toString(), { ...(init as Record<string, unknown>), dispatcher });
  }) as unknown as typeof fetch;
}

/**
 * fetch for Node with the half of the SSRF guard app/ cannot do: a name that resolves to a
 * private, loopback or link-local address is refused (nip.io-style names, internal DNS). The
 * first check gives a clear error before any connection; the connection itself resolves
 * through guardedLookup, so a name cannot switch to a private address between the two. On
 * Workers the platform already cannot reach private ranges.
 */
export function guardedFetch(policy: OutboundPolicy, base: typeof fetch = pinnedFetch(policy)): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
    const blocked = addresses.find((a) => isBlockedAddress(a.address, policy));
    if (blocked) throw new TypeError(`${host} resolves to ${blocked.address}, a private address: refused`);
    return base(input, init);
  };
}
