import { findChannel } from "../../../app/core/channels.js";
import { hookSecretOf, OfficialFakes } from "../../providers/official-fakes.js";
import { type AmojoBound, AmojoHarness } from "./amojo-harness.js";

export type OfficialProvider = "telegram" | "whatsapp-cloud";

/**
 * The amojo harness plus the Telegram Bot API and WhatsApp Cloud API contract fakes. Channels
 * are created through the admin API on the account's session (so the provider is asked about
 * its credentials and its webhook is set, as in production) and connected to amoCRM chats
 * through POST /api/channels/:id/bind.
 */
export class OfficialAmojoHarness extends AmojoHarness {
  readonly official = new OfficialFakes();

  override async start(configOverrides: Record<string, string> = {}): Promise<this> {
    await super.start(configOverrides);
    await this.official.start();
    return this;
  }

  override async close(): Promise<void> {
    await this.official.close();
    await super.close();
  }

  async boundOfficial(provider: OfficialProvider, name = "Support"): Promise<AmojoBound> {
    const account = await this.account();
    const token = await this.adminToken(account);
    const credentials = provider === "telegram" ? this.official.telegramCredentials() : this.official.cloudCredentials();
    const created = await this.call("POST", "/api/channels", token, { provider, name, credentials });
    if (created.status !== 201) throw new Error(`channel create failed: ${JSON.stringify(created.body)}`);
    const view = created.body.channel as { id: string; hook_url: string };
    const bound = await this.call("POST", `/api/channels/${view.id}/bind`, token);
    if (bound.status !== 200) throw new Error(`bind failed: ${JSON.stringify(bound.body)}`);
    const channel = await findChannel(this.t.db, view.id);
    return { account, channel: channel!, hookSecret: hookSecretOf(view.hook_url), scopeId: String(bound.body.line), token };
  }

  /** A manager's text in the client's chat (2.7), `peer` being our peer key (`79001234567`, `chat:<id>`). */
  managerWrites(b: AmojoBound, peer: string, messageId: string, text: string): Promise<Response> {
    return this.hook(b, this.amojo.hookPayload({ accountId: b.account.amojoId, conversationClientId: `cb-${b.channel.id}-${peer}`, sourceExternalId: b.channel.id, messageId, text }));
  }
}
