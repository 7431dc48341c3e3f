import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portals } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { LOCAL_NUMBERS } from "../../support/local-numbers.js";
import { AmoAutomationHarness, type SeededAccount } from "./automation-harness.js";

/**
 * Salesbot end to end on accounts in Belarus, Kazakhstan, Ukraine and the UK: a number typed the
 * local way, in the step's data or on the lead's contact card, reaches Wappi as the right
 * international number, counted at the fake.
 */
describe.each(await backends())("amoCRM Salesbot: numbers read in the account's region (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  async function accountIn(region: string | null): Promise<SeededAccount> {
    const account = await h.seedAccount();
    if (region) await h.t.db.update(portals).set({ settings: sql`${portals.settings} || ${JSON.stringify({ region })}::jsonb` }).where(eq(portals.id, account.portal.id));
    return account;
  }

  const sendsOf = (text: string) => h.wappiSends().filter((s) => s.body === text).map((s) => s.recipient);

  it.each(LOCAL_NUMBERS)("$region: data.phone `$typed` is sent to $international", async ({ region, typed, international }) => {
    const account = await accountIn(region);
    await h.channel(account);
    const text = `Salesbot phone ${region}`;
    const returnUrl = h.returnUrl();
    const res = await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId), data: { text, phone: typed, lead: "15926745" }, return_url: returnUrl });
    expect(res.status).toBe(200);
    await h.runJobs();
    expect(sendsOf(text)).toEqual([international]);
    expect(h.continuesOf(returnUrl).map((c) => (c.body as { data: { status: string } }).data.status)).toEqual(["success"]);
  });

  it.each(LOCAL_NUMBERS)("$region: the lead's contact card phone `$typed` is looked up and sent to $international", async ({ region, typed, international }) => {
    const account = await accountIn(region);
    await h.channel(account);
    const leadId = 7_800_000 + Math.floor(Math.random() * 100_000);
    h.amo.setContacts([{ name: "Client", phones: [typed], leads: [{ id: leadId }] }]);
    const text = `Salesbot card ${region}`;
    const returnUrl = h.returnUrl(78);
    const res = await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId, { entity_type: 2, entity_id: leadId }), data: { text }, return_url: returnUrl });
    expect(await res.json()).toEqual({ ok: true, resolving: true });
    await h.runJobs();
    expect(sendsOf(text)).toEqual([international]);
    expect(h.continuesOf(returnUrl).map((c) => (c.body as { data: { status: string } }).data.status)).toEqual(["success"]);
  });

  it("an account without a region still reads the card's `8 029 …` as Russian and refuses it: the bot leaves by fail and nothing is sent", async () => {
    const account = await accountIn(null);
    await h.channel(account);
    const leadId = 7_900_000 + Math.floor(Math.random() * 100_000);
    h.amo.setContacts([{ name: "Client", phones: ["8 029 123-45-67"], leads: [{ id: leadId }] }]);
    const text = "Salesbot card RU default";
    const returnUrl = h.returnUrl(79);
    await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId, { entity_type: 2, entity_id: leadId }), data: { text }, return_url: returnUrl });
    await h.runJobs();
    expect(sendsOf(text)).toEqual([]);
    const [continued] = h.continuesOf(returnUrl);
    expect((continued!.body as { data: { status: string; error?: string } }).data).toMatchObject({ status: "fail", error: expect.stringContaining("no valid phone number") });
  });
});
