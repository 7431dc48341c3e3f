import { createHmac } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueAdminSession } from "../../../app/core/admin-session.js";
import { createChannel } from "../../../app/core/channels.js";
import { queueOutgoing } from "../../../app/core/messages/outgoing.js";
import { createWebhookToken } from "../../../app/core/webhook-tokens.js";
import { DISCONNECT_RECHECK_JOB, disconnectSignature } from "../../../app/crm/amocrm/disconnect.js";
import type { AmoPortalRow } from "../../../app/crm/amocrm/portal.js";
import { adminSessions, channels, messages, portals, webhookTokens } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { FAKE_AMO_CLIENT_ID, FAKE_AMO_CLIENT_SECRET } from "./fake-amocrm.js";
import { AmoHarness } from "./harness.js";

describe("amoCRM disconnect signature (1.5)", () => {
  it("happy: hex HMAC-SHA256 with client_secret over client_uuid|account_id", async () => {
    const expected = createHmac("sha256", "s3cr3t").update("b1c2-uuid|30441694").digest("hex");
    expect(await disconnectSignature("s3cr3t", "b1c2-uuid", "30441694")).toBe(expected);
  });
});

describe.each(await backends())("GET /amocrm/disconnect (%s)", (backend) => {
  const h = new AmoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const hook = (query: Record<string, string>) => h.app.request(`/amocrm/disconnect?${new URLSearchParams(query)}`);
  const signed = async (accountId: string, clientUuid = FAKE_AMO_CLIENT_ID, secret = FAKE_AMO_CLIENT_SECRET) => ({
    account_id: accountId,
    client_uuid: clientUuid,
    signature: await disconnectSignature(secret, clientUuid, accountId),
  });

  /** An installed account with a channel, its webhook token, a message waiting to go out and an admin session. */
  async function busyAccount() {
    const { fake, row } = await h.installed();
    const { channel } = await createChannel(h.t.db, h.deps.keyring, {
      portalId: row.id,
      provider: "wappi",
      name: "Sales",
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: "https://wappi.example" },
    });
    await createWebhookToken(h.deps, channel);
    const { message } = await queueOutgoing(h.deps, {
      channel,
      peer: { phone: "79161234567" },
      content: { type: "text", text: "Your order is ready" },
      origin: "webhook_api",
      dedupKey: `test:${crypto.randomUUID()}`,
    });
    const session = await issueAdminSession(h.t.db, { portalId: row.id, userId: "1" }, h.clock.now());
    return { fake, row, channel, message, session };
  }

  const portalOf = async (row: AmoPortalRow) => (await h.t.db.select().from(portals).where(eq(portals.id, row.id)))[0]!;

  it("happy: a signed hook, with the access revoked at amoCRM, uninstalls the account: tokens wiped, channels retired, queued messages failed, sessions ended, history kept; a repeat changes nothing", async () => {
    const { fake, row, channel, message } = await busyAccount();
    fake.revokeAll();
    const query = await signed(row.externalId);
    const res = await hook(query);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });

    const after = await portalOf(row);
    expect(after).toMatchObject({ status: "uninstalled", accessTokenEnc: null, refreshTokenEnc: null, tokenExpiresAt: null });
    expect(after.uninstalledAt).not.toBeNull();
    const [ch] = await h.t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(ch!.deletedAt).not.toBeNull();
    const tokens = await h.t.db.select().from(webhookTokens).where(eq(webhookTokens.channelId, channel.id));
    expect(tokens.every((t) => t.revokedAt !== null)).toBe(true);
    const [msg] = await h.t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(msg).toMatchObject({ status: "failed", errorCode: "channel_removed", body: "Your order is ready" });
    expect(await h.t.db.select().from(adminSessions).where(eq(adminSessions.portalId, row.id))).toHaveLength(0);

    const again = await hook(query);
    expect(again.status).toBe(200);
    expect(await portalOf(row)).toEqual(after);
  });

  it("happy: a reinstall after a disconnect makes the account active again", async () => {
    const { fake, row } = await h.installed();
    fake.revokeAll();
    expect((await hook(await signed(row.externalId))).status).toBe(200);
    expect((await portalOf(row)).status).toBe("uninstalled");
    await h.install(fake);
    expect((await portalOf(row)).status).toBe("active");
    expect((await portalOf(row)).uninstalledAt).toBeNull();
  });

  it("security: a replayed hook (signature valid, but amoCRM still grants our access) changes nothing; the later re-check leaves the account as it is", async () => {
    const { row, channel } = await busyAccount();
    const before = await portalOf(row);
    const res = await hook(await signed(row.externalId));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, ignored: "still_installed" });
    const [ch] = await h.t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(ch!.deletedAt).toBeNull();
    expect((await portalOf(row)).status).toBe("active");
    expect((await h.jobsOf(DISCONNECT_RECHECK_JOB)).filter((j) => JSON.stringify(j.payload).includes(row.externalId))).toHaveLength(1);
    h.clock.advance(3 * 60_000);
    await h.runJobs(1);
    expect((await portalOf(row)).status).toBe("active");
    expect((await portalOf(row)).accessTokenEnc).toBe(before.accessTokenEnc);
  });

  it("happy: a hook that arrives just before amoCRM revokes the access is acted on by the re-check a little later", async () => {
    const { fake, row, channel } = await busyAccount();
    expect(await (await hook(await signed(row.externalId))).json()).toEqual({ ok: true, ignored: "still_installed" });
    fake.revokeAll();
    h.clock.advance(3 * 60_000);
    await h.runJobs(1);
    expect((await portalOf(row)).status).toBe("uninstalled");
    const [ch] = await h.t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(ch!.deletedAt).not.toBeNull();
  });

  it("security: a hook for an account whose tokens already died (needs_reinstall) leaves its channels alone; a burst of hooks is not probed each time", async () => {
    const { row, channel } = await busyAccount();
    await h.t.db.update(portals).set({ status: "needs_reinstall" }).where(eq(portals.id, row.id));
    expect(await (await hook(await signed(row.externalId))).json()).toEqual({ ok: true, ignored: "unconfirmed" });
    const [ch] = await h.t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(ch!.deletedAt).toBeNull();
    expect((await portalOf(row)).status).toBe("needs_reinstall");

    const live = await busyAccount();
    const query = await signed(live.row.externalId);
    const probesBefore = live.fake.restCalls("/api/v4/account").length;
    for (let i = 0; i < 5; i++) expect((await hook(query)).status).toBe(200);
    expect(live.fake.restCalls("/api/v4/account").length - probesBefore).toBe(3);
  });

  it("happy: a signed hook for an account never installed here is acknowledged and changes nothing", async () => {
    const res = await hook(await signed("99999999"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, ignored: "unknown_account" });
  });

  it("security: a wrong signature, another integration's client_uuid, or missing fields are 401 and change nothing", async () => {
    const { row, channel } = await busyAccount();
    const before = await portalOf(row);
    const good = await signed(row.externalId);
    const cases: Array<Record<string, string>> = [
      { ...good, signature: good.signature.replace(/^./, (c) => (c === "a" ? "b" : "a")) },
      // signed correctly, but for another integration (1.5: check client_uuid == your client_id)
      await signed(row.externalId, "00000000-0000-4000-8000-000000000000"),
      // signed with another secret
      await signed(row.externalId, FAKE_AMO_CLIENT_ID, "not-our-secret"),
      // a signature for another account replayed on this one
      { ...(await signed("12345")), account_id: row.externalId },
      { account_id: row.externalId, client_uuid: FAKE_AMO_CLIENT_ID },
      { ...good, signature: "zz" },
      {},
    ];
    for (const query of cases) {
      const res = await hook(query);
      expect(res.status, JSON.stringify(query)).toBe(401);
      expect(await res.json()).toMatchObject({ ok: false, error: "unauthorized" });
    }
    expect(await portalOf(row)).toEqual(before);
    const [ch] = await h.t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(ch!.deletedAt).toBeNull();
    expect(await h.t.db.select().from(adminSessions).where(eq(adminSessions.portalId, row.id))).toHaveLength(1);
  });

  it("security: without AMOCRM_CLIENT_SECRET configured no hook verifies", async () => {
    const { row } = await h.installed();
    const unconfigured = await h.appWith({ AMOCRM_CLIENT_SECRET: "" });
    const res = await unconfigured.app.request(`/amocrm/disconnect?${new URLSearchParams(await signed(row.externalId))}`);
    expect(res.status).toBe(401);
    expect((await portalOf(row)).status).toBe("active");
  });
});
