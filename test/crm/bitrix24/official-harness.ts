import { eq } from "drizzle-orm";
import { type Channel, findChannel } from "../../../app/core/channels.js";
import { conversations } from "../../../app/db/schema.js";
import { type AdminPortal, AdminHarness } from "../../api/admin/harness.js";
import { hookSecretOf, OfficialFakes } from "../../providers/official-fakes.js";
import type { RestCall } from "./fake-bitrix24.js";

export type OfficialProvider = "telegram" | "whatsapp-cloud";

/** What the admin API answers for a channel (the fields these suites read). */
export interface ChannelAnswer {
  id: string;
  provider: string;
  state: string;
  state_detail: Record<string, unknown> | null;
  hook_url: string;
  hook_verify_token: string | null;
  webhook_url: string | null;
  [key: string]: unknown;
}

export interface OfficialBound extends AdminPortal {
  view: ChannelAnswer;
  channel: Channel;
  hookSecret: string;
  line: string;
  /** the create call's warning, if any */
  warning?: string;
}

export interface OfficialChat extends OfficialBound {
  conversationId: string;
  imChat: string;
}

let lineSerial = 700;

/**
 * The admin harness (fake portal, real job registry, admin sessions) plus the Telegram Bot API
 * and WhatsApp Cloud API contract fakes: channels are created and bound through the admin API
 * exactly as a settings page does it, and the providers' webhooks reach the channel's hook URL.
 */
export class OfficialHarness extends AdminHarness {
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

  credentialsOf(provider: OfficialProvider): Record<string, string> {
    return provider === "telegram" ? this.official.telegramCredentials() : this.official.cloudCredentials();
  }

  /** A channel created through POST /api/channels on a fresh portal and bound to a fresh Open Line through the API. */
  async officialChannel(provider: OfficialProvider, name = "Support"): Promise<OfficialBound> {
    const admin = await this.adminPortal();
    const created = await this.call("POST", "/api/channels", admin.token, { provider, name, credentials: this.credentialsOf(provider) });
    if (created.status !== 201) throw new Error(`channel create failed: ${JSON.stringify(created.body)}`);
    const view = created.body.channel as ChannelAnswer;
    lineSerial += 1;
    const line = String(lineSerial);
    const bound = await this.call("POST", `/api/channels/${view.id}/bind`, admin.token, { line });
    if (bound.status !== 200) throw new Error(`bind failed: ${JSON.stringify(bound.body)}`);
    const channel = await findChannel(this.t.db, view.id);
    return {
      ...admin,
      view,
      channel: channel!,
      hookSecret: hookSecretOf(view.hook_url),
      line,
      ...(created.body.warning ? { warning: String(created.body.warning) } : {}),
    };
  }

  /** The conversation the client's first message opened, with the IM chat Bitrix24 put it in. */
  async chatOf(b: OfficialBound): Promise<OfficialChat> {
    const [conversation] = await this.t.db.select().from(conversations).where(eq(conversations.channelId, b.channel.id));
    if (!conversation?.crmChatId) throw new Error("the client's message has not reached the Open Line yet");
    return { ...b, conversationId: conversation.id, imChat: conversation.crmChatId };
  }

  /** ONIMCONNECTORMESSAGEADD for one operator message in the client's chat (3.7). */
  operatorWrites(b: OfficialChat, imMessageId: string, text: string): Promise<Response> {
    return this.event("ONIMCONNECTORMESSAGEADD", b.portal.memberId, b.portal.applicationToken, {
      CONNECTOR: "chatbridge",
      LINE: b.line,
      MESSAGES: [{ im: { chat_id: b.imChat, message_id: imMessageId }, message: { user_id: "27", text }, chat: { id: b.conversationId } }],
    });
  }

  /** Calls of a method that named this channel's line. */
  lineCalls(b: OfficialBound, method: string): RestCall[] {
    return this.fake.callsOf(method).filter((c) => String(c.body.LINE) === b.line);
  }

  /** The texts the connector posted into the line (client messages and our notes), in order. */
  lineTexts(b: OfficialBound): string[] {
    return this.lineCalls(b, "imconnector.send.messages").flatMap((c) => (c.body.MESSAGES as Array<{ message: { text?: string } }>).map((m) => m.message.text ?? ""));
  }
}
