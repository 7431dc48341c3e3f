import { ConnectorHarness } from "../../crm/bitrix24/connector-harness.js";
import { type InstalledPortal, newMemberId } from "../../crm/bitrix24/harness.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";

export interface AdminPortal {
  portal: InstalledPortal;
  /** bearer token of an admin session on this portal */
  token: string;
}

export type Answer = { status: number; body: Record<string, unknown> };

/**
 * The Bitrix24 connector harness (fake portal, Wappi fake, real job registry) plus admin API
 * helpers: an installed portal with an admin session in one call, and JSON requests with it.
 */
export class AdminHarness extends ConnectorHarness {
  /** POST /api/session as a user of the portal; `auth` overrides the frame's AUTH_ID. */
  openSession(portal: InstalledPortal, opts: { admin?: boolean; fields?: Record<string, string> } = {}): Promise<Answer> {
    const authId = this.fake.issueUserToken({ ID: "7", ADMIN: opts.admin ?? true });
    return this.call("POST", "/api/session", undefined, { DOMAIN: this.fake.host, member_id: portal.memberId, AUTH_ID: authId, ...opts.fields });
  }

  async adminPortal(): Promise<AdminPortal> {
    const portal = await this.installed(newMemberId());
    const session = await this.openSession(portal);
    if (session.status !== 200) throw new Error(`session failed: ${JSON.stringify(session.body)}`);
    return { portal, token: String(session.body.token) };
  }

  async call(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await this.app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** Wappi credentials pointing at the fake. */
  wappiCredentials(): Record<string, string> {
    return { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: this.wappiServer.url };
  }

  /** A Wappi channel created through the API; returns its id. */
  async apiChannel(token: string, name = "Sales"): Promise<string> {
    const res = await this.call("POST", "/api/channels", token, { provider: "wappi", name, credentials: this.wappiCredentials() });
    if (res.status !== 201) throw new Error(`channel create failed: ${JSON.stringify(res.body)}`);
    return String((res.body.channel as { id: string }).id);
  }
}
