import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { isBlockedAddress, type OutboundPolicy } from "../app/core/ssrf.js";

/**
 * fetch for Node with the half of the SSRF guard app/ cannot do: a name that resolves to a
 * private, loopback or link-local address is refused before connecting (nip.io-style names,
 * internal DNS). On Workers the platform already cannot reach private ranges.
 * A name could still re-resolve differently at connect time (DNS rebinding); the window is
 * the resolver's cache, which is small, and every URL has passed assertPublicUrl too.
 */
export function guardedFetch(policy: OutboundPolicy, base: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
    const blocked = addresses.find((a) => isBlockedAddress(a.address, policy));
    if (blocked) throw new TypeError(`${host} resolves to ${blocked.address}, a private address: refused`);
    return base(input, init);
  };
}
