import { eq } from "drizzle-orm";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { processDue } from "../../../app/core/outbox/pump.js";
import { bindChannelToLine } from "../../../app/crm/bitrix24/connector/binding.js";
import { conversations, messages, outboxJobs } from "../../../app/db/schema.js";
import { buildRegistry } from "../../../app/jobs.js";
import incoming from "../../../app/providers/wappi/fixtures/webhook-incoming-message.json";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import type { FakeServer } from "../../support/fake-server.js";
import { Bitrix24Harness, type InstalledPortal } from "./harness.js";

export interface BoundChannel {
  portal: InstalledPortal;
  channel: Channel;
  hookSecret: string;
  line: string;
}

let lineSerial = 0;

/**
 * The Bitrix24 harness plus a Wappi fake as the messenger side and the real job registry, so a
 * scenario runs end to end: provider webhook -> job -> imconnector.* on the fake portal, and
 * operator event -> send job -> Wappi -> status job -> ack.
 */
export class ConnectorHarness extends Bitrix24Harness {
  readonly wappi = new Recorder();
  wappiServer!: FakeServer;

  override async start(configOverrides: Record<string, string> = {}): Promise<this> {
    await super.start({ PUBLIC_URL: "https://bridge.example", ...configOverrides });
    this.wappiServer = await serveFake((fake) => createWappiFake(fake, "whatsapp"), this.wappi);
    return this;
  }

  override async close(): Promise<void> {
    await this.wappiServer?.close();
    await super.close();
  }

  /** Runs due jobs, moving the clock past pacing and retry delays, until none is left. */
  async runJobs(rounds = 8): Promise<void> {
    const registry = buildRegistry(this.deps);
    for (let i = 0; i < rounds; i++) {
      await processDue({ db: this.deps.db, registry, clock: this.clock, logger: this.deps.logger, batch: 10, concurrency: 4, leaseMs: 30_000, random: () => 0 });
      this.clock.advance(60_000);
    }
  }

  /** An installed portal with a Wappi channel bound to a fresh Open Line; connector registration already run. */
  async boundChannel(): Promise<BoundChannel> {
    const portal = await this.installed();
    const row = await this.portalRow(portal.memberId);
    const { channel, hookSecret } = await createChannel(this.deps.db, this.deps.keyring, {
      portalId: row!.id,
      provider: "wappi",
      name: "Sales",
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: this.wappiServer.url },
    });
    lineSerial += 1;
    const line = String(100 + lineSerial);
    await bindChannelToLine(this.deps, channel, line);
    await this.runJobs(1);
    return { portal, channel, hookSecret, line };
  }

  /** Wappi's incoming-message webhook (fixture), optionally with another text and id. */
  async clientWrites(b: BoundChannel, text?: string, id?: string): Promise<Response> {
    const [base] = incoming.messages;
    const body = { messages: [{ ...base, ...(text !== undefined ? { body: text } : {}), ...(id ? { id } : {}) }] };
    return this.app.request(`/hooks/wappi/${b.hookSecret}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  }

  conversationsOf(channelId: string) {
    return this.t.db.select().from(conversations).where(eq(conversations.channelId, channelId));
  }

  messagesOf(channelId: string) {
    return this.t.db.select().from(messages).where(eq(messages.channelId, channelId));
  }

  jobsOf(kind: string) {
    return this.t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, kind));
  }

  /** Wappi send requests received so far, their JSON bodies. */
  wappiSends(): Array<Record<string, unknown>> {
    return this.wappi.requests.filter((r) => r.path.includes("/message/")).map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }
}
